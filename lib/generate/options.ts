import { OptionError } from "../errors";
import { optionalBoolean } from "../options";
import type { GenerateProgress } from "./types";

/** Options of `generateDataset` / `streamlab generate`. */
export interface GenerateOptions {
  /** Number of rides (one file per ride per partition per table). Default 15. */
  rides?: number;
  /** Length of the recording in seconds: partitions run from t=000.0 up to this. Default 120. */
  duration?: number;
  /** PRNG seed (integer 0..4294967295); the same seed gives the same data. Default 42. */
  seed?: number;
  /** Output folder (gets `locations/` and `accelerations/`). Default `data/bdd`. */
  out?: string;
  /** Write even if `out` is not empty: replaces its `locations/` and `accelerations/`. Default false. */
  force?: boolean;
  /** Called after each partition is written. */
  onProgress?: (progress: GenerateProgress) => void;
  /** Stops the run between two partitions (throws AbortedError). */
  signal?: AbortSignal;
}

export type ResolvedGenerateOptions = Required<Omit<GenerateOptions, "onProgress" | "signal">> & Pick<GenerateOptions, "onProgress" | "signal">;

/** The defaults: they reproduce the shipped sample `data/bdd`. */
export const GENERATE_DEFAULTS = { rides: 15, duration: 120, seed: 42, out: "data/bdd", force: false } as const;

/** Limits that keep a typo from filling the disk. */
export const GENERATE_LIMITS = { maxRides: 1_000_000, maxDuration: 10_000_000 } as const;

/** Applies defaults and validates; throws OptionError (BAD_OPTION) naming the option. */
export function resolveGenerateOptions(options: GenerateOptions = {}): ResolvedGenerateOptions {
  const o = { ...GENERATE_DEFAULTS, ...stripUndefined(options) };
  if (!Number.isInteger(o.rides) || o.rides < 1 || o.rides > GENERATE_LIMITS.maxRides) throw new OptionError("rides", o.rides, `an integer from 1 to ${GENERATE_LIMITS.maxRides}`);
  if (typeof o.duration !== "number" || !Number.isFinite(o.duration) || o.duration < 1 || o.duration > GENERATE_LIMITS.maxDuration) throw new OptionError("duration", o.duration, `a number of seconds from 1 to ${GENERATE_LIMITS.maxDuration}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new OptionError("seed", o.seed, "an integer from 0 to 4294967295");
  if (typeof o.out !== "string" || o.out.trim() === "") throw new OptionError("out", o.out, "a folder path, e.g. data/bdd");
  optionalBoolean("force", o.force, false);
  if (o.onProgress !== undefined && typeof o.onProgress !== "function") throw new OptionError("onProgress", String(o.onProgress), "a function");
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
