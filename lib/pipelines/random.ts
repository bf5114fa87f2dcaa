/**
 * A seeded uniform random source in [0, 1) (mulberry32): the simulators are reproducible from a
 * seed, which `Math.random` cannot be.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A standard normal draw from a uniform source (Box–Muller). */
export function normal(rnd: () => number): number {
  const u = 1 - rnd(); // (0, 1]: log(0) is never taken
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
}

/** A log-normal draw: exp(mu + sigma·Z), numpy's `lognormal(mean, sigma)`. */
export function logNormal(rnd: () => number, mu: number, sigma: number): number {
  return Math.exp(mu + sigma * normal(rnd));
}
