import { logNormal, seededRandom } from "../random";
import { resolveStoreOptions, type StoreOptions } from "./options";
import type { Sale } from "./types";

/**
 * The lecture's fake store, seeded: item `a` with probability 0.7 else `b`, amount log-normal(2, 1)
 * (rounded to cents), the clock moving 1..maxStep units between sales. Same seed, same sales.
 *
 * @example
 * ```ts
 * simulateSales({ count: 3, seed: 42 }); // [{ item: "b", amount: 6.93, time: 0 }, …]
 * ```
 */
export function simulateSales(options: StoreOptions = {}): Sale[] {
  const o = resolveStoreOptions(options);
  const rnd = seededRandom(o.seed);
  const sales: Sale[] = [];
  let time = o.startTime;
  for (let i = 0; i < o.count; i++) {
    const item = rnd() < o.probabilityA ? "a" : "b";
    const amount = Math.round(logNormal(rnd, o.mu, o.sigma) * 100) / 100;
    sales.push({ item, amount, time });
    time += 1 + Math.floor(rnd() * o.maxStep);
  }
  return sales;
}
