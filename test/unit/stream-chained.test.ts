/**
 * Chained aggregations (docs/operators.md, "Chained aggregations"): a second groupBy(...).agg(...) over a
 * windowed aggregation's output is computed over the first one's latest row per group, as Kafka
 * Streams aggregates a KTable. Spark 3.5 accepts such a chain only in append mode with the window
 * carried on (window_time); here update and complete work too, so the tests check each mode
 * against the same computation done in batch over all rows, and the append case of
 * apache/spark sql/core/src/test/scala/org/apache/spark/sql/streaming/MultiStatefulOperatorsSuite.scala
 * with its answers.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { Agg, MemoryStreamSink, MemoryStreamSource, readStream, sessionWindow, window, type OutputMode, type StreamSource } from "../../lib/stream";
import { assertFramesEqual, at, generateRows, rideFrame, rng, runToEnd, shuffleIntoBatches, type Row } from "./stream-fixtures";
import { assertResumes, indexed, writeFileStream } from "./stream-restart";
import { expectRows, rowsOf, seconds, SparkLikeRun } from "./stream-spark-harness";

/** Per 10 s window: how many rides, the mean of their mean speeds, the fastest ride's mean. */
const chain = (src: MemoryStreamSource) => readStream(src).withWatermark("timestamp", "5 seconds")
  .groupBy("ride_id", window("timestamp", "10 seconds")).agg({ mean_speed: Agg.mean("speed") })
  .groupBy("window_start").agg({ rides: pl.len(), mean_of_means: Agg.mean("mean_speed"), top: Agg.max("mean_speed") });

/** The same in batch, over all rows. */
function batchChain(rows: Row[]): pl.DataFrame {
  const first = rideFrame(rows)
    .withColumns(pl.col("timestamp").cast(pl.Int64).div(10_000).floor().mul(10_000).cast(pl.Int64).cast(pl.Datetime("ms")).alias("window_start"))
    .groupBy(["ride_id", "window_start"]).agg(pl.col("speed").mean().alias("mean_speed"));
  return first.groupBy("window_start").agg(pl.len().cast(pl.Int64).alias("rides"), pl.col("mean_speed").mean().alias("mean_of_means"), pl.col("mean_speed").max().alias("top"));
}

async function runChain(mode: OutputMode, seed: number) {
  const rand = rng(seed);
  const rows = generateRows(rand, 5, 90, 1.5);
  const src = new MemoryStreamSource("locations");
  shuffleIntoBatches(rand, rows, 3, 4).forEach((b, i) => src.push(rideFrame(b), i));
  src.end();
  const sink = new MemoryStreamSink();
  const q = await runToEnd(chain(src).writeStream({ mode, sinks: [sink], trigger: "once", batchPerPartition: true }));
  return { rows, sink, q };
}

describe("chained aggregations", function () {
  this.timeout(120_000);

  for (const mode of ["update", "complete", "append"] as const) {
    it(`${mode}: the second aggregation over a windowed one equals the batch computation over all rows`, async () => {
      const { rows, sink, q } = await runChain(mode, { update: 1, complete: 2, append: 3 }[mode]);
      assert.equal(q.totals.rowsDroppedByWatermark, 0);
      const got = mode === "update" ? sink.latest(["window_start"]) : mode === "complete" ? sink.last() : sink.table();
      assertFramesEqual(got.drop("batch_id"), batchChain(rows), ["window_start"]);
      if (mode === "append") {
        assert.equal(sink.table().height, got.height, "each group once");
        assert.ok(sink.outputs.slice(0, -1).some((o) => o.frame.height > 0), "groups are emitted as their window becomes final, not only at the end");
      }
      if (mode !== "complete") {
        const firstLevelGroups = new Set(rows.map((r) => `${r.ride_id}|${Math.floor(r.t / 10)}`)).size;
        assert.ok(Math.max(...q.recentProgress.map((p) => p.stateRows)) < firstLevelGroups, "final windows leave both stages' state");
      }
      if (mode === "update") assert.ok(sink.table().height > got.height, "groups were updated as windows changed");
    });
  }

  it('Spark (MultiStatefulOperatorsSuite): "window agg -> window agg, append mode"', () => {
    const q = readStream(new MemoryStreamSource("in")).withWatermark("eventTime", "0 seconds")
      .groupBy(window("eventTime", "5 seconds")).agg({ count: pl.len() })
      .groupBy(window("window", "10 seconds")).agg({ count: pl.len(), sum: Agg.sum("count") });
    const run = new SparkLikeRun(q, "append");
    const ints = (v: number[]) => pl.DataFrame({ value: v, eventTime: seconds("eventTime", v) });
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
    const cols = ["window_start", "count", "sum"];
    assert.deepEqual(rowsOf(run.addData({ in: ints(range(10, 21)) }), cols), expectRows([10, 2, 10]));
    assert.deepEqual(rowsOf(run.addData({ in: ints(range(10, 29)) }), cols), []);
    // Spark: (20, 2, 12). Spark's windowed aggregation drops a row only once its window is final, so
    // it still counts 20 and 21 at watermark 21; here a row below the watermark is late (20 is).
    assert.equal(run.dropped, 11, "10..20 are below watermark 21");
    assert.deepEqual(rowsOf(run.addData({ in: ints([30, 31]) }), cols), expectRows([20, 2, 11]));
  });

  for (const slide of [undefined, "30 seconds"]) {
    it(`a coarser ${slide ? "sliding" : "tumbling"} window over the first one's windows, in update mode, equals the batch computation`, async () => {
      const rand = rng(slide ? 14 : 13);
      const rows = generateRows(rand, 4, 240, 2);
      const src = new MemoryStreamSource("locations");
      shuffleIntoBatches(rand, rows, 3, 7).forEach((b, i) => src.push(rideFrame(b), i));
      src.end();
      const sink = new MemoryStreamSink();
      await runToEnd(readStream(src).withWatermark("timestamp", "5 seconds")
        .groupBy("ride_id", window("timestamp", "15 seconds")).agg({ mean_speed: Agg.mean("speed") })
        .groupBy("ride_id", window("window", "1 minute", slide)).agg({ windows: pl.len(), best: Agg.max("mean_speed") })
        .writeStream({ mode: "update", sinks: [sink], trigger: "once", batchPerPartition: true }));
      // Batch: 15 s means, then each 15 s window into the minutes holding its last instant.
      const means = new Map<string, { ride: string; end: number; sum: number; n: number }>();
      for (const r of rows) {
        const start = Math.floor(at(r.t).getTime() / 15_000) * 15_000, key = `${r.ride_id}|${start}`;
        const m = means.get(key) ?? { ride: r.ride_id, end: start + 15_000, sum: 0, n: 0 };
        if (r.speed !== null) { m.sum += r.speed; m.n++; }
        means.set(key, m);
      }
      const slideMs = slide ? 30_000 : 60_000;
      const coarse = new Map<string, { windows: number; best: number | null }>();
      for (const m of means.values()) {
        const last = m.end - 1;
        for (let cs = Math.floor(last / slideMs) * slideMs; cs > last - 60_000; cs -= slideMs) {
          const key = `${m.ride}|${cs}`;
          const c = coarse.get(key) ?? { windows: 0, best: null };
          c.windows++;
          if (m.n > 0) c.best = Math.max(c.best ?? -Infinity, m.sum / m.n);
          coarse.set(key, c);
        }
      }
      const want = [...coarse].map(([k, c]) => { const [ride, cs] = k.split("|"); return [ride, Number(cs) / 1000, (Number(cs) + 60_000) / 1000, c.windows, c.best]; });
      const got = sink.latest(["ride_id", "window_start"]);
      assert.deepEqual(rowsOf(got, ["ride_id", "window_start", "window_end", "windows"]), expectRows(...want.map((w) => w.slice(0, 4))));
      for (const r of got.toRecords()) {
        const w = want.find((x) => x[0] === r.ride_id && x[1] === (r.window_start as unknown as Date).getTime() / 1000)!;
        assert.ok(Math.abs(Number(r.best) - Number(w[4])) < 1e-9, `best of ${r.ride_id} ${String(r.window_start)}`);
      }
    });
  }

  it("a first-level row that changes counts once, with its latest value", async () => {
    const src = new MemoryStreamSource("locations");
    src.push(rideFrame([{ ride_id: "a", t: 1, speed: 10 }, { ride_id: "b", t: 2, speed: 40 }]), 0);
    src.push(rideFrame([{ ride_id: "a", t: 3, speed: 20 }]), 1); // a's window mean: 10 → 15
    src.end();
    const sink = new MemoryStreamSink();
    await runToEnd(chain(src).writeStream({ mode: "update", sinks: [sink], trigger: "once", batchPerPartition: true }));
    const [b0, b1] = sink.outputs.map((o) => o.frame.select("rides", "mean_of_means", "top").toRecords());
    assert.deepEqual(b0, [{ rides: 2, mean_of_means: 25, top: 40 }]);
    assert.deepEqual(b1, [{ rides: 2, mean_of_means: 27.5, top: 40 }], "(15 + 40) / 2: a's old mean 10 is replaced, not added");
  });

  it("update: a second key that is a first-level value (a histogram of window sizes): a row moving between groups updates both, an emptied group comes out with count 0", async () => {
    const src = new MemoryStreamSource("locations");
    src.push(rideFrame([{ ride_id: "a", t: 1, speed: 1 }, { ride_id: "b", t: 2, speed: 1 }]), 0);
    src.push(rideFrame([{ ride_id: "a", t: 3, speed: 1 }, { ride_id: "b", t: 4, speed: 1 }]), 1); // both windows: 1 row → 2 rows
    src.push(rideFrame([{ ride_id: "c", t: 5, speed: 1 }]), 2);
    src.end();
    const sink = new MemoryStreamSink();
    await runToEnd(readStream(src).withWatermark("timestamp", "5 seconds")
      .groupBy("ride_id", window("timestamp", "10 seconds")).agg({ n: pl.len(), top: Agg.max("speed") })
      .groupBy("n").agg({ windows: pl.len(), mean_top: Agg.mean("top") })
      .writeStream({ mode: "update", sinks: [sink], trigger: "once", batchPerPartition: true }));
    const batches = sink.outputs.map((o) => rowsOf(o.frame, ["n", "windows", "mean_top"]));
    assert.deepEqual(batches[0], expectRows([1, 2, 1]));
    assert.deepEqual(batches[1], expectRows([1, 0, null], [2, 2, 1]), "group n=1 lost both windows");
    assert.deepEqual(batches[2], expectRows([1, 1, 1]));
    assert.deepEqual(rowsOf(sink.latest(["n"]), ["n", "windows"]), expectRows([1, 1], [2, 2]));
  });

  it("update: a second key without the window (per ride, the best window mean so far) keeps every window's latest value", async () => {
    const rand = rng(7);
    const rows = generateRows(rand, 4, 80, 1);
    const src = new MemoryStreamSource("locations");
    shuffleIntoBatches(rand, rows, 3, 5).forEach((b, i) => src.push(rideFrame(b), i));
    src.end();
    const sink = new MemoryStreamSink();
    const q = await runToEnd(readStream(src).withWatermark("timestamp", "5 seconds")
      .groupBy("ride_id", window("timestamp", "10 seconds")).agg({ mean_speed: Agg.mean("speed") })
      .groupBy("ride_id").agg({ windows: pl.len(), best: Agg.max("mean_speed") })
      .writeStream({ mode: "update", sinks: [sink], trigger: "once", batchPerPartition: true }));
    const first = rideFrame(rows)
      .withColumns(pl.col("timestamp").cast(pl.Int64).div(10_000).floor().alias("w"))
      .groupBy(["ride_id", "w"]).agg(pl.col("speed").mean().alias("m"));
    const want = first.groupBy("ride_id").agg(pl.len().cast(pl.Int64).alias("windows"), pl.col("m").max().alias("best"));
    assertFramesEqual(sink.latest(["ride_id"]).drop("batch_id"), want, ["ride_id"]);
    assert.ok(q.recentProgress.some((p) => p.stateRows > 4 * 3), "the first stage's rows are held for the second");
  });

  for (const coarse of [false, true]) {
    it(`append${coarse ? ", a coarser window" : ""}: a query stopped and started again with its checkpoint emits what an uninterrupted run does`, async () => {
      const root = mkdtempSync(path.join(tmpdir(), "streamlab-chain-"));
      try {
        const rand = rng(12);
        const rows = generateRows(rand, 4, 60, 1);
        writeFileStream(root, "rides", indexed(pl.DataFrame({ ride_id: rows.map((r) => r.ride_id), t: rows.map((r) => r.t), speed: rows.map((r) => r.speed) })), 5);
        const first = (src: StreamSource) => readStream(src).withWatermark("timestamp", "3 seconds")
          .groupBy("ride_id", window("timestamp", "10 seconds")).agg({ mean_speed: Agg.mean("speed") });
        const out = await assertResumes(root, ["rides"], ([src]) => (coarse ? first(src).groupBy(window("window", "20 seconds")) : first(src).groupBy("window_start"))
          .agg({ rides: pl.len(), mean_of_means: Agg.mean("mean_speed") }), "append", ["window_start"], 5);
        assert.equal(out.height, coarse ? 3 : 6);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }

  it("refuses what it cannot define: append without the window in the second key, unknown columns, sessions, a join, a third aggregation", () => {
    const s = () => readStream(new MemoryStreamSource("in")).withWatermark("timestamp", "5 seconds");
    const first = () => s().groupBy("ride_id", window("timestamp", "10 seconds")).agg({ m: Agg.mean("speed") });
    assert.throws(() => first().groupBy("ride_id").agg({ n: pl.len() }).writeStream({ mode: "append", sinks: [new MemoryStreamSink()] }),
      (e: unknown) => isStreamlabError(e, "QUERY") && /add "window_start"/.test(e.message));
    assert.throws(() => first().groupBy("speed"), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /"ride_id", "window_start", "window_end", "m"/.test(e.message));
    assert.throws(() => first().groupBy("window_start").agg({ x: Agg.max("speed") }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /agg\.x/.test(e.message));
    assert.throws(() => first().groupBy(window("window_start", "1 minute")), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /window\("window", size, slide\?\)/.test(e.message));
    assert.throws(() => first().groupBy("window_start", window("window", "1 minute")), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /not both/.test(e.message));
    assert.throws(() => s().groupBy("ride_id").agg({ n: pl.len() }).groupBy(window("window", "1 minute")), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /needs a windowed first aggregation/.test(e.message));
    assert.throws(() => first().groupBy("window_start").agg({ n: pl.len() }).groupBy("n"), (e: unknown) => isStreamlabError(e, "QUERY") && /two aggregations already/.test(e.message));
    assert.throws(() => s().groupBy("ride_id", sessionWindow("timestamp", "5 seconds")).agg({ n: pl.len() }).groupBy("ride_id"), (e: unknown) => isStreamlabError(e, "QUERY") && /sessionWindow/.test(e.message));
    assert.throws(() => s().join(readStream(new MemoryStreamSource("b")), { on: "ride_id" }).groupBy("ride_id"), (e: unknown) => isStreamlabError(e, "QUERY") && /after a join/.test(e.message));
    assert.throws(() => first().filter(pl.col("m").gt(1)).groupBy("ride_id"), (e: unknown) => isStreamlabError(e, "QUERY") && /filter or derive columns before the first groupBy/.test(e.message));
  });
});
