import { resolveWindowSize } from "./options";
import type { Sale, SalesWindow } from "./types";

/** The start of the tumbling window holding `time`: aligned on 0, start inclusive, end exclusive. */
const windowStart = (time: number, size: number): number => Math.floor(time / size) * size;

const cents = (x: number) => Math.round(x * 100) / 100;

/**
 * Batch reference: the sum of amounts per tumbling window of `size` time units, oldest first
 * (windows without sales are absent). The streaming summary ({@link summarizeSales}) must equal this.
 *
 * @example
 * ```ts
 * tumblingTotals([{ item: "a", amount: 2, time: 3 }, { item: "b", amount: 1, time: 6 }], 5);
 * // [{ window_start: 0, window_end: 5, total: 2, count: 1 }, { window_start: 5, window_end: 10, total: 1, count: 1 }]
 * ```
 */
export function tumblingTotals(sales: Sale[], size = 5): SalesWindow[] {
  const s = resolveWindowSize(size);
  const byStart = new Map<number, SalesWindow>();
  for (const sale of sales) {
    const start = windowStart(sale.time, s);
    const w = byStart.get(start) ?? { window_start: start, window_end: start + s, total: 0, count: 0 };
    w.total = cents(w.total + sale.amount);
    w.count++;
    byStart.set(start, w);
  }
  return [...byStart.values()].sort((a, b) => a.window_start - b.window_start);
}

/**
 * The lecture's summary, kept to show why it is wrong: it adds amounts up and publishes (then
 * resets) the running sum whenever a sale's `time % 5 == 0`. When the clock skips a multiple of 5,
 * two windows' sales are published as one total. Do not use it; see {@link summarizeSales}.
 */
export function moduloTotals(sales: Sale[], size = 5): Array<{ time: number; total: number }> {
  const out: Array<{ time: number; total: number }> = [];
  let sum = 0;
  for (const sale of sales) {
    sum = cents(sum + sale.amount);
    if (sale.time % size === 0) {
      out.push({ time: sale.time, total: sum });
      sum = 0;
    }
  }
  return out;
}
