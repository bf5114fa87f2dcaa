/**
 * A small seeded PRNG (mulberry32) with the draws the generator needs. Deterministic across
 * platforms and Node versions, unlike Math.random; one independent stream per (seed, stream id)
 * so each ride's values do not depend on how many other rides exist.
 */

/** splitmix32-style integer mix: turns (seed, stream) into a well-spread 32-bit state. */
function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad);
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97);
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * Box–Muller: two independent standard normal draws from two uniform ones, `u` in (0, 1] (so that
 * log(0) is never taken) and `v` in [0, 1).
 */
export function boxMuller(u: number, v: number): [number, number] {
  const r = Math.sqrt(-2 * Math.log(u));
  return [r * Math.cos(2 * Math.PI * v), r * Math.sin(2 * Math.PI * v)];
}

export class Random {
  private state: number;
  private spare: number | undefined;

  /** @param seed any 32-bit integer; @param stream an independent sub-stream id */
  constructor(seed: number, stream = 0) {
    this.state = mix(seed >>> 0, stream >>> 0);
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Normal(mean, sd), Box-Muller. */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + sd * z;
    }
    const [z, spare] = boxMuller(1 - this.next(), this.next());
    this.spare = spare;
    return mean + sd * z;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** `n` random hex characters. */
  hex(n: number): string {
    let s = "";
    while (s.length < n) s += (Math.floor(this.next() * 4294967296) >>> 0).toString(16).padStart(8, "0");
    return s.slice(0, n);
  }
}

/**
 * The uniform draws of `new Random(seed, stream)` as a plain function, for code that takes a
 * `() => number` source (the pipelines' simulators, test data).
 * @example
 * const rnd = uniformSource(3);
 * rnd(); // in [0, 1), the same every run for seed 3
 */
export function uniformSource(seed: number, stream = 0): () => number {
  const random = new Random(seed, stream);
  return () => random.next();
}
