import assert from "node:assert/strict";
import { isStreamlabError } from "../../lib/errors";
import type { ConsumedMessage } from "../../lib/kafka";
import { moduloTotals, salesRows, salesSummary, simulateSales, tumblingTotals, type Sale } from "../../lib/pipelines/sales";
import { MemoryStreamSink, MemoryStreamSource, type StreamingQuery } from "../../lib/stream";

describe("store simulator", () => {
  it("makes the same sales from the same seed and other sales from another seed", () => {
    assert.deepEqual(simulateSales({ count: 50, seed: 9 }), simulateSales({ count: 50, seed: 9 }));
    assert.notDeepEqual(simulateSales({ count: 50, seed: 9 }), simulateSales({ count: 50, seed: 10 }));
  });

  it("sells item a about 70% of the time, with log-normal(2, 1) amounts and an increasing clock", () => {
    const sales = simulateSales({ count: 20_000, seed: 1 });
    const shareA = sales.filter((s) => s.item === "a").length / sales.length;
    assert.ok(Math.abs(shareA - 0.7) < 0.02, `share of a = ${shareA}`);
    // The median of log-normal(mu, sigma) is e^mu.
    const sorted = sales.map((s) => s.amount).sort((x, y) => x - y);
    const median = sorted[sorted.length >> 1];
    assert.ok(Math.abs(median - Math.exp(2)) < 0.4, `median amount = ${median}`);
    assert.ok(sales.every((s, i) => i === 0 || s.time > sales[i - 1].time));
  });

  it("rejects bad options with BAD_OPTION naming the option", () => {
    assert.throws(() => simulateSales({ probabilityA: 1.5 }), (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "probabilityA");
    assert.throws(() => simulateSales({ count: 2.5 }), (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "count");
  });
});

describe("sales per 5 time units", () => {
  // The clock jumps from 4 to 6: no sale at time 5.
  const sales: Sale[] = [
    { item: "a", amount: 1, time: 0 },
    { item: "a", amount: 2, time: 4 },
    { item: "b", amount: 3, time: 6 },
    { item: "a", amount: 4, time: 10 },
  ];

  it("the tumbling window puts each sale in [k*5, (k+1)*5)", () => {
    assert.deepEqual(tumblingTotals(sales, 5), [
      { window_start: 0, window_end: 5, total: 3, count: 2 },
      { window_start: 5, window_end: 10, total: 3, count: 1 },
      { window_start: 10, window_end: 15, total: 4, count: 1 },
    ]);
  });

  it("the lecture's time % 5 trick merges two windows when a multiple of 5 is skipped", () => {
    // It publishes at time 0 (1) and at time 10 (2 + 3 + 4 = 9): windows [0,5) and [5,10) are lost in one total.
    assert.deepEqual(moduloTotals(sales, 5), [{ time: 0, total: 1 }, { time: 10, total: 9 }]);
    assert.notDeepEqual(moduloTotals(sales, 5).map((w) => w.total), tumblingTotals(sales, 5).map((w) => w.total));
  });

  /** The sales as the summary's source hands them over, in micro-batches of `perBatch` sales. */
  const batchesOf = (all: Sale[], perBatch: number) => {
    const src = new MemoryStreamSource("sales");
    for (let i = 0; i < all.length; i += perBatch) src.push(salesRows(all.slice(i, i + perBatch).map(message)).frame!);
    return src.end();
  };
  const message = (s: Sale, offset: number): ConsumedMessage => ({ topic: "sales", partition: 0, offset, key: null, raw: JSON.stringify(s), value: null, timestamp: new Date(0) });
  const run = async (query: StreamingQuery) => { await query.start().awaitTermination(); return query; };
  /** Each window's latest row (highest batch_id), as the batch reference's objects. */
  const latestWindows = (sink: MemoryStreamSink) => sink.latest(["window_start"]).sort("window_start").select("window_start", "window_end", "total", "count").toRecords()
    .map((r) => ({ window_start: Number(r.window_start), window_end: Number(r.window_end), total: Number(r.total), count: Number(r.count) }));

  it("the summary on the engine's tumbling window (update mode): each window's latest value equals the batch totals", async () => {
    const all = simulateSales({ count: 500, seed: 5 });
    for (const perBatch of [500, 37, 7]) {
      const sink = new MemoryStreamSink();
      const q = await run(salesSummary(batchesOf(all, perBatch), { size: 5, sinks: [sink], trigger: "once" }));
      assert.deepEqual(latestWindows(sink), tumblingTotals(all, 5), `${perBatch} sales per micro-batch`);
      assert.equal(q.totals.rowsDroppedByWatermark, 0);
    }
  });

  it("publishes a window again when a later micro-batch changes it, with Int64 bounds in time units", async () => {
    const sink = new MemoryStreamSink();
    await run(salesSummary(batchesOf(sales, 1), { size: 5, sinks: [sink], trigger: "once" }));
    const rows = sink.table().select("window_start", "total", "count", "batch_id").toRecords().map((r) => [r.window_start, r.total, r.count, r.batch_id].map(Number));
    // [0, 5) after sale 0 (batch 0) and after sale 1 (batch 1); [5, 10) in batch 2; [10, 15) in batch 3.
    assert.deepEqual(rows, [[0, 1, 1, 0], [0, 3, 2, 1], [5, 3, 1, 2], [10, 4, 1, 3]]);
    assert.equal(sink.table().getColumn("window_start").dtype.variant, "Int64");
  });

  it("drops and counts a sale older than the latest time seen, and changes nothing published", async () => {
    const src = new MemoryStreamSource("sales");
    src.push(salesRows([{ item: "a", amount: 1, time: 1 }, { item: "a", amount: 1, time: 7 }].map(message)).frame!);
    src.push(salesRows([{ item: "a", amount: 5, time: 2 }].map(message)).frame!);
    const sink = new MemoryStreamSink();
    const q = await run(salesSummary(src.end(), { size: 5, sinks: [sink], trigger: "once" }));
    assert.equal(q.totals.rowsDroppedByWatermark, 1);
    assert.deepEqual(latestWindows(sink), [{ window_start: 0, window_end: 5, total: 1, count: 1 }, { window_start: 5, window_end: 10, total: 1, count: 1 }]);
  });

  it("skips a message that is not a sale, with its partition@offset and why", () => {
    const bad = { ...message(sales[0], 7), raw: '{"item":"a","amount":"lots","time":9}' };
    const { frame, skipped } = salesRows([message(sales[0], 6), bad]);
    assert.equal(frame?.height, 1);
    assert.deepEqual(frame?.columns, ["item", "amount", "time"]);
    assert.equal(frame?.getColumn("amount").dtype.variant, "Float64");
    assert.deepEqual(skipped, [{ path: "sales/0@7", code: "KAFKA", reason: "amount is not a number" }]);
    assert.equal(salesRows([bad]).frame, null);
  });
});
