/**
 * The same query in batch (issue #13 item 4): `read(source)` takes the stream's operators and
 * `collect()` runs them once; `withWatermark` has no effect (Spark ignores it in batch queries), and
 * the result equals the streaming query's final result over the same input: all rows emitted
 * (append), the latest row per key (update). Memory sources and sinks here; the course queries on the
 * real BDD sample (memory and real files) in stream-batch-bdd.test.ts.
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { MemoryStreamSink, MemoryStreamSource, read, readStream, streamJoin, window, windowedSpeeds } from "../../lib/stream";
import { assertFramesEqual, generateRows, rideFrame, rng, shuffleIntoBatches, type Row } from "./stream-fixtures";

/** A source holding `batches`, one micro-batch each. */
const memory = (name: string, batches: pl.DataFrame[]) => {
  const src = new MemoryStreamSource(name);
  for (const b of batches) src.push(b);
  return src.end();
};

/** Rides with bounded disorder (< 4 s), cut into 2-second arrival batches. */
function rideBatches(seed: number): { batches: pl.DataFrame[]; all: pl.DataFrame } {
  const rand = rng(seed);
  const rows = generateRows(rand, 6, 90, 1.5);
  const batches = shuffleIntoBatches<Row>(rand, rows, 4, 2).map(rideFrame);
  return { batches, all: rideFrame(rows) };
}

describe("read(source).collect(): the same query in batch", () => {
  it("stateless steps: the rows of every batch, filtered and selected, no batch_id", async () => {
    const { batches, all } = rideBatches(1);
    const out = await read(memory("locations", batches)).filter(pl.col("speed").isNotNull()).select("ride_id", "speed").collect();
    assertFramesEqual(out, all.filter(pl.col("speed").isNotNull()).select("ride_id", "speed"), ["ride_id", "speed"]);
  });

  it("windowed aggregation: equals the streaming query's latest row per (key, window), and a plain group-by", async () => {
    const { batches, all } = rideBatches(2);
    const p = { watermark: "10 seconds", window: "15 seconds", slide: "5 seconds" };
    const sink = new MemoryStreamSink();
    const q = windowedSpeeds(memory("locations", batches), p).writeStream({ mode: "update", sinks: [sink], trigger: "once" });
    await q.start().awaitTermination();
    assert.equal(q.totals.rowsDroppedByWatermark, 0, "precondition: the stream dropped no late row");
    const batch = await windowedSpeeds(memory("locations", batches), p, read).collect();
    assert.deepEqual(batch.columns, ["ride_id", "window_start", "window_end", "mean_speed", "count"]);
    assertFramesEqual(batch, sink.latest(["ride_id", "window_start"]).drop("batch_id"), ["ride_id", "window_start"]);
    // Sliding windows: each row in size/slide = 3 windows; counts add up to 3 × the non-null speeds.
    assert.equal(Number(batch.getColumn("count").sum()), 3 * all.filter(pl.col("speed").isNotNull()).height);
  });

  it("withWatermark has no effect: rows the stream drops as late are counted in batch", async () => {
    const at = (s: number) => new Date(Date.UTC(2020, 0, 1) + s * 1000);
    const frame = (ts: number[]) => pl.DataFrame({ k: ts.map(() => "a"), timestamp: pl.Series("timestamp", ts.map(at), pl.Datetime("ms")) });
    const batches = [frame([0, 1, 20]), frame([2])]; // t=2 arrives after the watermark passed 20 - 5 = 15
    const build = (start: typeof read) => start(memory("events", batches)).withWatermark("timestamp", "5 seconds").groupBy("k", window("timestamp", "10 seconds")).agg({ n: pl.len() });
    const sink = new MemoryStreamSink();
    const q = build(readStream).writeStream({ mode: "append", sinks: [sink], trigger: "once" });
    await q.start().awaitTermination();
    assert.equal(q.totals.rowsDroppedByWatermark, 1);
    const n = (f: pl.DataFrame) => f.sort("window_start").getColumn("n").toArray().map(Number);
    assert.deepEqual(n(sink.table()), [2, 1]);
    assert.deepEqual(n(await build(read).collect()), [3, 1]);
  });

  it("full outer join: equals every row the streaming join emitted, unmatched rows included", async () => {
    const rand = rng(3);
    const rows = generateRows(rand, 5, 60, 1);
    const loc = (rs: Row[]) => rideFrame(rs).select(pl.col("ride_id").alias("uuid"), "timestamp", "speed", pl.lit(37.8).alias("latitude"), pl.lit(-122.3).alias("longitude"));
    const acc = (rs: Row[]) => rideFrame(rs).select(pl.col("ride_id").alias("uuid"), "timestamp", pl.col("speed").alias("x"), pl.lit(0).alias("y"), pl.lit(1).alias("z"));
    const locBatches = shuffleIntoBatches<Row>(rand, rows.filter((_, i) => i % 3 === 0), 2, 3).map(loc);
    const accBatches = shuffleIntoBatches<Row>(rand, rows.filter((_, i) => i % 3 !== 0), 2, 3).map(acc);
    const p = { watermark: "10 seconds", within: "1 second", how: "full" as const };
    const sink = new MemoryStreamSink();
    const q = streamJoin(memory("locations", locBatches), memory("accelerations", accBatches), p).writeStream({ mode: "append", sinks: [sink], trigger: "once" });
    await q.start().awaitTermination();
    assert.equal(q.totals.rowsDroppedByWatermark, 0);
    const batch = await streamJoin(memory("locations", locBatches), memory("accelerations", accBatches), p, read).collect();
    const cols = ["uuid", "loc_timestamp", "acc_timestamp", "speed", "x"];
    assert.ok(batch.filter(pl.col("loc_timestamp").isNull().or(pl.col("acc_timestamp").isNull())).height > 0, "some rows are unmatched");
    assertFramesEqual(batch.select(...cols), sink.table().select(...cols), cols);
  });

  it("an outer join in batch needs no watermark (no row is late), and gives the same rows as with one", async () => {
    const rand = rng(4);
    const rows = generateRows(rand, 3, 30, 1);
    const side = (rs: Row[], name: string) => memory(name, [rideFrame(rs).select(pl.col("ride_id").alias("uuid"), "timestamp", pl.col("speed").alias(name))]);
    const left = rows.filter((_, i) => i % 2 === 0);
    const right = rows.filter((_, i) => i % 2 === 1);
    const options = { on: "uuid", within: "1 second", how: "full" as const };
    const plain = await read(side(left, "l")).join(read(side(right, "r")), options).collect();
    const marked = await read(side(left, "l")).withWatermark("timestamp", "5 seconds").join(read(side(right, "r")).withWatermark("timestamp", "5 seconds"), options).collect();
    const cols = ["uuid", "left_timestamp", "right_timestamp", "l", "r"];
    assert.ok(plain.filter(pl.col("left_timestamp").isNull().or(pl.col("right_timestamp").isNull())).height > 0, "unmatched rows are emitted");
    assertFramesEqual(plain.select(...cols), marked.select(...cols), cols);
    assert.throws(() => readStream(side(left, "l")).join(readStream(side(right, "r")), options), (e: unknown) => isStreamlabError(e, "QUERY") && /needs withWatermark/.test(e.message));
  });

  it("a static frame is run by collect(), a stream by writeStream: each refuses the other with QUERY", async () => {
    assert.throws(() => read(memory("a", [])).writeStream({ sinks: [new MemoryStreamSink()] }), (e: unknown) => isStreamlabError(e, "QUERY") && /static.*collect\(\)/.test(e.message));
    await assert.rejects(readStream(memory("b", [])).collect(), (e: unknown) => isStreamlabError(e, "QUERY") && /read\(source\)/.test(e.message));
  });

  it("closes the sources it read", async () => {
    const src = memory("c", [rideFrame([{ ride_id: "r", t: 1, speed: 2 }])]);
    const out = await read(src).collect();
    assert.equal(out.height, 1);
    assert.equal(src.isClosed, true);
  });
});
