/**
 * End-to-end checks of the course queries (issue 4, "Done when"): replay the real BDD sample at
 * speed max into a file stream (and into Kafka), run each query once, and compare its output with
 * the same computation done in batch, straightforwardly, on the same input rows.
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pl from "nodejs-polars";
import { replay } from "../../lib/replay/replay";
import { FileSink } from "../../lib/sinks/files";
import { KafkaSink } from "../../lib/sinks/kafka";
import { readTopic } from "../../lib/kafka/read";
import { deleteTopics, listTopics } from "../../lib/kafka/admin";
import { runCli } from "../helpers/cli";
import { bootstrap, requireBroker, uniquePrefix } from "../helpers/kafka";
import { joinedQuery, simpleQuery, windowedQuery } from "../../lib/stream/queries";
import { readParquetOutput } from "../../lib/stream/sinks/read";
import type { ProgressRecord } from "../../lib/stream/types";

const BDD = path.resolve(__dirname, "../../../shared/data/bdd");
const START = "2020-01-01T00:00:00Z";
const START_MS = Date.parse(START);
const WINDOW_MS = 15_000;
const WITHIN_MS = 1_500;

/** Every parquet file under `<root>/<table>/t=*` as one frame (what the query read). */
export function readTable(root: string, table: string): pl.DataFrame {
  const dir = path.join(root, table);
  const files = readdirSync(dir).sort().flatMap((p) => readdirSync(path.join(dir, p)).filter((f) => f.endsWith(".parquet")).map((f) => path.join(dir, p, f)));
  return pl.concat(files.map((f) => pl.readParquet(f)), { how: "diagonalRelaxed" });
}

type Row = Record<string, unknown>;
const ms = (v: unknown): number | null => (v instanceof Date ? v.getTime() : v === null || v === undefined ? null : Number(v));

/** Batch answer of the windowed query: a plain polars group-by of (ride_id, 15 s window). */
export function expectedWindows(locations: pl.DataFrame): Map<string, { mean: number; count: number }> {
  const starts = locations.getColumn("timestamp").toArray().map((t) => Math.floor((t as unknown as Date).getTime() / WINDOW_MS) * WINDOW_MS);
  const grouped = locations
    .withColumn(pl.Series("ws", starts, pl.Float64))
    .groupBy(["ride_id", "ws"])
    .agg(pl.col("speed").mean().alias("mean"), pl.col("speed").count().alias("count"));
  return new Map(grouped.toRecords().map((r: Row) => [`${r.ride_id}|${r.ws}`, { mean: Number(r.mean), count: Number(r.count) }]));
}

/** The latest row per (ride_id, window_start) of the windowed output, keyed like expectedWindows. */
export function actualWindows(latest: pl.DataFrame): Map<string, { mean: number; count: number; end: number }> {
  return new Map(latest.toRecords().map((r: Row) => [`${r.ride_id}|${ms(r.window_start)}`, { mean: Number(r.mean_speed), count: Number(r.count), end: ms(r.window_end)! - ms(r.window_start)! }]));
}

export function assertWindowsEqual(latest: pl.DataFrame, locations: pl.DataFrame): void {
  const expected = expectedWindows(locations);
  const actual = actualWindows(latest);
  assert.equal(latest.height, actual.size, "one latest row per (ride_id, window_start)");
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [key, e] of expected) {
    const a = actual.get(key)!;
    assert.equal(a.count, e.count, `count of ${key}`);
    assert.ok(Math.abs(a.mean - e.mean) <= 1e-9 * Math.max(1, Math.abs(e.mean)), `mean of ${key}: ${a.mean} vs ${e.mean}`);
    assert.equal(a.end, WINDOW_MS, `window_end - window_start of ${key}`);
  }
  assert.equal(new Set(latest.getColumn("ride_id").toArray()).size, 35, "all 35 rides");
}

/** Batch answer of the joined query: full outer join on uuid with |Δt| <= 1.5 s, as sorted row keys. */
export function expectedJoin(locations: pl.DataFrame, accelerations: pl.DataFrame): string[] {
  const accByRide = new Map<string, Row[]>();
  for (const a of accelerations.toRecords() as Row[]) {
    const list = accByRide.get(a.uuid as string) ?? [];
    list.push(a);
    accByRide.set(a.uuid as string, list);
  }
  const matchedAcc = new Set<Row>();
  const rows: string[] = [];
  for (const l of locations.toRecords() as Row[]) {
    let matched = false;
    for (const a of accByRide.get(l.uuid as string) ?? []) {
      if (Math.abs(ms(l.timestamp)! - ms(a.timestamp)!) <= WITHIN_MS) {
        matched = true;
        matchedAcc.add(a);
        rows.push(joinKey(l.uuid, l.timestamp, a.timestamp, l, a));
      }
    }
    if (!matched) rows.push(joinKey(l.uuid, l.timestamp, null, l, null));
  }
  for (const list of accByRide.values()) for (const a of list) if (!matchedAcc.has(a)) rows.push(joinKey(a.uuid, null, a.timestamp, null, a));
  return rows.sort();
}

function joinKey(uuid: unknown, lt: unknown, at: unknown, l: Row | null, a: Row | null): string {
  return [uuid, ms(lt), ms(at), l?.speed ?? null, l?.latitude ?? null, l?.longitude ?? null, a?.x ?? null, a?.y ?? null, a?.z ?? null].join("|");
}

export function actualJoin(out: pl.DataFrame): string[] {
  return (out.toRecords() as Row[]).map((r) => joinKey(r.uuid, r.loc_timestamp, r.acc_timestamp, r.loc_timestamp === null ? null : r, r.acc_timestamp === null ? null : r)).sort();
}

/** Rows as sorted JSON lines: equal multisets of rows ⇔ equal arrays. */
export function rowSet(frame: pl.DataFrame): string[] {
  return (frame.toRecords() as Row[]).map((r) => JSON.stringify(r)).sort();
}

/** The BDD sample replayed once into a file stream (speed max, fixed start): the reference input. */
let reference: Promise<{ root: string; input: string; locations: pl.DataFrame; accelerations: pl.DataFrame }> | undefined;
function referenceInput() {
  reference ??= (async () => {
    const root = mkdtempSync(path.join(tmpdir(), "streamlab-query-"));
    await replay({ data: BDD, sinks: new FileSink({ out: root }), speed: "max", start: START });
    const input = path.join(root, "input");
    return { root, input, locations: readTable(input, "locations"), accelerations: readTable(input, "accelerations") };
  })();
  return reference;
}
after(async () => {
  if (reference) rmSync((await reference).root, { recursive: true, force: true });
});

(existsSync(BDD) ? describe : describe.skip)("course queries on the replayed BDD file stream (once)", function () {
  this.timeout(600_000);
  let input: string;
  let output: string;
  let locations: pl.DataFrame;
  let accelerations: pl.DataFrame;

  before(async () => {
    const ref = await referenceInput();
    ({ input, locations, accelerations } = ref);
    output = path.join(ref.root, "output-files");
    assert.equal(locations.height, 478);
    assert.equal(accelerations.height, 23_512);
  });

  it("windowed (through the CLI): the latest row per (ride_id, window_start) equals a plain group-by, for all 35 rides", async () => {
    const { code, out } = await runCli("query", "windowed", "--input", input, "--output", output, "--once");
    assert.equal(code, 0, out);
    assert.match(out, /\[windowed\] batch 0: in locations=\d+/);
    assert.match(out, /query windowed: \d+ batches, input rows locations=478, output rows \d+, rows dropped by the watermark 0, skipped 0/);
    const all = readParquetOutput(path.join(output, "windowed"));
    assert.deepEqual(all.columns, ["ride_id", "window_start", "window_end", "mean_speed", "count", "batch_id"]);
    assertWindowsEqual(readParquetOutput(path.join(output, "windowed"), { latestBy: ["ride_id", "window_start"] }), locations);
  });

  it("windowed with a sliding window (30 s every 15 s) equals the group-by over every window a row falls into", async () => {
    const out = path.join(output, "sliding");
    await windowedQuery({ input, output: out, window: "30 seconds", slide: "15 seconds", trigger: "once" }).awaitTermination();
    const latest = readParquetOutput(path.join(out, "windowed"), { latestBy: ["ride_id", "window_start"] });
    // Each row lands in the two 30 s windows starting at the 15 s boundaries at or before it.
    const ts = locations.getColumn("timestamp").toArray().map((t) => (t as unknown as Date).getTime());
    const exploded = pl.concat([0, 1].map((k) => locations.select("ride_id", "speed").withColumn(pl.Series("ws", ts.map((t) => Math.floor(t / 15_000) * 15_000 - k * 15_000), pl.Float64))));
    const expected = exploded.groupBy(["ride_id", "ws"]).agg(pl.col("speed").mean().alias("mean"), pl.col("speed").count().alias("count"));
    const actual = actualWindows(latest);
    assert.equal(actual.size, expected.height);
    for (const r of expected.toRecords() as Row[]) {
      const a = actual.get(`${r.ride_id}|${r.ws}`);
      assert.ok(a, `window ${r.ride_id}|${r.ws} is in the output`);
      assert.equal(a.count, Number(r.count));
      assert.ok(Math.abs(a.mean - Number(r.mean)) <= 1e-9 * Math.max(1, Math.abs(Number(r.mean))));
      assert.equal(a.end, 30_000);
    }
  });

  it("windowed in complete mode: the last snapshot file is the whole result table", async () => {
    const out = path.join(output, "complete");
    await windowedQuery({ input, output: out, mode: "complete", trigger: "once" }).awaitTermination();
    const dir = path.join(out, "windowed");
    const last = readdirSync(dir).filter((f) => f.endsWith(".parquet")).sort().pop()!;
    const snapshot = pl.readParquet(path.join(dir, last));
    assertWindowsEqual(snapshot, locations);
  });

  it("joined: the output equals a batch full outer join on uuid with |Δt| <= 1.5 s", async () => {
    const summary = await joinedQuery({ input, output, trigger: "once" }).awaitTermination();
    const out = readParquetOutput(path.join(output, "stream-joined"));
    assert.deepEqual(out.columns, ["uuid", "loc_timestamp", "acc_timestamp", "speed", "latitude", "longitude", "x", "y", "z", "batch_id"]);
    const expected = expectedJoin(locations, accelerations);
    assert.equal(out.height, expected.length);
    assert.deepEqual(actualJoin(out), expected);
    assert.equal(summary.outputRows, expected.length);
    assert.equal(summary.rowsDroppedByWatermark, 0);
  });

  it("simple: the output holds every input row exactly once", async () => {
    const summary = await simpleQuery({ input, output, trigger: "once" }).awaitTermination();
    assert.deepEqual(summary.inputRows, { locations: 478, accelerations: 23_512 });
    for (const [table, frame] of [["locations", locations], ["accelerations", accelerations]] as const) {
      const out = readParquetOutput(path.join(output, "simple", table));
      assert.deepEqual(out.columns, frame.columns, `${table}: the input columns, unchanged`);
      assert.deepEqual(rowSet(out), rowSet(frame), `${table}: every row exactly once`);
    }
  });
});

describe("late rows in the file stream", function () {
  this.timeout(120_000);
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function put(input: string, part: string, name: string, offsets: number[], speeds: number[]): void {
    const dir = path.join(input, "locations", part);
    mkdirSync(dir, { recursive: true });
    pl.DataFrame({
      ride_id: offsets.map(() => "ride-1"),
      uuid: offsets.map(() => "u1"),
      timestamp: offsets.map((o) => new Date(START_MS + o * 1000)),
      offset: offsets,
      speed: speeds,
    }).withColumn(pl.col("timestamp").cast(pl.Datetime("ms"))).writeParquet(path.join(dir, name));
  }

  it("drops rows older than the watermark when they arrive, counts them, and never changes a final window", async () => {
    root = mkdtempSync(path.join(tmpdir(), "streamlab-late-"));
    const input = path.join(root, "input");
    for (let t = 0; t <= 90; t += 10) put(input, `t=${String(t).padStart(3, "0")}.0`, "u1.parquet", [t], [t]);
    // Published at t=95 s, when the watermark is already 90 - 30 = 60 s: the rows at 5 s and 7 s are
    // late (their window [0 s, 15 s) is final); the row at 95 s is on time.
    put(input, "t=095.0", "u1.parquet", [5, 7, 95], [1000, 1000, 95]);
    const progress: ProgressRecord[] = [];
    // One micro-batch per partition, as the replay released them: a row is late only relative to
    // the watermark of an earlier batch, so the late rows need a batch of their own.
    const summary = await windowedQuery({ input, output: path.join(root, "output"), trigger: "once", batchPerPartition: true, onProgress: (p) => progress.push(p) }).awaitTermination();
    assert.equal(summary.rowsDroppedByWatermark, 2);
    const lateBatch = progress.find((p) => p.numInputRows.locations === 3)!;
    assert.equal(lateBatch.rowsDroppedByWatermark, 2);
    assert.equal(progress.reduce((n, p) => n + p.rowsDroppedByWatermark, 0), 2);
    const all = readParquetOutput(path.join(root, "output", "windowed"));
    const first = all.toRecords().filter((r: Row) => ms(r.window_start) === START_MS);
    assert.ok(first.length > 0);
    assert.ok(first.every((r: Row) => Number(r.batch_id) < lateBatch.batchId), "the final window is not emitted again by the late batch");
    const latest = readParquetOutput(path.join(root, "output", "windowed"), { latestBy: ["ride_id", "window_start"] });
    const w0 = latest.toRecords().find((r: Row) => ms(r.window_start) === START_MS) as Row;
    assert.deepEqual([Number(w0.mean_speed), Number(w0.count)], [5, 2], "window [0 s, 15 s) keeps the on-time rows only");

    // A stateless query drops nothing: the simple output still holds the late rows.
    const simple = await simpleQuery({ input, output: path.join(root, "output"), trigger: "once" }).awaitTermination();
    assert.equal(simple.rowsDroppedByWatermark, 0);
    assert.equal(readParquetOutput(path.join(root, "output", "simple", "locations")).height, 13);
  });
});

(existsSync(BDD) ? describe : describe.skip)("course queries on the BDD sample replayed into Kafka (once; needs the broker: npm run kafka:start)", function () {
  this.timeout(600_000);
  let prefix: string;
  let out: string;
  let locations: pl.DataFrame;
  let accelerations: pl.DataFrame;

  before(async () => {
    await requireBroker();
    const ref = await referenceInput();
    ({ locations, accelerations } = ref);
    out = path.join(ref.root, "output-kafka");
    prefix = uniquePrefix("Query");
    const sink = new KafkaSink({ bootstrap: bootstrap(), topicPrefix: prefix });
    await replay({ data: BDD, sinks: sink, speed: "max", start: START });
  });
  after(async () => {
    if (prefix === undefined) return;
    const mine = (await listTopics({ bootstrap: bootstrap() })).filter((t) => t.startsWith(`${prefix}-`));
    if (mine.length > 0) await deleteTopics(mine, { bootstrap: bootstrap() });
  });

  it("windowed from Kafka to a Kafka topic: key = ride_id, JSON values whose latest row per window equals the group-by", async () => {
    const summary = await windowedQuery({ source: "kafka", bootstrap: bootstrap(), topicPrefix: prefix, trigger: "once" }).awaitTermination();
    assert.deepEqual(summary.outputs, [`${prefix}-windowed`]);
    assert.deepEqual(summary.inputRows, { locations: 478 });
    const messages = await readTopic(`${prefix}-windowed`, { bootstrap: bootstrap() });
    assert.equal(messages.height, summary.outputRows);
    assert.deepEqual(messages.getColumn("key").toArray(), messages.getColumn("ride_id").toArray(), "key = ride_id");
    const rows = messages.select("ride_id", "window_start", "window_end", "mean_speed", "count", "batch_id");
    const latest = rows.sort("batch_id").unique({ subset: ["ride_id", "window_start"], keep: "last", maintainOrder: true });
    assertWindowsEqual(latest, locations);
  });

  it("joined from Kafka equals the batch full outer join", async () => {
    await joinedQuery({ source: "kafka", bootstrap: bootstrap(), topicPrefix: prefix, sink: "files", output: out, trigger: "once" }).awaitTermination();
    const joined = readParquetOutput(path.join(out, "stream-joined"));
    assert.deepEqual(actualJoin(joined), expectedJoin(locations, accelerations));
  });

  it("simple from Kafka holds every replayed row exactly once", async () => {
    await simpleQuery({ source: "kafka", bootstrap: bootstrap(), topicPrefix: prefix, sink: "files", output: out, trigger: "once" }).awaitTermination();
    for (const [table, frame] of [["locations", locations], ["accelerations", accelerations]] as const) {
      const got = readParquetOutput(path.join(out, "simple", table));
      assert.deepEqual(rowSet(got), rowSet(frame), `${table}: every row exactly once`);
    }
  });
});

if (!existsSync(BDD)) console.warn(`query.test.ts: ${BDD} is missing, so the end-to-end tests on the real data are skipped`);
