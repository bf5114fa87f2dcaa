/**
 * Numeric event time: windows and watermarks on an integer or float column with a unit, checked
 * against a batch group-by of the same rows; and the errors a wrong column type or unit gives.
 */
import assert from "node:assert/strict";
import pl, { type DataType } from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { MemoryStreamSink, MemoryStreamSource, readStream, window, windowsOf } from "../../lib/stream";
import { resolveEventTime } from "../../lib/stream/time";
import { assertFramesEqual, rng, runToEnd, shuffleIntoBatches } from "./stream-fixtures";

interface Reading { sensor: string; t: number; value: number }

/** Readings every ~`step` units of a sensor clock, for `sensors` sensors. */
function readings(rand: () => number, sensors: number, until: number, step: number, whole: boolean): Reading[] {
  const rows: Reading[] = [];
  for (let s = 0; s < sensors; s++) {
    for (let t = rand() * step; t < until; t += step * (0.5 + rand())) {
      rows.push({ sensor: `s${s}`, t: whole ? Math.floor(t) : Math.round(t * 1000) / 1000, value: Math.round(rand() * 1000) / 10 });
    }
  }
  return rows;
}

function frameOf(rows: Reading[], dtype: DataType): pl.DataFrame {
  return pl.DataFrame({
    sensor: pl.Series("sensor", rows.map((r) => r.sensor), pl.Utf8),
    t: pl.Series("t", rows.map((r) => r.t), dtype),
    value: pl.Series("value", rows.map((r) => r.value), pl.Float64),
  });
}

/** The batch answer: per sensor and window (in the column's unit), the sum and count of values. */
function batchWindows(rows: Reading[], sizeUnits: number, slideUnits: number): pl.DataFrame {
  const spec = window("t", sizeUnits * 1000, slideUnits * 1000);
  const out: { sensor: string; window_start: number; window_end: number; total: number; n: number }[] = [];
  const byKey = new Map<string, (typeof out)[number]>();
  for (const r of rows) {
    for (const [start, end] of windowsOf(r.t * 1000, spec)) {
      const key = `${r.sensor}/${start}`;
      let w = byKey.get(key);
      if (w === undefined) byKey.set(key, (w = { sensor: r.sensor, window_start: start / 1000, window_end: end / 1000, total: 0, n: 0 }));
      w.total += r.value;
      w.n++;
    }
  }
  out.push(...byKey.values());
  return pl.DataFrame({
    sensor: out.map((w) => w.sensor),
    window_start: out.map((w) => w.window_start),
    window_end: out.map((w) => w.window_end),
    total: out.map((w) => w.total),
    n: out.map((w) => w.n),
  });
}

async function streamed(batches: pl.DataFrame[], time: Parameters<typeof window>[0], size: string, slide?: string) {
  const src = new MemoryStreamSource("readings", batches.map((frame) => ({ frame })));
  const sink = new MemoryStreamSink();
  const q = readStream(src).withWatermark(time, "20 seconds").groupBy("sensor", window(time, size, slide))
    .agg({ total: pl.col("value").sum(), n: pl.len() })
    .writeStream({ mode: "update", sinks: [sink], trigger: "once" });
  await runToEnd(q);
  return { q, sink };
}

describe("stream: numeric event time", function () {
  this.timeout(120_000);

  it("reads the unit: a name alone is a Datetime column; ns, us, ms, s, or milliseconds per unit", () => {
    assert.deepEqual(resolveEventTime("timestamp", "window"), { column: "timestamp" });
    assert.deepEqual(resolveEventTime({ column: "time", unit: "s" }, "window"), { column: "time", unitMs: 1000 });
    assert.deepEqual(resolveEventTime({ column: "time", unit: "us" }, "window"), { column: "time", unitMs: 1e-3 });
    assert.deepEqual(resolveEventTime({ column: "time", unit: 60_000 }, "window"), { column: "time", unitMs: 60_000 });
  });

  it("update mode on an Int64 column in seconds: the latest value of every window equals a batch group-by; bounds are Int64 seconds", async () => {
    const rand = rng(21);
    const rows = readings(rand, 4, 300, 3, true);
    const batches = shuffleIntoBatches(rand, rows, 8, 20).map((b) => frameOf(b, pl.Int64));
    const { q, sink } = await streamed(batches, { column: "t", unit: "s" }, "15 seconds");
    assert.equal(q.totals.rowsDroppedByWatermark, 0, "disorder (8) stays under the watermark delay (20)");
    const latest = sink.latest(["sensor", "window_start"]);
    assert.equal(latest.getColumn("window_start").dtype.variant, "Int64");
    assert.equal(latest.getColumn("window_end").dtype.variant, "Int64");
    assertFramesEqual(latest.select("sensor", "window_start", "window_end", "total", "n"), batchWindows(rows, 15, 15), ["sensor", "window_start"]);
    assert.ok(latest.height > 20, `${latest.height} windows`);
  });

  it("sliding windows on a Float64 column in milliseconds-per-unit 1000 equal a batch group-by", async () => {
    const rand = rng(22);
    const rows = readings(rand, 3, 120, 1.5, false);
    const batches = shuffleIntoBatches(rand, rows, 5, 10).map((b) => frameOf(b, pl.Float64));
    const { sink } = await streamed(batches, { column: "t", unit: 1000 }, "10 seconds", "5 seconds");
    const latest = sink.latest(["sensor", "window_start"]);
    assertFramesEqual(latest.select("sensor", "window_start", "window_end", "total", "n").withColumns(pl.col("window_start").cast(pl.Float64), pl.col("window_end").cast(pl.Float64)),
      batchWindows(rows, 10, 5), ["sensor", "window_start"]);
  });

  it("bounds are Float64 when the window is not a whole number of units", async () => {
    const src = new MemoryStreamSource("readings", [{ frame: frameOf([{ sensor: "a", t: 1.2, value: 1 }, { sensor: "a", t: 1.7, value: 2 }], pl.Float64) }]);
    const sink = new MemoryStreamSink();
    await runToEnd(readStream(src).groupBy(window({ column: "t", unit: "s" }, "500 ms")).agg({ n: pl.len() })
      .writeStream({ mode: "update", sinks: [sink], trigger: "once" }));
    const out = sink.latest(["window_start"]).sort("window_start");
    assert.deepEqual(out.getColumn("window_start").toArray(), [1, 1.5]);
    assert.deepEqual(out.getColumn("window_end").toArray(), [1.5, 2]);
    assert.equal(out.getColumn("window_start").dtype.variant, "Float64");
  });

  it("the watermark on a numeric column drops late rows and lets append mode emit each window once, when final", async () => {
    const rows = (ts: number[]) => frameOf(ts.map((t) => ({ sensor: "a", t, value: 1 })), pl.Int64);
    const src = new MemoryStreamSource("readings", [rows([1, 2, 7]), rows([11, 3]), rows([4, 12])].map((frame) => ({ frame })));
    const sink = new MemoryStreamSink();
    const time = { column: "t", unit: "s" } as const;
    const q = readStream(src).withWatermark(time, "5 seconds").groupBy(window(time, "5 seconds")).agg({ n: pl.len() })
      .writeStream({ mode: "append", sinks: [sink], trigger: "once" });
    await runToEnd(q);
    // batch 0: watermark none; after it 7 - 5 = 2. batch 1: 3 >= 2 kept; after it 11 - 5 = 6.
    // batch 2: 4 < 6 is late (dropped); [0, 5) final at 6. Flush: [5, 10) and [10, 15).
    assert.equal(q.totals.rowsDroppedByWatermark, 1);
    const table = sink.table();
    assert.deepEqual(table.getColumn("window_start").toArray().map(Number), [0, 5, 10]);
    assert.deepEqual(table.getColumn("n").toArray().map(Number), [3, 1, 2]);
    assert.equal(q.recentProgress[2].watermark, new Date(6000).toISOString(), "the watermark is reported in epoch time: 6 s");
  });

  it("a number column without a unit, or a Datetime with one, fails the query saying what to give", async () => {
    const numbers = new MemoryStreamSource("readings", [{ frame: frameOf([{ sensor: "a", t: 1, value: 1 }], pl.Int64) }]);
    const q1 = readStream(numbers).withWatermark("t", "5 seconds").groupBy(window("t", "5 seconds")).agg({ n: pl.len() })
      .writeStream({ mode: "update", sinks: [new MemoryStreamSink()], trigger: "once" }).start();
    await assert.rejects(q1.awaitTermination(), (e) => isStreamlabError(e, "QUERY") && /column "t" has type Int64.*unit: "s"/s.test(e.message));
    const dates = new MemoryStreamSource("readings", [{ frame: pl.DataFrame({ timestamp: pl.Series("timestamp", [new Date(0)], pl.Datetime("ms")) }) }]);
    const q2 = readStream(dates).withWatermark({ column: "timestamp", unit: "ms" }, "5 seconds").groupBy(window({ column: "timestamp", unit: "ms" }, "5 seconds")).agg({ n: pl.len() })
      .writeStream({ mode: "update", sinks: [new MemoryStreamSink()], trigger: "once" }).start();
    await assert.rejects(q2.awaitTermination(), (e) => isStreamlabError(e, "QUERY") && /a Datetime carries its own unit/.test(e.message));
  });

  it("rejects an unknown unit, and a window whose unit differs from the watermark's on the same column, with BAD_OPTION", () => {
    assert.throws(() => window({ column: "t", unit: "minutes" as "s" }, "5 seconds"), (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "window.unit");
    assert.throws(() => window({ column: "", unit: "s" }, "5 seconds"), (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "window.column");
    const src = new MemoryStreamSource("readings");
    assert.throws(() => readStream(src).withWatermark({ column: "t", unit: "s" }, "5 seconds").groupBy(window({ column: "t", unit: "ms" }, "5 seconds")),
      (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "window.unit");
  });

  it("append mode with the window on another column than the watermark is refused with what to do", () => {
    const src = new MemoryStreamSource("readings");
    assert.throws(() => readStream(src).withWatermark("timestamp", "5 seconds").groupBy(window("recorded", "5 seconds")).agg({ n: pl.len() })
      .writeStream({ mode: "append", sinks: [new MemoryStreamSink()] }), (e) => isStreamlabError(e, "QUERY") && /window on "timestamp", or use mode "update"/i.test(e.message));
  });
});
