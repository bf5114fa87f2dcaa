/**
 * The small validators every feature folder's `options.ts` uses: each returns the fallback when
 * the value is `undefined` and otherwise checks it, throwing an OptionError (BAD_OPTION) that names
 * the option and says what is accepted. Internal (not part of the public surface).
 */
import { OptionError } from "./errors";

/**
 * A whole number >= `min` (default 1), or `fallback` when undefined.
 * @example
 * positiveInt("partitions", undefined, 3); // 3
 * positiveInt("partitions", 0, 3);         // throws OptionError: expected a whole number >= 1
 */
export function positiveInt<F extends number | undefined = number>(option: string, value: unknown, fallback: F, min = 1): number | F {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) throw new OptionError(option, value, `expected a whole number >= ${min}`);
  return value;
}

/** A whole number >= 0, or Infinity (for "no limit"), or `fallback` when undefined. */
export function countOrInfinity(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === Infinity) return value;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new OptionError(option, value, "expected a whole number >= 0 (or Infinity)");
  return value;
}

/** A finite number above 0, or `fallback` when undefined; `what` says what it counts (e.g. "a number of seconds above 0"). */
export function positiveNumber<F extends number | undefined>(option: string, value: unknown, fallback: F, what = "a number above 0"): number | F {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw new OptionError(option, value, what);
  return value;
}

/** A non-empty string (not only spaces); `example` is quoted in the error, e.g. `"results/stream"`. */
export function requireString(option: string, value: unknown, example?: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new OptionError(option, value, `expected a non-empty string${example === undefined ? "" : `, e.g. ${example}`}`);
  return value;
}

/** {@link requireString}, or `fallback` when undefined. */
export function optionalString<F extends string | undefined>(option: string, value: unknown, fallback: F, example?: string): string | F {
  return value === undefined ? fallback : requireString(option, value, example);
}

/** true or false, or `fallback` when undefined. */
export function optionalBoolean<F extends boolean | undefined>(option: string, value: unknown, fallback: F): boolean | F {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new OptionError(option, value, "expected true or false");
  return value;
}

/** One of `allowed`, or `fallback` when undefined. */
export function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new OptionError(option, value, `expected one of ${allowed.join(", ")}`);
  return value as T;
}
