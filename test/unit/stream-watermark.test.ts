import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { MemoryStreamSink, MemoryStreamSource, readStream, WatermarkTracker, window, type StreamingQuery } from "../../lib/stream";
import { at, generateRows, rideFrame, rng, runToEnd, shuffleIntoBatches } from "./stream-fixtures";

describe("stream watermark", function () {
  this.timeout(180_000);

  describe("WatermarkTracker", () => {
    it("is max event time minus delay, and only moves when advanced", () => {
      const w = new WatermarkTracker({ a: 10_000 });
      assert.equal(w.current, -Infinity);
      w.observe("a", 100_000);
      assert.equal(w.current, -Infinity, "a new watermark applies from the next micro-batch");
      assert.equal(w.advance(), 90_000);
      w.observe("a", 50_000);
      assert.equal(w.advance(), 90_000, "never moves backwards");
    });

    it("takes the min over inputs (waiting for every input), or the max with the max policy", () => {
      const min = new WatermarkTracker({ a: 0, b: 5_000 });
      min.observe("a", 100_000);
      assert.equal(min.advance(), -Infinity, "b has no data yet");
      min.observe("b", 60_000);
      assert.equal(min.advance(), 55_000);
      const max = new WatermarkTracker({ a: 0, b: 5_000 }, "max");
      max.observe("a", 100_000);
      assert.equal(max.advance(), 100_000);
      max.observe("b", 60_000);
      assert.equal(max.advance(), 100_000);
    });

    it("is raised, never lowered, by raiseTo (the end-of-input flush), and advances past it with new input", () => {
      const w = new WatermarkTracker({ a: 0 });
      w.observe("a", 5);
      assert.equal(w.advance(), 5);
      w.raiseTo(3);
      assert.equal(w.current, 5);
      w.raiseTo(20);
      assert.equal(w.current, 20);
      w.observe("a", 10);
      assert.equal(w.advance(), 20);
      w.observe("a", 30);
      assert.equal(w.advance(), 30);
    });
  });

  it("applies a new watermark from the next micro-batch on (same-batch stragglers are kept)", async () => {
    const src = new MemoryStreamSource("s");
    src.push(rideFrame([{ ride_id: "a", t: 100, speed: 1 }, { ride_id: "a", t: 75, speed: 2 }]), 0); // 75 < 100 - 10, same batch
    src.push(rideFrame([{ ride_id: "a", t: 76, speed: 3 }, { ride_id: "a", t: 95, speed: 4 }]), 1); // 76 < 90: late now
    const sink = new MemoryStreamSink();
    const q = readStream(src).withWatermark("timestamp", "10 seconds").groupBy("ride_id", window("timestamp", "5 seconds"))
      .agg({ n: pl.len() }).writeStream({ mode: "update", sinks: [sink], trigger: "once" });
    await runToEnd(q);
    const [b0, b1] = q.recentProgress;
    assert.equal(b0.watermark, null);
    assert.equal(b0.rowsDroppedByWatermark, 0);
    assert.equal(b1.watermark, at(90).toISOString());
    assert.equal(b1.rowsDroppedByWatermark, 1);
    assert.equal(sink.outputs[0].frame.height, 2, "both windows of batch 0 were updated");
    assert.equal(q.recentProgress.at(-1)!.watermark, "+infinity", "the end-of-input flush runs with watermark +infinity");
  });

  it("update mode keeps a window on another column than the watermarked one until it can be final, so its latest value counts every row", async () => {
    // The watermark runs on `timestamp` (arrival), the window on `recorded` (when the sensor took
    // the reading), minutes behind. Nothing relates the two, so the watermark on `timestamp` says
    // nothing about when a `recorded` window is complete: the window must not be evicted by it.
    const frame = (rows: [number, number][]) => pl.DataFrame({
      ride_id: rows.map(() => "a"),
      timestamp: pl.Series("timestamp", rows.map(([t]) => at(t)), pl.Datetime("ms")),
      recorded: pl.Series("recorded", rows.map(([, r]) => at(r)), pl.Datetime("ms")),
    });
    const src = new MemoryStreamSource("s");
    src.push(frame([[300, 10]]), 0);
    src.push(frame([[301, 11]]), 1); // watermark 300 s now, far past the window [0 s, 15 s) of `recorded`
    src.push(frame([[302, 12]]), 2);
    const sink = new MemoryStreamSink();
    const q = readStream(src).withWatermark("timestamp", "0 seconds").groupBy("ride_id", window("recorded", "15 seconds"))
      .agg({ n: pl.len() }).writeStream({ mode: "update", sinks: [sink], trigger: "once" });
    await runToEnd(q);
    assert.equal(q.totals.rowsDroppedByWatermark, 0);
    const latest = sink.latest(["ride_id", "window_start"]);
    assert.equal(latest.height, 1);
    assert.equal(Number(latest.getColumn("n").get(0)), 3, `the window's latest value must count its 3 rows; outputs: ${sink.table().toString()}`);
  });

  async function joinWatermarks(policy: "min" | "max"): Promise<StreamingQuery> {
    const a = new MemoryStreamSource("a"), b = new MemoryStreamSource("b");
    const frame = (t: number) => pl.DataFrame({ uuid: ["u"], timestamp: pl.Series("timestamp", [at(t)], pl.Datetime("ms")) });
    a.push(frame(100), 0); b.push(frame(40), 0);
    a.push(frame(101), 1); b.push(frame(41), 1);
    const q = readStream(a).withWatermark("timestamp", "10 seconds")
      .join(readStream(b).withWatermark("timestamp", "5 seconds"), { on: "uuid", how: "inner" })
      .writeStream({ sinks: [new MemoryStreamSink()], trigger: "once", watermarkPolicy: policy });
    return runToEnd(q);
  }

  it("with two inputs, is the min of their watermarks by default and the max on request", async () => {
    assert.equal((await joinWatermarks("min")).recentProgress[1].watermark, at(35).toISOString());
    assert.equal((await joinWatermarks("max")).recentProgress[1].watermark, at(90).toISOString());
  });

  it("keeps window state bounded over a long stream (stateRows stays below a bound while output grows)", async () => {
    const rand = rng(5);
    const rows = generateRows(rand, 3, 400, 1);
    const batches = shuffleIntoBatches(rand, rows, 3, 5);
    const src = new MemoryStreamSource("s");
    batches.forEach((b, i) => src.push(rideFrame(b), i));
    const sink = new MemoryStreamSink();
    const q = readStream(src).withWatermark("timestamp", "5 seconds").groupBy("ride_id", window("timestamp", "10 seconds"))
      .agg({ mean_speed: pl.col("speed").mean() }).writeStream({ mode: "append", sinks: [sink], trigger: "once", progressHistory: 1000 });
    await runToEnd(q);
    const windows = sink.table().height;
    const maxState = Math.max(...q.recentProgress.map((p) => p.stateRows));
    // per ride at most the windows spanning delay + batch length + one window: (5 + 5 + 10) / 10 + 1 = 3
    assert.ok(windows >= 3 * 39, `windows emitted: ${windows}`);
    assert.ok(maxState <= 3 * 4, `state grew to ${maxState} rows`);
    assert.equal(q.lastProgress!.stateRows, 0);
  });

  it("keeps join state bounded over a long stream", async () => {
    const a = new MemoryStreamSource("a"), b = new MemoryStreamSource("b");
    const frame = (ts: number[]) => pl.DataFrame({ uuid: ts.map(() => "u"), timestamp: pl.Series("timestamp", ts.map(at), pl.Datetime("ms")) });
    const n = 60;
    for (let i = 0; i < n; i++) {
      a.push(frame([i * 2]), i); // 1 row per 2 s
      b.push(frame([i * 2, i * 2 + 0.5, i * 2 + 1, i * 2 + 1.5]), i); // 4 rows per 2 s
    }
    const q = readStream(a).withWatermark("timestamp", "4 seconds")
      .join(readStream(b).withWatermark("timestamp", "4 seconds"), { on: "uuid", how: "full", within: "1 second" })
      .writeStream({ sinks: [new MemoryStreamSink()], trigger: "once", progressHistory: 1000 });
    await runToEnd(q);
    const maxState = Math.max(...q.recentProgress.map((p) => p.stateRows));
    // rows within delay + within + one batch (4 + 1 + 2 s) of the newest: ~4 left + ~15 right
    assert.ok(maxState <= 25, `join state grew to ${maxState} rows over ${5 * n} input rows`);
    assert.equal(q.lastProgress!.stateRows, 0);
  });
});
