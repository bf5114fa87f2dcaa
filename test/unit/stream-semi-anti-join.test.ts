/**
 * Stream-stream left semi and left anti joins with a time bound. The semi join's Spark case is from
 * apache/spark sql/core/src/test/scala/org/apache/spark/sql/streaming/StreamingJoinSuite.scala,
 * class StreamingLeftSemiJoinSuite, "left semi join with watermark range condition" (key equal and
 * `leftTime BETWEEN rightTime - 5 s AND rightTime + 5 s`, i.e. `within: "5 seconds"`, watermark
 * 10 s on both), with its expected answers. Spark 3.5 refuses a left anti join between two
 * streams, so the anti join is checked against a batch anti join (and is the complement of the
 * semi join).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { MemoryStreamSink, MemoryStreamSource, readStream, type StreamSource } from "../../lib/stream";
import { at, rng, runToEnd, shuffleIntoBatches } from "./stream-fixtures";
import { assertResumes, indexed, writeFileStream } from "./stream-restart";
import { expectRows, rowsOf, seconds, SparkLikeRun } from "./stream-spark-harness";

/** Spark's setupJoinWithRangeCondition: (key, time) → key, time as event time, value = key * 2 (left) or * 3 (right). */
const side = (factor: number) => (rows: [number, number][]) => pl.DataFrame({
  key: pl.Series("key", rows.map((r) => r[0]), pl.Int64),
  time: seconds("time", rows.map((r) => r[1])),
  value: pl.Series("value", rows.map((r) => r[0] * factor), pl.Int64),
});
const left = side(2), right = side(3);

const rangeJoin = (how: "leftSemi" | "leftAnti") => readStream(new MemoryStreamSource("left")).withWatermark("time", "10 seconds")
  .join(readStream(new MemoryStreamSource("right")).withWatermark("time", "10 seconds"), { on: "key", within: "5 seconds", how });

describe("left semi and left anti stream-stream joins", function () {
  this.timeout(120_000);

  it('Spark: "left semi join with watermark range condition": a left row once, when its first match arrives', () => {
    const run = new SparkLikeRun(rangeJoin("leftSemi"), "append");
    const cols = ["key", "time"];
    assert.deepEqual(rowsOf(run.addData({ left: left([[1, 5], [3, 5]]) }), cols), []);
    assert.deepEqual(rowsOf(run.addData({ right: right([[1, 10], [2, 5]]) }), cols), expectRows([1, 5]));
    // Spark holds 4 rows here (it keeps the matched (1, 5) until the watermark passes it); a matched
    // left row can never be emitted again, so it is dropped at once here: (3, 5) + two right rows.
    assert.equal(run.stateRows, 3);
    assert.deepEqual(rowsOf(run.addData({ right: right([[1, 9]]) }), cols), [], "no match: (1, 5) was matched already");
    assert.deepEqual(rowsOf(run.addData({ left: left([[1, 7], [1, 30]]) }), cols), expectRows([1, 7]));
    assert.deepEqual(rowsOf(run.addData({ right: right([[0, 30]]) }), cols), []);
    assert.equal(run.stateRows, 2, "Spark: 2, left (1, 30) and right (0, 30); the rest is below watermark 20");
    assert.deepEqual(run.outputs.find((f) => f.height > 0)!.columns, ["key", "time", "value", "batch_id"], "the left columns only, as they were");
  });

  it("left anti, the same input: a left row without a match once the watermark passes its time + within, and every one left at the end", () => {
    const run = new SparkLikeRun(rangeJoin("leftAnti"), "append");
    const cols = ["key", "time"];
    assert.deepEqual(rowsOf(run.addData({ left: left([[1, 5], [3, 5]]) }), cols), []);
    assert.deepEqual(rowsOf(run.addData({ right: right([[1, 10], [2, 5]]) }), cols), []);
    assert.deepEqual(rowsOf(run.addData({ right: right([[1, 9]]) }), cols), []);
    assert.deepEqual(rowsOf(run.addData({ left: left([[1, 7], [1, 30]]) }), cols), [], "watermark 0: (3, 5) could still meet a right row up to 10 s");
    assert.deepEqual(rowsOf(run.addData({ right: right([[0, 30]]) }), cols), expectRows([3, 5]), "watermark 20 > 5 + 5");
    assert.deepEqual(rowsOf(run.finish(), cols), expectRows([1, 30]), "end of input");
  });

  for (const how of ["leftSemi", "leftAnti"] as const) {
    it(`${how}: equals a batch ${how === "leftSemi" ? "semi" : "anti"} join on out-of-order data, each left row once`, async () => {
      const rand = rng(how === "leftSemi" ? 3 : 4);
      const lefts: { uuid: string; t: number; id: number }[] = [], rights: { uuid: string; t: number }[] = [];
      for (const uuid of ["u1", "u2", "u3"]) {
        for (let t = rand() * 3; t < 90; t += 1 + 2 * rand()) lefts.push({ uuid, t: Math.round(t * 1000) / 1000, id: lefts.length });
        for (let t = rand() * 3; t < 90; t += 0.5 + 3 * rand()) if (Math.floor(t / 15) % 2 === 0 || uuid !== "u2") rights.push({ uuid, t: Math.round(t * 1000) / 1000 });
      }
      lefts.push({ ...lefts[5], id: lefts.length }); // an identical twin: emitted twice, as each left row is
      const frame = (rows: { uuid: string; t: number; id?: number }[], withId: boolean) => pl.DataFrame({
        uuid: rows.map((r) => r.uuid), timestamp: pl.Series("timestamp", rows.map((r) => at(r.t)), pl.Datetime("ms")),
        ...(withId ? { id: pl.Series("id", rows.map((r) => r.id ?? 0), pl.Int64) } : {}),
      });
      const l = new MemoryStreamSource("l"), r = new MemoryStreamSource("r");
      shuffleIntoBatches(rand, lefts, 3, 5).forEach((b, i) => l.push(frame(b, true), i));
      shuffleIntoBatches(rand, rights, 3, 5).forEach((b, i) => r.push(frame(b, false), i));
      l.end(); r.end();
      const sink = new MemoryStreamSink();
      const q = await runToEnd(readStream(l).withWatermark("timestamp", "5 seconds").join(readStream(r).withWatermark("timestamp", "5 seconds"), { on: "uuid", within: "1 second", how })
        .writeStream({ sinks: [sink], trigger: "once", batchPerPartition: true }));
      assert.equal(q.totals.rowsDroppedByWatermark, 0);
      const matches = (x: { uuid: string; t: number }) => rights.some((y) => y.uuid === x.uuid && Math.abs(at(x.t).getTime() - at(y.t).getTime()) <= 1000);
      const want = lefts.filter((x) => matches(x) === (how === "leftSemi")).map((x) => x.id).sort((a, b) => a - b);
      assert.ok(want.length > 10 && want.length < lefts.length - 10, "both matched and unmatched rows");
      assert.deepEqual((sink.table().getColumn("id").toArray() as number[]).sort((a, b) => a - b), want);
      assert.deepEqual(sink.table().columns, ["uuid", "timestamp", "id", "batch_id"]);
    });
  }

  for (const how of ["leftSemi", "leftAnti"] as const) {
    it(`${how}: a query stopped and started again with its checkpoint emits what an uninterrupted run does`, async () => {
      const root = mkdtempSync(path.join(tmpdir(), "streamlab-semi-"));
      try {
        const n = 60;
        writeFileStream(root, "trips", indexed(pl.DataFrame({ uuid: Array.from({ length: n }, (_, i) => `u${i % 4}`), t: Array.from({ length: n }, (_, i) => i), id: Array.from({ length: n }, (_, i) => i) })), 6);
        // Fixes for some seconds only: trips in the other seconds have no match. Fixes come in
        // smaller partitions, so they fall behind the trips: trips wait in the state for them.
        const fixes = Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 < 3);
        writeFileStream(root, "fixes", indexed(pl.DataFrame({ uuid: fixes.map((i) => `u${i % 4}`), t: fixes.map((i) => i + 0.4) })), 4);
        const build = ([a, b]: StreamSource[]) => readStream(a).withWatermark("timestamp", "3 seconds")
          .join(readStream(b).withWatermark("timestamp", "3 seconds"), { on: "uuid", within: "0.5 seconds", how }).select("id");
        const out = await assertResumes(root, ["trips", "fixes"], build, "append", ["id"], 4);
        assert.equal(out.height, how === "leftSemi" ? 36 : 24);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }

  it("a left anti join needs a watermark on both inputs; a semi join does not; Spark's spellings are accepted", () => {
    const s = (name: string) => readStream(new MemoryStreamSource(name));
    assert.throws(() => s("a").join(s("b"), { on: "k", how: "leftAnti" }), (e: unknown) => isStreamlabError(e, "QUERY") && /a left anti join needs withWatermark on both inputs \(missing on "a"\)/.test(e.message));
    assert.doesNotThrow(() => s("a").join(s("b"), { on: "k", how: "left_semi" }));
    assert.throws(() => s("a").join(s("b"), { on: "k", how: "semi" as never }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /"leftSemi" or "leftAnti"/.test(e.message));
  });
});
