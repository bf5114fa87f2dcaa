/** Exact percentiles (nearest rank) of small samples; the replay itself uses an HDR histogram. */
export interface Percentiles {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function percentiles(values: number[]): Percentiles | null {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const rank = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  let sum = 0;
  for (const v of s) sum += v;
  return { count: s.length, p50Ms: rank(0.5), p99Ms: rank(0.99), maxMs: s[s.length - 1], meanMs: sum / s.length };
}

export const fmt = {
  ms: (v: number | null | undefined) => (v == null ? "–" : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString("en-US")),
  int: (v: number | null | undefined) => (v == null ? "–" : Math.round(v).toLocaleString("en-US")),
  rate: (v: number | null | undefined) => (v == null ? "–" : Math.round(v).toLocaleString("en-US")),
  x: (v: number | null | undefined) => (v == null ? "–" : `${v >= 10 ? v.toFixed(1) : v.toFixed(2)}×`),
  mb: (v: number | null | undefined) => (v == null ? "–" : v.toFixed(1)),
};
