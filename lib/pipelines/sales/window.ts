import { resolveWindowSize } from "./options";
import type { Sale, SalesWindow } from "./types";

/** The start of the tumbling window holding `time`: epoch-aligned, start inclusive, end exclusive. */
export function windowStart(time: number, size: number): number {
  return Math.floor(time / size) * size;
}

const cents = (x: number) => Math.round(x * 100) / 100;

/**
 * Batch reference: the sum of amounts per tumbling window of `size` time units, oldest first
 * (windows without sales are absent). The streaming summary must equal this.
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
 * two windows' sales are published as one total. Do not use it; see {@link TumblingSummer}.
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

/**
 * The streaming tumbling window on `time`: add sales as they arrive; a window is final (and
 * returned, once) as soon as a sale at or past its end arrives, or at {@link flush}. A sale older
 * than an already-final window is late: it is counted in `late` and changes nothing published.
 */
export class TumblingSummer {
  readonly size: number;
  private readonly open = new Map<number, SalesWindow>();
  /** Highest `time` seen: windows ending at or before it are final. */
  private maxTime = -Infinity;
  late = 0;

  constructor(size = 5) {
    this.size = resolveWindowSize(size);
  }

  /** Adds one sale; returns the windows this sale made final (oldest first). */
  add(sale: Sale): SalesWindow[] {
    const start = windowStart(sale.time, this.size);
    if (start + this.size <= this.maxTime) {
      this.late++;
      return [];
    }
    const w = this.open.get(start) ?? { window_start: start, window_end: start + this.size, total: 0, count: 0 };
    w.total = cents(w.total + sale.amount);
    w.count++;
    this.open.set(start, w);
    this.maxTime = Math.max(this.maxTime, sale.time);
    return this.evict((end) => end <= this.maxTime);
  }

  /** End of input: every open window is final. */
  flush(): SalesWindow[] {
    return this.evict(() => true);
  }

  private evict(isFinal: (end: number) => boolean): SalesWindow[] {
    const done = [...this.open.values()].filter((w) => isFinal(w.window_end)).sort((a, b) => a.window_start - b.window_start);
    for (const w of done) this.open.delete(w.window_start);
    return done;
  }
}
