import { OptionError } from "../../errors";
import { positiveInt } from "../../options";

/** Options of {@link simulateSales}. */
export interface StoreOptions {
  /** Sales to make; default 100. */
  count?: number;
  /** Random seed: the same seed makes the same sales; default 42. */
  seed?: number;
  /** Probability a sale is item `a` (else `b`); default 0.7. */
  probabilityA?: number;
  /** Log-normal parameters of the amount; default mu 2, sigma 1 (numpy's `lognormal(2, 1)`). */
  mu?: number;
  sigma?: number;
  /** Clock steps between sales are 1..maxStep time units (so some multiples of 5 are skipped); default 3. */
  maxStep?: number;
  /** Time of the first sale; default 0. */
  startTime?: number;
}

export const STORE_DEFAULTS = { count: 100, seed: 42, probabilityA: 0.7, mu: 2, sigma: 1, maxStep: 3, startTime: 0 } as const;

function num(option: string, value: unknown, ok: (v: number) => boolean, expected: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) throw new OptionError(option, value, expected);
  return value;
}

export function resolveStoreOptions(o: StoreOptions = {}): Required<StoreOptions> {
  const d = STORE_DEFAULTS;
  return {
    count: positiveInt("count", o.count, d.count, 0),
    seed: positiveInt("seed", o.seed, d.seed, 0),
    probabilityA: num("probabilityA", o.probabilityA ?? d.probabilityA, (v) => v >= 0 && v <= 1, "expected a probability from 0 to 1"),
    mu: num("mu", o.mu ?? d.mu, () => true, "expected a number"),
    sigma: num("sigma", o.sigma ?? d.sigma, (v) => v >= 0, "expected a number, 0 or more"),
    maxStep: positiveInt("maxStep", o.maxStep, d.maxStep, 1),
    startTime: positiveInt("startTime", o.startTime, d.startTime, 0),
  };
}

/** The window size of the sales summary, in time units; default 5 (the lecture's). */
export const SUMMARY_DEFAULTS = { size: 5, from: "sales", to: "sales-summary" } as const;

export function resolveWindowSize(size: unknown = SUMMARY_DEFAULTS.size): number {
  return positiveInt("size", size, SUMMARY_DEFAULTS.size, 1);
}
