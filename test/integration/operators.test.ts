/**
 * The operators of issue 13 item 3 on real parts: the real BDD sample replayed at speed max into a
 * file stream, read by the file stream source, written by the parquet sink, and compared with the
 * same computation done in batch on the replayed rows. (The unit tests hold Spark's cases.)
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pl from "nodejs-polars";
import { replay } from "../../lib/replay/replay";
import { FileSink } from "../../lib/sinks/files";
import { Agg, fileStreamSource, parquetSink, readParquetOutput, readStream, sessionWindow, type StreamFrame } from "../../lib/stream";
import { batchSessions } from "../helpers/sessions";

/** What the replay wrote for one table, as one frame. */
function replayed(input: string, table: string): pl.DataFrame {
  const dir = path.join(input, table);
  const files = readdirSync(dir).sort().flatMap((p) => readdirSync(path.join(dir, p)).filter((f) => f.endsWith(".parquet")).map((f) => path.join(dir, p, f)));
  return pl.concat(files.map((f) => pl.readParquet(f)), { how: "diagonalRelaxed" });
}
const msOf = (v: unknown): number => (v as Date).getTime();

const BDD = path.resolve(__dirname, "../../../shared/data/bdd");
const START = "2020-01-01T00:00:00Z";

(existsSync(BDD) ? describe : describe.skip)("operators on the replayed BDD file stream", function () {
  this.timeout(600_000);
  let root: string;
  let input: string;
  let locations: pl.DataFrame;
  let accelerations: pl.DataFrame;
  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), "streamlab-operators-"));
    await replay({ data: BDD, sinks: new FileSink({ out: root }), speed: "max", start: START });
    input = path.join(root, "input");
    locations = replayed(input, "locations");
    accelerations = replayed(input, "accelerations");
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const source = (table: string, name = table) => fileStreamSource({ dir: path.join(input, table), name, table: table as "locations", once: true, maxFilesPerTrigger: 40, deadLetter: false });

  /** Runs `frame` once into a parquet folder (with a checkpoint, stopped once and resumed) and reads what landed. */
  async function runToParquet(name: string, build: () => StreamFrame): Promise<pl.DataFrame> {
    const dir = path.join(root, "out", name), checkpointLocation = path.join(root, "ckpt", name);
    const controller = new AbortController();
    let batches = 0;
    await build().writeStream({ mode: "append", sinks: [parquetSink({ dir })], trigger: "once", checkpointLocation, snapshotEvery: 2, signal: controller.signal, onProgress: () => { if (++batches === 5) controller.abort(); } }).start().awaitTermination();
    assert.equal(batches, 5, "stopped after 5 micro-batches");
    const rest = build().writeStream({ mode: "append", sinks: [parquetSink({ dir })], trigger: "once", checkpointLocation, snapshotEvery: 2 }).start();
    await rest.awaitTermination();
    assert.ok(rest.totals.batches > 0);
    return readParquetOutput(dir);
  }

  it("dropDuplicates over the stream and a second delivery of it (union): each (uuid, timestamp) once, across a stop and resume", async () => {
    const out = await runToParquet("dedup", () => readStream(source("locations")).union(readStream(source("locations", "redelivered")))
      .withWatermark("timestamp", "10 seconds").dropDuplicates(["uuid", "timestamp"]));
    const want = locations.unique({ subset: ["uuid", "timestamp"] });
    assert.equal(out.height, want.height);
    const key = (f: pl.DataFrame) => f.select("uuid", "timestamp").sort(["uuid", "timestamp"]);
    assert.ok(key(out).frameEqual(key(want)), "the same keys");
    assert.deepEqual(out.columns.sort(), locations.columns.sort(), "the input's columns");
  });

  it("a stream-static join with per-ride figures computed from the accelerations (left: rides without figures keep nulls)", async () => {
    const rides = accelerations.groupBy("uuid").agg(pl.len().cast(pl.Int64).alias("acc_rows"), pl.col("z").mean().alias("mean_z"));
    const some = rides.sort("uuid").head(Math.floor(rides.height / 2));
    const out = await runToParquet("static", () => readStream(source("locations")).join(some, { on: "uuid", how: "left" }).select("uuid", "timestamp", "speed", "acc_rows", "mean_z"));
    const want = locations.join(some, { on: "uuid", how: "left" }).select("uuid", "timestamp", "speed", "acc_rows", "mean_z");
    const sorted = (f: pl.DataFrame) => f.sort(["uuid", "timestamp"]);
    assert.equal(out.height, locations.height);
    assert.ok(sorted(out).frameEqual(sorted(want), true), "equals the batch left join");
    assert.ok(out.getColumn("acc_rows").nullCount() > 0 && out.getColumn("acc_rows").nullCount() < out.height, "some rides matched, some not");
  });

  it("sessionWindow: per ride, GPS fixes no more than 5 s apart, equal to sessions cut in batch, across a stop and resume", async () => {
    const out = await runToParquet("sessions", () => readStream(source("locations")).withWatermark("timestamp", "10 seconds")
      .groupBy("uuid", sessionWindow("timestamp", "5 seconds")).agg({ fixes: pl.len(), top_speed: Agg.max("speed") }));
    const want = batchSessions(locations.select("uuid", "timestamp").toRecords().map((r) => ({ key: r.uuid as string, ms: msOf(r.timestamp), value: 0 })), 5000);
    assert.ok(want.length > 35, "rides pause: more sessions than rides");
    const rows = out.sort(["uuid", "session_start"]).toRecords().map((r) => [r.uuid, msOf(r.session_start) / 1000, msOf(r.session_end) / 1000, Number(r.fixes)]);
    assert.deepEqual(rows, want.sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]).map((w) => w.slice(0, 4)));
  });

  for (const how of ["leftSemi", "leftAnti"] as const) {
    it(`${how}: GPS fixes with${how === "leftSemi" ? "" : "out"} an accelerometer row within 1.5 s, as a batch check finds them`, async () => {
      const out = await runToParquet(how, () => readStream(source("locations")).withWatermark("timestamp", "10 seconds")
        .join(readStream(source("accelerations")).withWatermark("timestamp", "10 seconds"), { on: "uuid", within: "1.5 seconds", how }).select("uuid", "timestamp", "id"));
      const accs = new Map<string, number[]>();
      for (const r of accelerations.select("uuid", "timestamp").toRecords()) {
        const list = accs.get(r.uuid as string) ?? [];
        list.push(msOf(r.timestamp));
        accs.set(r.uuid as string, list);
      }
      const matched = (uuid: string, t: number) => (accs.get(uuid) ?? []).some((a) => Math.abs(a - t) <= 1500);
      const want = locations.select("uuid", "timestamp", "id").toRecords().filter((r) => matched(r.uuid as string, msOf(r.timestamp)) === (how === "leftSemi"));
      assert.ok(want.length > 0, "the data has such fixes");
      const keys = (rows: Record<string, unknown>[]) => rows.map((r) => `${r.uuid}|${msOf(r.timestamp)}|${r.id}`).sort();
      assert.deepEqual(keys(out.toRecords()), keys(want));
    });
  }
});
