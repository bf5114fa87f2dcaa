/** Partition times: irregular steps of 2.8–4.8 s (as in the real data), one decimal, from 0. */
import { Random } from "./random";

export const PARTITION_STEP = { min: 2.8, max: 4.8 } as const;

/** Partition times in seconds, `[0, ...]`, all `<= duration`. */
export function partitionTimes(seed: number, duration: number): number[] {
  const rng = new Random(seed, 0);
  const times: number[] = [];
  // Work in tenths of a second so the times are exact one-decimal values (t=004.5, not 4.499999).
  let tenths = 0;
  while (tenths / 10 <= duration) {
    times.push(tenths / 10);
    tenths += Math.round(rng.uniform(PARTITION_STEP.min, PARTITION_STEP.max) * 10);
  }
  return times;
}
