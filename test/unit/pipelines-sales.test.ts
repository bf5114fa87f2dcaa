import assert from "node:assert/strict";
import { isStreamlabError } from "../../lib/errors";
import { moduloTotals, simulateSales, tumblingTotals, TumblingSummer, type Sale } from "../../lib/pipelines/sales";

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

  it("the streaming summer emits each window once, when final, and equals the batch totals", () => {
    const all = simulateSales({ count: 500, seed: 5 });
    const summer = new TumblingSummer(5);
    const emitted = all.flatMap((s) => summer.add(s)).concat(summer.flush());
    assert.deepEqual(emitted, tumblingTotals(all, 5));
  });

  it("counts a sale older than a final window as late and changes nothing emitted", () => {
    const summer = new TumblingSummer(5);
    summer.add({ item: "a", amount: 1, time: 1 });
    const closed = summer.add({ item: "a", amount: 1, time: 7 });
    assert.deepEqual(closed, [{ window_start: 0, window_end: 5, total: 1, count: 1 }]);
    assert.deepEqual(summer.add({ item: "a", amount: 5, time: 2 }), []);
    assert.equal(summer.late, 1);
    assert.deepEqual(summer.flush(), [{ window_start: 5, window_end: 10, total: 1, count: 1 }]);
  });
});
