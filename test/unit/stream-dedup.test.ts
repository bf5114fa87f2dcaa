/**
 * dropDuplicates (semantics.md, "Deduplication"). The cases marked "Spark:" are translated from
 * apache/spark sql/core/src/test/scala/org/apache/spark/sql/streaming/StreamingDeduplicationSuite.scala
 * (test names quoted; one from MultiStatefulOperatorsSuite.scala beside it), with Spark's expected
 * answers. One documented difference: Spark drops a row whose event time equals the watermark as
 * late and evicts state at the watermark; here a row is late only below it (semantics.md,
 * "Watermark"), so a key exactly at the watermark is kept one batch longer. Where a Spark case
 * touches that boundary, the test says so.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { Agg, MemoryStreamSink, MemoryStreamSource, readStream, window } from "../../lib/stream";
import { at, runToEnd } from "./stream-fixtures";
import { assertResumes, indexed, tableSource, writeFileStream } from "./stream-restart";
import { expectRows, rowsOf, seconds, SparkLikeRun } from "./stream-spark-harness";

/** Spark's `MemoryStream[Int]` with `eventTime = timestamp_seconds(value)`. */
const ints = (values: number[]) => pl.DataFrame({ value: pl.Series("value", values, pl.Int64), eventTime: seconds("eventTime", values) });
const pairs = (rows: [string, number][]) => pl.DataFrame({ _1: pl.Series("_1", rows.map((r) => r[0]), pl.Utf8), _2: pl.Series("_2", rows.map((r) => r[1]), pl.Int64) });
const repeat = <T>(n: number, xs: T[]): T[] => Array.from({ length: n }, () => xs).flat();

describe("dropDuplicates", function () {
  this.timeout(60_000);

  it('Spark: "deduplicate with all columns"', () => {
    const run = new SparkLikeRun(readStream(new MemoryStreamSource("in")).dropDuplicates(), "append");
    const strings = (v: string) => pl.DataFrame({ value: [v] });
    assert.deepEqual(rowsOf(run.addData({ in: strings("a") }), ["value"]), expectRows(["a"]));
    assert.equal(run.stateRows, 1);
    assert.deepEqual(rowsOf(run.addData({ in: strings("a") }), ["value"]), []);
    assert.equal(run.stateRows, 1);
    assert.deepEqual(rowsOf(run.addData({ in: strings("b") }), ["value"]), expectRows(["b"]));
    assert.equal(run.stateRows, 2);
  });

  it('Spark: "deduplicate with some columns" (the first row of a key is kept, whole)', () => {
    const run = new SparkLikeRun(readStream(new MemoryStreamSource("in")).dropDuplicates(["_1"]), "append");
    assert.deepEqual(rowsOf(run.addData({ in: pairs([["a", 1]]) }), ["_1", "_2"]), expectRows(["a", 1]));
    assert.deepEqual(rowsOf(run.addData({ in: pairs([["a", 2]]) }), ["_1", "_2"]), []);
    assert.equal(run.stateRows, 1);
    assert.deepEqual(rowsOf(run.addData({ in: pairs([["b", 1]]) }), ["_1", "_2"]), expectRows(["b", 1]));
    assert.equal(run.stateRows, 2);
  });

  it('Spark: "deduplicate with watermark": state is evicted behind the watermark, late duplicates dropped', () => {
    const run = new SparkLikeRun(readStream(new MemoryStreamSource("in")).withWatermark("eventTime", "10 seconds").dropDuplicates().select("value"), "append");
    assert.deepEqual(rowsOf(run.addData({ in: ints(repeat(5, [10, 11, 12, 13, 14, 15])) }), ["value"]), expectRows([10], [11], [12], [13], [14], [15]));
    assert.equal(run.stateRows, 6);
    assert.deepEqual(rowsOf(run.addData({ in: ints([25]) }), ["value"]), expectRows([25])); // watermark → 15
    // Spark: 1 (it evicts keys <= 15); here keys < 15 go, so 15 stays until the watermark passes it.
    assert.equal(run.stateRows, 2);
    assert.deepEqual(rowsOf(run.addData({ in: ints([10]) }), ["value"]), []);
    assert.equal(run.dropped, 1, "10 is below the watermark: dropped as late");
    assert.deepEqual(rowsOf(run.addData({ in: ints([45]) }), ["value"]), expectRows([45])); // watermark → 35
    assert.equal(run.stateRows, 1);
  });

  it('Spark: "deduplicate with aggregate - append mode"', () => {
    const q = readStream(new MemoryStreamSource("in")).withWatermark("eventTime", "10 seconds").dropDuplicates()
      .groupBy(window("eventTime", "5 seconds")).agg({ count: pl.len() });
    const run = new SparkLikeRun(q, "append");
    const cols = ["window_start", "count"];
    assert.deepEqual(rowsOf(run.addData({ in: ints(repeat(5, [10, 11, 12, 13, 14, 15])) }), cols), []);
    assert.equal(run.stateRows, 2 + 6, "2 windows + 6 keys");
    assert.deepEqual(rowsOf(run.addData({ in: ints([25]) }), cols), expectRows([10, 5]));
    assert.deepEqual(rowsOf(run.addData({ in: ints([10]) }), cols), []);
    assert.equal(run.dropped, 1);
    assert.deepEqual(rowsOf(run.addData({ in: ints([40]) }), cols), expectRows([15, 1], [25, 1]));
  });

  it('Spark (MultiStatefulOperatorsSuite): "stream deduplication -> aggregation, append mode"', () => {
    const q = readStream(new MemoryStreamSource("in")).withWatermark("eventTime", "10 seconds").dropDuplicates(["value", "eventTime"])
      .groupBy(window("eventTime", "5 seconds")).agg({ count: pl.len(), sum: Agg.sum("value") });
    const run = new SparkLikeRun(q, "append");
    assert.deepEqual(rowsOf(run.addData({ in: ints(Array.from({ length: 15 }, (_, i) => i + 1)) }), ["window_start", "count"]), expectRows([0, 4]));
    // Spark: 3 windows + 10 keys (6..15); here the key at the watermark (5) stays one batch longer.
    assert.equal(run.stateRows, 3 + 11);
  });

  for (const mode of ["update", "complete"] as const) {
    it(`Spark: "deduplicate with aggregate - ${mode} mode"`, () => {
      const q = readStream(new MemoryStreamSource("in")).rename({ _1: "str", _2: "num" }).dropDuplicates().groupBy("str").agg({ sum: Agg.sum("num") });
      const run = new SparkLikeRun(q, mode);
      const cols = ["str", "sum"];
      assert.deepEqual(rowsOf(run.addData({ in: pairs([["a", 1]]) }), cols), expectRows(["a", 1]));
      assert.deepEqual(rowsOf(run.addData({ in: pairs([["a", 1]]) }), cols), mode === "update" ? [] : expectRows(["a", 1]));
      assert.deepEqual(rowsOf(run.addData({ in: pairs([["a", 2]]) }), cols), expectRows(["a", 3]));
      assert.deepEqual(rowsOf(run.addData({ in: pairs([["b", 1]]) }), cols), mode === "update" ? expectRows(["b", 1]) : expectRows(["a", 3], ["b", 1]));
    });
  }

  it('Spark: "SPARK-19841: watermarkPredicate should filter based on keys" (keys in any order)', () => {
    const rows = (r: [number, number][]) => pl.DataFrame({ time: seconds("time", r.map((x) => x[0])), id: pl.Series("id", r.map((x) => x[1]), pl.Int64) });
    const run = new SparkLikeRun(readStream(new MemoryStreamSource("in")).withWatermark("time", "1 second").dropDuplicates(["id", "time"]).select("id"), "append");
    assert.deepEqual(rowsOf(run.addData({ in: rows([[1, 1], [1, 1], [1, 2]]) }), ["id"]), expectRows([1], [2]));
    assert.deepEqual(rowsOf(run.addData({ in: rows([[1, 1], [2, 3], [2, 4]]) }), ["id"]), expectRows([3], [4]));
    // Spark: CheckNewAnswer(5, 6), dropping (1 -> 0) and (1 -> 1) as late at watermark 1. Here time 1
    // is at the watermark, not below it: (1 -> 1) is still a held key (a duplicate), (1 -> 0) is new.
    assert.deepEqual(rowsOf(run.addData({ in: rows([[1, 0], [1, 1], [3, 5], [3, 6]]) }), ["id"]), expectRows([0], [5], [6]));
    assert.deepEqual(rowsOf(run.addData({ in: rows([[1, 0], [4, 7]]) }), ["id"]), expectRows([7]), "watermark 2: (1 -> 0) is late now");
    assert.equal(run.dropped, 1);
  });

  it('Spark: "SPARK-21546: dropDuplicates should ignore watermark when it\'s not a key": state grows', () => {
    const rows = (r: [number, number][]) => pl.DataFrame({ id: pl.Series("id", r.map((x) => x[0]), pl.Int64), time: seconds("time", r.map((x) => x[1])) });
    const run = new SparkLikeRun(readStream(new MemoryStreamSource("in")).withWatermark("time", "1 second").dropDuplicates("id"), "append");
    assert.deepEqual(rowsOf(run.addData({ in: rows([[1, 1], [1, 2], [2, 2]]) }), ["id", "time"]), expectRows([1, 1], [2, 2]));
    // Beyond Spark's case: keys are never evicted, however far the watermark moves.
    assert.deepEqual(rowsOf(run.addData({ in: rows([[3, 100], [1, 100]]) }), ["id", "time"]), expectRows([3, 100]));
    assert.deepEqual(rowsOf(run.addData({ in: rows([[2, 200], [4, 200]]) }), ["id", "time"]), expectRows([4, 200]));
    assert.equal(run.stateRows, 4);
  });

  it("treats null as a key value (as Spark's grouping does) and keeps the first row of a key within a batch", () => {
    const run = new SparkLikeRun(readStream(new MemoryStreamSource("in")).dropDuplicates("k"), "append");
    const f = (k: (string | null)[], v: number[]) => pl.DataFrame({ k: pl.Series("k", k, pl.Utf8), v: pl.Series("v", v, pl.Int64) });
    assert.deepEqual(rowsOf(run.addData({ in: f([null, "a", null, "a"], [1, 2, 3, 4]) }), ["k", "v"]), expectRows([null, 1], ["a", 2]));
    assert.deepEqual(rowsOf(run.addData({ in: f([null, "b"], [5, 6]) }), ["k", "v"]), expectRows(["b", 6]));
  });

  it("runs in a query: output has the input's columns (no batch_id), progress counts the keys held and the late rows", async () => {
    const src = new MemoryStreamSource("in");
    const t = (s: number[]) => pl.DataFrame({ id: s.map((x) => `e${x}`), timestamp: pl.Series("timestamp", s.map((x) => at(x)), pl.Datetime("ms")) });
    src.push(t([1, 1, 2]), 0).push(t([2, 30]), 1).push(t([1, 31]), 2).end();
    const sink = new MemoryStreamSink();
    const q = await runToEnd(readStream(src).withWatermark("timestamp", "5 seconds").dropDuplicates(["id", "timestamp"])
      .writeStream({ sinks: [sink], trigger: "once" }));
    assert.deepEqual(sink.table().columns, ["id", "timestamp"]);
    assert.deepEqual(rowsOf(sink.table(), ["id"]), expectRows(["e1"], ["e2"], ["e30"], ["e31"]));
    assert.deepEqual(q.recentProgress.map((p) => p.stateRows), [2, 3, 2], "e1, e2; + e30; + e31, then e1 and e2 evicted under watermark 25 s");
    assert.equal(q.totals.rowsDroppedByWatermark, 1, "e1 at 1 s arrives under watermark 25 s");
  });

  it("validates its columns and where it may stand", () => {
    const s = () => readStream(new MemoryStreamSource("in"));
    assert.throws(() => s().dropDuplicates(["a", ""]), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /dropDuplicates\[1\]/.test(e.message));
    assert.throws(() => s().dropDuplicates(["a", "a"]), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /distinct/.test(e.message));
    assert.throws(() => s().groupBy("a").agg({ n: pl.len() }).dropDuplicates(), (e: unknown) => isStreamlabError(e, "QUERY") && /before groupBy/.test(e.message));
    assert.throws(() => s().dropDuplicates().withWatermark("t", "1s"), (e: unknown) => isStreamlabError(e, "QUERY") && /withWatermark must come before/.test(e.message));
    assert.throws(() => s().dropDuplicates().filter(pl.col("a").gt(0)).groupBy("a"), (e: unknown) => isStreamlabError(e, "QUERY") && /put stateless steps before dropDuplicates/.test(e.message));
    assert.throws(() => s().dropDuplicates().writeStream({ mode: "complete", sinks: [new MemoryStreamSink()] }), (e: unknown) => isStreamlabError(e, "QUERY") && /complete mode needs an aggregation/.test(e.message));
  });

  it("names a missing key column", () => {
    const run = new SparkLikeRun(readStream(new MemoryStreamSource("in")).dropDuplicates("uuid"), "append");
    assert.throws(() => run.addData({ in: pl.DataFrame({ id: ["a"] }) }), (e: unknown) => isStreamlabError(e, "QUERY") && /dropDuplicates: column "uuid" does not exist; the input has columns "id"/.test(e.message));
  });
});

describe("dropDuplicates: stop and resume", function () {
  this.timeout(120_000);
  let root: string;
  beforeEach(() => { root = mkdtempSync(path.join(tmpdir(), "streamlab-dedup-")); });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("a query stopped and started again with its checkpoint emits each key once, as an uninterrupted run", async () => {
    // Events re-sent up to 20 s later (at-least-once delivery): the same id with the same event time.
    const ids: string[] = [], t: number[] = [], sent: number[] = [];
    for (let i = 0; i < 40; i++) for (const resend of [0, 4 + (i % 3) * 7]) { ids.push(`e${i}`); t.push(i * 1.5); sent.push(i * 1.5 + resend); }
    const frame = indexed(pl.DataFrame({ id: ids, t: sent, event_s: t }))
      .withColumns(pl.col("event_s").mul(1000).add(at(0).getTime()).cast(pl.Int64).cast(pl.Datetime("ms")).alias("event_time"));
    writeFileStream(root, "events", frame, 6);
    const out = await assertResumes(root, ["events"], ([src]) => readStream(src).withWatermark("event_time", "30 seconds").dropDuplicates(["id", "event_time"]).select("id", "event_time"), "append", ["id"]);
    assert.equal(out.height, 40, "each event once");
  });

  it("refuses to resume a checkpoint written with other dropDuplicates keys, naming them", async () => {
    writeFileStream(root, "events", indexed(pl.DataFrame({ id: ["a", "b", "a"], t: [1, 2, 7] })), 5);
    const checkpointLocation = path.join(root, "_ckpt");
    const run = (keys: string[]) => readStream(tableSource(root, "events")).dropDuplicates(keys)
      .writeStream({ sinks: [new MemoryStreamSink()], trigger: "once", checkpointLocation }).start().awaitTermination();
    await run(["id"]);
    await assert.rejects(run(["id", "timestamp"]), (e: unknown) => isStreamlabError(e, "CHECKPOINT") && /dedup\.1: none in the checkpoint, "timestamp" now/.test(e.message));
  });
});
