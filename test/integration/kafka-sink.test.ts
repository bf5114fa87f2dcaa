import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { ENCODE_ROWS, KafkaSink } from "../../lib/sinks/kafka";
import { createSink } from "../../lib/sinks";
import { describeTopic, deleteTopics } from "../../lib/kafka/admin";
import type { ReleaseBatch } from "../../lib/replay/types";
import { isStreamlabError } from "../../lib/errors";
import { bootstrap, closeAll, requireBroker, track, uniquePrefix, waitForMessages } from "../helpers/kafka";

function batch(table: "locations" | "accelerations", uuids: string[], t: number): ReleaseBatch {
  const files = uuids.map((uuid) => ({
    path: `/data/${table}/t=${t}/${uuid}.parquet`,
    name: `${uuid}.parquet`,
    frame: pl.DataFrame({ uuid: [uuid, uuid], offset: [t, t + 0.5], timestamp: [new Date(t * 1000), new Date(t * 1000 + 500)] }).withColumn(pl.col("timestamp").cast(pl.Datetime("ms"))),
  }));
  return { table, partition: `t=${t}`, dueOffset: t, loop: 0, files, rows: files.length * 2 };
}

describe("KafkaSink (real broker)", function () {
  this.timeout(90_000);
  before(requireBroker);
  afterEach(closeAll);
  const prefixes: string[] = [];
  after(async () => {
    for (const p of prefixes) await deleteTopics(["locations", "accelerations"], { bootstrap: bootstrap(), topicPrefix: p }).catch(() => undefined);
  });

  it("creates <prefix>-locations and <prefix>-accelerations at open, with the partitions asked for", async () => {
    const prefix = uniquePrefix("Open");
    prefixes.push(prefix);
    const sink = track(new KafkaSink({ bootstrap: bootstrap(), topicPrefix: prefix, partitions: 2 }));
    await sink.open();
    assert.deepEqual(sink.topics, { locations: `${prefix}-locations`, accelerations: `${prefix}-accelerations` });
    assert.equal((await describeTopic(`${prefix}-accelerations`, { bootstrap: bootstrap() })).partitions.length, 2);
  });

  it("bounds the batches in flight when writes overlap, and acknowledges every message", async () => {
    const prefix = uniquePrefix("Flight");
    prefixes.push(prefix);
    const sink = track(new KafkaSink({ bootstrap: bootstrap(), topicPrefix: prefix, maxInFlight: 2 }));
    await sink.open();
    const batches = Array.from({ length: 8 }, (_, i) => batch("accelerations", [`u${i % 3}`, `v${i % 5}`], i));
    await Promise.all(batches.map((b) => sink.write(b)));
    const stats = sink.stats();
    assert.ok(stats.inFlightPeak >= 1 && stats.inFlightPeak <= 2, `peak ${stats.inFlightPeak}`);
    assert.equal(stats.batches, 8);
    assert.equal(stats[`${prefix}-accelerations`], 32);
    const got = await waitForMessages(32, { topics: `${prefix}-accelerations` });
    assert.equal(got.length, 32);
  });

  // Regression (bench, 209k rows at --speed max): a whole released partition went out as one
  // produce request and the broker refused it as larger than message.max.bytes (1 MiB).
  it("delivers a released batch larger than the broker's 1 MiB limit per partition, in order", async () => {
    const prefix = uniquePrefix("Large");
    prefixes.push(prefix);
    const sink = track(new KafkaSink({ bootstrap: bootstrap(), topicPrefix: prefix }));
    await sink.open();
    // One ride, so all ~2 MB go to one partition: the broker's limit is per partition's batch.
    const rows = 5000;
    const uuid = Array.from({ length: rows }, () => "ride0");
    const frame = pl.DataFrame({ uuid, offset: Array.from({ length: rows }, (_, i) => i), note: Array.from({ length: rows }, () => "x".repeat(400)) });
    await sink.write({ table: "accelerations", partition: "t=000.0", dueOffset: 0, loop: 0, files: [{ path: "/big.parquet", name: "big.parquet", frame }], rows });
    const got = await waitForMessages(rows, { topics: `${prefix}-accelerations` });
    assert.equal(got.length, rows);
    assert.deepEqual(got.map((m) => (m.value as { offset: number }).offset), frame.getColumn("offset").toArray(), "in order");
  });

  it("encodes a batch ahead in slices (prepare) and sends exactly those messages at write, in order per ride", async () => {
    const prefix = uniquePrefix("Prepare");
    prefixes.push(prefix);
    const sink = track(new KafkaSink({ bootstrap: bootstrap(), topicPrefix: prefix }));
    await sink.open();
    // More rows than one encoding slice, over files of three rides, with the whole-batch frame the replay gives.
    const rows = ENCODE_ROWS * 2 + 17;
    const files = ["r0", "r1", "r2"].map((uuid, k) => {
      const n = k === 2 ? rows - 2 * Math.floor(rows / 3) : Math.floor(rows / 3);
      return { path: `/data/${uuid}.parquet`, name: `${uuid}.parquet`, frame: pl.DataFrame({ uuid: Array.from({ length: n }, () => uuid), offset: Array.from({ length: n }, (_, i) => i) }) };
    });
    const whole = pl.concat(files.map((f) => f.frame), { how: "diagonal" });
    const b = Object.defineProperty({ table: "accelerations", partition: "t=000.0", dueOffset: 0, loop: 0, files, rows }, "frame", { get: () => whole }) as ReleaseBatch;
    let pauses = 0;
    await sink.prepare(b, async () => void pauses++);
    assert.equal(pauses, 3, "a pause before each slice of ENCODE_ROWS rows");
    await sink.write(b);
    const got = await waitForMessages(rows, { topics: `${prefix}-accelerations` });
    assert.equal(got.length, rows);
    for (const uuid of ["r0", "r1", "r2"]) {
      const offsets = got.filter((m) => m.key === uuid).map((m) => (m.value as { offset: number }).offset);
      assert.deepEqual(offsets, whole.filter(pl.col("uuid").eq(pl.lit(uuid))).getColumn("offset").toArray(), `${uuid} in order`);
    }
  });

  it("refuses a batch with a file lacking the key column, naming the file", async () => {
    const sink = track(new KafkaSink({ bootstrap: bootstrap(), topicPrefix: uniquePrefix("NoKey"), keyField: "ride_id" }));
    const files = [
      { path: "/data/a.parquet", name: "a.parquet", frame: pl.DataFrame({ ride_id: ["a"], offset: [0] }) },
      { path: "/data/b.parquet", name: "b.parquet", frame: pl.DataFrame({ uuid: ["b"], offset: [0] }) },
    ];
    const b: ReleaseBatch = { table: "locations", partition: "t=000.0", dueOffset: 0, loop: 0, files, rows: 2 };
    await assert.rejects(sink.prepare(b), (e) => isStreamlabError(e, "BAD_OPTION") && e.message.includes("/data/b.parquet"));
  });

  it("is built by createSink('kafka') and refuses writes before open", async () => {
    const prefix = uniquePrefix("Create");
    const sink = createSink("kafka", { bootstrap: bootstrap(), topicPrefix: prefix });
    assert.ok(sink instanceof KafkaSink);
    await assert.rejects(sink.write(batch("locations", ["a"], 0)), (e) => isStreamlabError(e, "KAFKA") && /open\(\)/.test(e.message));
    await sink.close();
    await sink.close(); // twice is fine
  });
});
