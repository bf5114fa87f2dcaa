import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { Agg, MemoryStreamSink, MemoryStreamSource, parseAggregation, readStream, window, windowsOf, type OutputMode } from "../../lib/stream";
import { assertFramesEqual, at, BASE_MS, generateRows, msOf, rideFrame, rng, runToEnd, shuffleIntoBatches, type Row } from "./stream-fixtures";

/** A windowed mean/count query over `batches` (one micro-batch each, via partition times). */
function windowedQuery(batches: Row[][], mode: OutputMode, opts: { watermark?: string; size?: string; slide?: string } = {}) {
  const src = new MemoryStreamSource("locations");
  batches.forEach((rows, i) => src.push(rideFrame(rows), i));
  const sink = new MemoryStreamSink();
  const query = readStream(src)
    .withWatermark("timestamp", opts.watermark ?? "30 seconds")
    .groupBy(pl.col("ride_id"), window("timestamp", opts.size ?? "15 seconds", opts.slide))
    .agg({ mean_speed: pl.col("speed").mean(), count: pl.col("speed").count() })
    .writeStream({ mode, sinks: [sink], trigger: "once" });
  return { query, sink };
}

/** The batch answer, computed the plain way: JS window assignment, then a polars group-by. */
function batchWindowed(rows: Row[], sizeS: number, slideS = sizeS): pl.DataFrame {
  const spec = window("timestamp", sizeS * 1000, slideS * 1000);
  const exploded = rows.flatMap((r) => windowsOf(at(r.t).getTime(), spec).map(([s, e]) => ({ ...r, ws: s, we: e })));
  const frame = pl.DataFrame({
    ride_id: exploded.map((r) => r.ride_id),
    window_start: pl.Series("window_start", exploded.map((r) => new Date(r.ws)), pl.Datetime("ms")),
    window_end: pl.Series("window_end", exploded.map((r) => new Date(r.we)), pl.Datetime("ms")),
    speed: pl.Series("speed", exploded.map((r) => r.speed), pl.Float64),
  });
  return frame.groupBy(["ride_id", "window_start", "window_end"]).agg(pl.col("speed").mean().alias("mean_speed"), pl.col("speed").count().cast(pl.Int64).alias("count"));
}

const key = ["ride_id", "window_start"];

describe("stream windowed aggregation", function () {
  this.timeout(120_000);

  it("produces the course's windowed schema: ride_id, window_start, window_end, mean_speed, count, batch_id", async () => {
    const { query, sink } = windowedQuery([[{ ride_id: "a", t: 1, speed: 2 }, { ride_id: "a", t: 2, speed: null }]], "update");
    await runToEnd(query);
    const out = sink.table();
    assert.deepEqual(out.columns, ["ride_id", "window_start", "window_end", "mean_speed", "count", "batch_id"]);
    const [row] = out.toRecords();
    assert.equal(row.mean_speed, 2);
    assert.equal(Number(row.count), 1, "count counts non-null speeds");
    assert.equal(msOf(row.window_start), BASE_MS);
    assert.equal(msOf(row.window_end), BASE_MS + 15_000);
  });

  it("update mode: the latest row per (ride_id, window_start) equals a batch group-by, on out-of-order data (tumbling)", async () => {
    const rand = rng(7);
    const rows = generateRows(rand, 4, 240, 1.5);
    const batches = shuffleIntoBatches(rand, rows, 20, 5); // disorder 20 s < watermark 30 s
    const { query, sink } = windowedQuery(batches, "update");
    await runToEnd(query);
    assert.equal(query.totals.rowsDroppedByWatermark, 0);
    assertFramesEqual(sink.latest(key).drop("batch_id"), batchWindowed(rows, 15), key);
    assert.ok(sink.outputs.length > 10, "ran many micro-batches");
  });

  it("update mode equals a batch group-by with sliding windows too", async () => {
    const rand = rng(11);
    const rows = generateRows(rand, 3, 120, 2);
    const batches = shuffleIntoBatches(rand, rows, 10, 4);
    const { query, sink } = windowedQuery(batches, "update", { size: "30 seconds", slide: "10 seconds", watermark: "15 seconds" });
    await runToEnd(query);
    assert.equal(query.totals.rowsDroppedByWatermark, 0);
    assertFramesEqual(sink.latest(key).drop("batch_id"), batchWindowed(rows, 30, 10), key);
  });

  it("update mode emits only the rows that changed in a micro-batch", async () => {
    const { query, sink } = windowedQuery([
      [{ ride_id: "a", t: 1, speed: 1 }, { ride_id: "b", t: 1, speed: 5 }],
      [{ ride_id: "a", t: 2, speed: 3 }],
    ], "update");
    await runToEnd(query);
    const second = sink.outputs[1].frame.toRecords();
    assert.deepEqual(second.map((r) => [r.ride_id, r.mean_speed, Number(r.count), Number(r.batch_id)]), [["a", 2, 2, 1]]);
  });

  it("append mode emits each window exactly once, when final, with its final value", async () => {
    const rand = rng(3);
    const rows = generateRows(rand, 3, 200, 1);
    const batches = shuffleIntoBatches(rand, rows, 8, 5);
    const { query, sink } = windowedQuery(batches, "append", { watermark: "10 seconds" });
    await runToEnd(query);
    const out = sink.table();
    assert.equal(out.select("ride_id", "window_start").unique().height, out.height, "no window emitted twice");
    assertFramesEqual(out.drop("batch_id"), batchWindowed(rows, 15), key);
    // emitted windows end at or before the watermark in force in their batch
    for (const o of sink.outputs) {
      const wm = query.recentProgress.find((p) => p.batchId === o.batchId)!.watermark;
      for (const r of o.frame.toRecords()) assert.ok(wm === "+infinity" || msOf(r.window_end) <= Date.parse(wm!), `window emitted before final in batch ${o.batchId}`);
    }
    assert.ok(sink.outputs.some((o) => o.frame.height > 0 && query.recentProgress[o.batchId].watermark !== "+infinity"), "some windows were emitted before the end-of-input flush");
  });

  it("complete mode emits the whole result table after each micro-batch", async () => {
    const batches: Row[][] = [
      [{ ride_id: "a", t: 1, speed: 1 }],
      [{ ride_id: "b", t: 100, speed: 4 }],
      [{ ride_id: "a", t: 200, speed: 6 }],
    ];
    const { query, sink } = windowedQuery(batches, "complete", { watermark: "5 seconds" });
    await runToEnd(query);
    const heights = sink.outputs.map((o) => o.frame.height);
    assert.deepEqual(heights, [1, 2, 3], "windows are not evicted in complete mode, every batch repeats the table");
    assertFramesEqual(sink.last().drop("batch_id"), batchWindowed(batches.flat(), 15), key);
  });

  it("drops late rows, counts them, and never changes a final window", async () => {
    const batches: Row[][] = [
      [{ ride_id: "a", t: 1, speed: 10 }, { ride_id: "a", t: 40, speed: 20 }], // watermark after: 40 - 10 = 30
      [{ ride_id: "a", t: 2, speed: 1000 }, { ride_id: "a", t: 41, speed: 30 }], // t=2 is late (2 < 30)
    ];
    for (const mode of ["append", "update"] as const) {
      const { query, sink } = windowedQuery(batches, mode, { watermark: "10 seconds" });
      await runToEnd(query);
      assert.equal(query.recentProgress[1].rowsDroppedByWatermark, 1, mode);
      assert.equal(query.totals.rowsDroppedByWatermark, 1, mode);
      const first = sink.table().filter(pl.col("window_start").eq(pl.lit(at(0)))).toRecords();
      assert.ok(first.length >= 1, mode);
      for (const r of first) assert.equal(r.mean_speed, 10, `${mode}: the late row changed a final window`);
    }
  });

  it("keeps exact means and several aggregations at once across batches", async () => {
    const src = new MemoryStreamSource("s");
    const rows: Row[] = [{ ride_id: "a", t: 1, speed: 1 }, { ride_id: "a", t: 2, speed: 2 }, { ride_id: "a", t: 3, speed: 6 }, { ride_id: "a", t: 4, speed: null }];
    rows.forEach((r, i) => src.push(rideFrame([r]), i)); // one row per batch: averaging averages would be wrong
    const sink = new MemoryStreamSink();
    const q = readStream(src).groupBy("ride_id")
      .agg({ mean: Agg.mean("speed"), total: pl.col("speed").sum(), n: Agg.count("speed"), rows: pl.len(), lo: Agg.min("speed"), hi: pl.col("speed").max() })
      .writeStream({ mode: "complete", sinks: [sink], trigger: "once" });
    await runToEnd(q);
    const [r] = sink.last().toRecords();
    assert.deepEqual({ ...r, n: Number(r.n), rows: Number(r.rows), batch_id: Number(r.batch_id) }, { ride_id: "a", mean: 3, total: 9, n: 3, rows: 4, lo: 1, hi: 6, batch_id: 3 });
  });

  it("rejects aggregations that cannot be merged across batches, naming the output column", () => {
    assert.throws(() => parseAggregation("med", pl.col("speed").median()), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "agg.med");
    assert.throws(() => readStream(new MemoryStreamSource("s")).groupBy("ride_id").agg({}), (e: unknown) => isStreamlabError(e, "BAD_OPTION"));
    assert.throws(() => readStream(new MemoryStreamSource("s")).groupBy("ride_id").agg({ ride_id: Agg.count() }), /different from the keys/);
    assert.deepEqual(parseAggregation("m", pl.col("speed").mean()), Agg.mean("speed"));
  });

  it("append mode without a watermark is rejected at build time with what to do", () => {
    assert.throws(
      () => readStream(new MemoryStreamSource("s")).groupBy("ride_id", window("timestamp", "15s")).agg({ n: Agg.count() }).writeStream({ mode: "append", sinks: [new MemoryStreamSink()] }),
      (e: unknown) => isStreamlabError(e, "QUERY") && /withWatermark/.test(e.message),
    );
  });

  it("a watermark on a missing column fails the query naming the column and listing the columns", async () => {
    const src = new MemoryStreamSource("locations", [{ frame: rideFrame([{ ride_id: "a", t: 1, speed: 1 }]) }]);
    const q = readStream(src).withWatermark("event_time", "30 seconds").groupBy("ride_id", window("timestamp", "15s")).agg({ n: Agg.count() })
      .writeStream({ mode: "update", sinks: [new MemoryStreamSink()], trigger: "once" });
    await assert.rejects(runToEnd(q), (e: unknown) => isStreamlabError(e, "QUERY") && /"event_time" does not exist/.test(e.message) && /"ride_id", "timestamp", "speed"/.test(e.message));
  });
});
