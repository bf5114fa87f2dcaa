/**
 * The pipelines' seeded randomness, on the generator's PRNG (`lib/generate/random.ts`): the
 * simulators are reproducible from a seed, which `Math.random` cannot be, and the project has one
 * PRNG to trust rather than two copies.
 */
import { boxMuller, uniformSource } from "../generate/random";

/**
 * A seeded uniform random source in [0, 1): the generator PRNG's draws for `seed` (`uniformSource`).
 * @example
 * const rnd = seededRandom(3);
 * rnd(); // the same number every run for seed 3
 */
export function seededRandom(seed: number): () => number {
  return uniformSource(seed);
}

/** A standard normal draw from a uniform source (Box–Muller, see `boxMuller`). */
export function normal(rnd: () => number): number {
  return boxMuller(1 - rnd(), rnd())[0];
}

/** A log-normal draw: exp(mu + sigma·Z), numpy's `lognormal(mean, sigma)`. */
export function logNormal(rnd: () => number, mu: number, sigma: number): number {
  return Math.exp(mu + sigma * normal(rnd));
}
