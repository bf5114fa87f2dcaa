/**
 * sessionWindow(column, gap) as a group key. The cases marked "Spark:" are translated from
 * apache/spark sql/core/src/test/scala/org/apache/spark/sql/streaming/StreamingSessionWindowSuite.scala
 * (test names quoted; its `sessionWindowQuery`: lines split into words, each word a session key,
 * `session_window(eventTime, "10 seconds")`, watermark 30 s, `count(*)`), with Spark's answers as
 * (key, start s, end s, duration s, count). Update mode, which Spark refuses for session windows,
 * is checked against complete mode.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { Agg, currentSessions, MemoryStreamSink, MemoryStreamSource, readStream, sessionWindow, window, type OutputMode } from "../../lib/stream";
import { at, rng, runToEnd, shuffleIntoBatches } from "./stream-fixtures";
import { assertResumes, indexed, writeFileStream } from "./stream-restart";
import { batchSessions } from "../helpers/sessions";
import { expectRows, rowsOf, seconds, SparkLikeRun } from "./stream-spark-harness";

const lines = (rows: [string, number][]) => pl.DataFrame({ value: rows.map((r) => r[0]), eventTime: seconds("eventTime", rows.map((r) => r[1])) });

/** Spark's sessionWindowQuery. */
const sessionQuery = () => readStream(new MemoryStreamSource("in")).withWatermark("eventTime", "30 seconds")
  .withColumns(pl.col("value").str.split(" ").alias("sessionId")).transform((f) => f.explode("sessionId"), "explode(sessionId)")
  .groupBy("sessionId", sessionWindow("eventTime", "10 seconds")).agg({ numEvents: pl.len() });

/** Rows as Spark's select: (sessionId, start, end, end - start, numEvents), seconds. */
const sessions = (frame: pl.DataFrame): string[] => frame.height === 0 ? [] : rowsOf(frame.withColumns(
  pl.col("session_start").cast(pl.Int64).div(1000).cast(pl.Int64).alias("s"), pl.col("session_end").cast(pl.Int64).div(1000).cast(pl.Int64).alias("e"),
).withColumns(pl.col("e").sub(pl.col("s")).alias("d")), ["sessionId", "s", "e", "d", "numEvents"]);

describe("sessionWindow", function () {
  this.timeout(120_000);

  it('Spark: "complete mode - session window": sessions grow, merge, and new ones start before and after', () => {
    const run = new SparkLikeRun(sessionQuery(), "complete");
    assert.deepEqual(sessions(run.addData({ in: lines([["hello world spark streaming", 40], ["world hello structured streaming", 41]]) })), expectRows(
      ["hello", 40, 51, 11, 2], ["world", 40, 51, 11, 2], ["streaming", 40, 51, 11, 2], ["spark", 40, 50, 10, 1], ["structured", 41, 51, 10, 1]));
    // placing new sessions "before" previous sessions
    assert.deepEqual(sessions(run.addData({ in: lines([["spark streaming", 25]]) })), expectRows(
      ["spark", 25, 35, 10, 1], ["streaming", 25, 35, 10, 1], ["hello", 40, 51, 11, 2], ["world", 40, 51, 11, 2], ["streaming", 40, 51, 11, 2], ["spark", 40, 50, 10, 1], ["structured", 41, 51, 10, 1]));
    // concatenating multiple previous sessions into one (30 is within 10 s of 25 and of 40: inclusive)
    assert.deepEqual(sessions(run.addData({ in: lines([["spark streaming", 30]]) })), expectRows(
      ["spark", 25, 50, 25, 3], ["streaming", 25, 51, 26, 4], ["hello", 40, 51, 11, 2], ["world", 40, 51, 11, 2], ["structured", 41, 51, 10, 1]));
    // placing new sessions after previous sessions
    assert.deepEqual(sessions(run.addData({ in: lines([["hello apache spark", 60]]) })), expectRows(
      ["spark", 25, 50, 25, 3], ["streaming", 25, 51, 26, 4], ["hello", 40, 51, 11, 2], ["world", 40, 51, 11, 2], ["structured", 41, 51, 10, 1],
      ["hello", 60, 70, 10, 1], ["apache", 60, 70, 10, 1], ["spark", 60, 70, 10, 1]));
    assert.deepEqual(sessions(run.addData({ in: lines([["structured streaming", 90]]) })), expectRows(
      ["spark", 25, 50, 25, 3], ["streaming", 25, 51, 26, 4], ["hello", 40, 51, 11, 2], ["world", 40, 51, 11, 2], ["structured", 41, 51, 10, 1],
      ["hello", 60, 70, 10, 1], ["apache", 60, 70, 10, 1], ["spark", 60, 70, 10, 1], ["structured", 90, 100, 10, 1], ["streaming", 90, 100, 10, 1]));
  });

  it('Spark: "append mode - session window": a session once the watermark passed its end; late rows dropped', () => {
    const run = new SparkLikeRun(sessionQuery(), "append");
    assert.deepEqual(sessions(run.addData({ in: lines([["hello world spark streaming", 40], ["world hello structured streaming", 41]]) })), []);
    assert.deepEqual(sessions(run.addData({ in: lines([["spark streaming", 25]]) })), []);
    assert.deepEqual(sessions(run.addData({ in: lines([["spark streaming", 0]]) })), []);
    assert.equal(run.dropped, 2, "late event below watermark 11: both words dropped");
    assert.deepEqual(sessions(run.addData({ in: lines([["spark streaming", 30]]) })), []);
    assert.deepEqual(sessions(run.addData({ in: lines([["hello apache spark", 60]]) })), []);
    assert.deepEqual(sessions(run.addData({ in: lines([["structured streaming", 90]]) })), expectRows(
      ["spark", 25, 50, 25, 3], ["streaming", 25, 51, 26, 4], ["hello", 40, 51, 11, 2], ["world", 40, 51, 11, 2], ["structured", 41, 51, 10, 1]));
    assert.equal(run.stateRows, 5, "hello/apache/spark at 60, structured/streaming at 90");
  });

  it('Spark: "session window with first/last function" (min and max of the event time)', () => {
    const q = readStream(new MemoryStreamSource("in")).withWatermark("eventTime", "30 seconds")
      .groupBy("value", sessionWindow("eventTime", "10 seconds")).agg({ minTime: Agg.min("eventTime"), maxTime: Agg.max("eventTime") });
    const run = new SparkLikeRun(q, "append");
    const out = ["a 41", "a 42", "a 40", "b 100", "b 101"].map((x) => { const [v, t] = x.split(" "); return run.addData({ in: lines([[v, Number(t)]]) }); });
    const all = out.filter((f) => f.height > 0);
    assert.equal(all.length, 1);
    assert.deepEqual(rowsOf(all[0], ["value", "session_start", "session_end", "minTime", "maxTime"]), expectRows(["a", 40, 52, 40, 42]));
  });

  it("update mode (Spark refuses it): each batch emits the sessions it changed; the rows no later row overlaps are complete mode's table", async () => {
    const inputs: [string, number][][] = [
      [["hello world spark streaming", 40], ["world hello structured streaming", 41]], [["spark streaming", 25]], [["spark streaming", 30]],
      [["hello apache spark", 60]], [["structured streaming", 90]],
    ];
    const runs = Object.fromEntries((["update", "complete"] as OutputMode[]).map((m) => [m, new SparkLikeRun(sessionQuery(), m)]));
    const changed = inputs.map((rows) => { runs.complete.addData({ in: lines(rows) }); return runs.update.addData({ in: lines(rows) }); });
    assert.deepEqual(sessions(changed[2]), expectRows(["spark", 25, 50, 25, 3], ["streaming", 25, 51, 26, 4]), "the merged sessions only");
    const updates = pl.concat(changed.filter((f) => f.height > 0), { how: "vertical" });
    assert.deepEqual(sessions(currentSessions(updates, ["sessionId"])), sessions(runs.complete.outputs.at(-1)!));
  });

  it("currentSessions keeps per key (null included) the rows no later batch overlaps, and names a missing column", () => {
    const t = (s: number) => new Date(s * 1000);
    const updates = pl.DataFrame({
      user: pl.Series("user", ["a", "a", "a", null, null, "b"], pl.Utf8),
      session_start: pl.Series("session_start", [t(0), t(20), t(0), t(0), t(50), t(0)], pl.Datetime("ms")),
      session_end: pl.Series("session_end", [t(10), t(30), t(30), t(10), t(60), t(10)], pl.Datetime("ms")),
      n: [1, 1, 3, 1, 1, 1],
      batch_id: pl.Series("batch_id", [0, 0, 1, 0, 1, 0], pl.Int64),
    });
    assert.deepEqual(rowsOf(currentSessions(updates, ["user"]), ["user", "session_start", "n"]), expectRows(["a", 0, 3], [null, 0, 1], [null, 50, 1], ["b", 0, 1]));
    assert.throws(() => currentSessions(updates.drop("batch_id"), ["user"]), (e: unknown) => isStreamlabError(e, "QUERY") && /currentSessions: column "batch_id" does not exist/.test(e.message));
  });

  for (const mode of ["append", "update"] as const) {
    it(`${mode}: equals sessions computed over all rows at once, on out-of-order data`, async () => {
      const rand = rng(mode === "append" ? 8 : 9);
      const rows: { user: string; t: number; v: number }[] = [];
      for (const user of ["a", "b", "c", "d"]) for (let t = rand() * 5; t < 200; t += rand() < 0.15 ? 8 + rand() * 10 : rand() * 4) rows.push({ user, t: Math.round(t * 1000) / 1000, v: Math.round(rand() * 100) });
      const src = new MemoryStreamSource("clicks");
      shuffleIntoBatches(rand, rows, 4, 6).forEach((b, i) => src.push(pl.DataFrame({ user: b.map((r) => r.user), timestamp: pl.Series("timestamp", b.map((r) => at(r.t)), pl.Datetime("ms")), v: b.map((r) => r.v) }), i));
      src.end();
      const sink = new MemoryStreamSink();
      const q = await runToEnd(readStream(src).withWatermark("timestamp", "5 seconds").groupBy("user", sessionWindow("timestamp", "6 seconds"))
        .agg({ n: pl.len(), total: Agg.sum("v") }).writeStream({ mode, sinks: [sink], trigger: "once", batchPerPartition: true }));
      assert.equal(q.totals.rowsDroppedByWatermark, 0);
      const want = batchSessions(rows.map((r) => ({ key: r.user, ms: at(r.t).getTime(), value: r.v })), 6000);
      assert.ok(want.length > 12, "several sessions per user");
      const got = mode === "append" ? sink.table() : currentSessions(sink.table(), ["user"]);
      assert.deepEqual(rowsOf(got, ["user", "session_start", "session_end", "n", "total"]), expectRows(...want));
      if (mode === "append") assert.equal(sink.table().height, want.length, "each session once");
    });
  }

  it("a query stopped and started again with its checkpoint emits what an uninterrupted run does", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "streamlab-session-"));
    try {
      const t: number[] = [], user: string[] = [];
      for (let i = 0; i < 80; i++) { t.push(i * 0.9 + (i % 17 === 0 ? 9 : 0) + Math.floor(i / 17) * 9); user.push(`u${i % 3}`); }
      writeFileStream(root, "clicks", indexed(pl.DataFrame({ user, t })), 5);
      const out = await assertResumes(root, ["clicks"], ([src]) => readStream(src).withWatermark("timestamp", "4 seconds")
        .groupBy("user", sessionWindow("timestamp", "5 seconds")).agg({ n: pl.len() }), "append", ["user", "session_start"], 4);
      assert.equal((out.getColumn("n").toArray() as number[]).reduce((a, b) => a + Number(b), 0), 80, "every click in one session");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("a session window without other keys (Spark refuses it: \"Global aggregation with session window\") is one session stream", () => {
    const q = readStream(new MemoryStreamSource("in")).withWatermark("eventTime", "10 seconds")
      .groupBy(sessionWindow("eventTime", "5 seconds")).agg({ count: pl.len(), sum: Agg.sum("value") });
    const run = new SparkLikeRun(q, "append");
    const ints = (v: number[]) => pl.DataFrame({ value: pl.Series("value", v, pl.Int64), eventTime: seconds("eventTime", v) });
    assert.deepEqual(rowsOf(run.addData({ in: ints([40, 42, 50, 51]) }), ["session_start", "count"]), []);
    assert.deepEqual(rowsOf(run.addData({ in: ints([70]) }), ["session_start", "session_end", "count", "sum"]), expectRows([40, 47, 2, 82], [50, 56, 2, 101]));
    assert.deepEqual(rowsOf(run.finish(), ["session_start", "session_end", "count", "sum"]), expectRows([70, 75, 1, 70]));
  });

  it("validates the gap, one time key in groupBy, and append mode's need for a watermark", () => {
    assert.throws(() => sessionWindow("t", "0 seconds"), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /gap/.test(e.message));
    assert.throws(() => sessionWindow("", "1s"), (e: unknown) => isStreamlabError(e, "BAD_OPTION"));
    const s = () => readStream(new MemoryStreamSource("in"));
    assert.throws(() => s().groupBy("k", sessionWindow("t", "1s"), window("t", "1s")), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /at most one window or sessionWindow/.test(e.message));
    assert.throws(() => s().groupBy("k", sessionWindow("t", "1s")).agg({ n: pl.len() }).writeStream({ mode: "append", sinks: [new MemoryStreamSink()] }),
      (e: unknown) => isStreamlabError(e, "QUERY") && /needs a watermark/.test(e.message));
    assert.throws(() => s().groupBy("k", sessionWindow("t", "1s")).agg({ session_end: pl.len() }), (e: unknown) => isStreamlabError(e, "BAD_OPTION"));
    assert.throws(() => s().withWatermark("arrival", "1s").groupBy("k", sessionWindow("t", "1s")).agg({ n: pl.len() }).writeStream({ mode: "append", sinks: [new MemoryStreamSink()] }),
      (e: unknown) => isStreamlabError(e, "QUERY") && /the session window on the watermarked column: it is on "t", the watermark on "arrival"/.test(e.message));
  });

  it("a watermark on another column than the session window's says nothing about its sessions: they stay open until the input ends", () => {
    const q = readStream(new MemoryStreamSource("in")).withWatermark("arrival", "1 second")
      .groupBy("k", sessionWindow("t", "5 seconds")).agg({ n: pl.len() });
    const run = new SparkLikeRun(q, "update");
    const rows = (t: number[], arrival: number) => pl.DataFrame({ k: t.map(() => "a"), t: seconds("t", t), arrival: seconds("arrival", t.map(() => arrival)) });
    run.addData({ in: rows([10, 12], 100) });
    run.addData({ in: rows([50], 200) }); // watermark 199 s by arrival: far past the first session's end (17 s)
    assert.equal(run.stateRows, 2, "both sessions held");
    assert.deepEqual(rowsOf(run.addData({ in: rows([14], 300) }), ["session_start", "session_end", "n"]), expectRows([10, 19, 3]), "the first session still grows");
  });
});
