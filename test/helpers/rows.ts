/** Comparing query output across runs whose micro-batch boundaries differ (Kafka polls, restarts). */

/** A JSON row without its batch id, keys sorted, numbers to 12 significant digits (sums added in another order). */
export function canonicalRow(value: Record<string, unknown>): string {
  const { batch_id: _, ...rest } = value;
  return JSON.stringify(Object.keys(rest).sort().map((k) => [k, typeof rest[k] === "number" ? Number((rest[k] as number).toPrecision(12)) : rest[k]]));
}

/** The number of rows that occur more than once in a sorted list of canonical rows. */
export function repeats(sorted: string[]): number {
  return sorted.filter((g, i) => i > 0 && sorted[i - 1] === g).length;
}

/**
 * Update mode emits a window again in each batch that changed it, so its rows depend on batch
 * boundaries; its last row per window does not. Returns those, and the number of (window, batch)
 * pairs emitted more than once: a batch written twice.
 */
export function lastPerWindow(rows: Record<string, unknown>[]): { last: string[]; twice: number } {
  const last = new Map<string, Record<string, unknown>>();
  const seen = new Set<string>();
  let twice = 0;
  for (const r of rows) {
    const key = `${r.ride_id}|${r.window_start}`;
    const pair = `${key}|${r.batch_id}`;
    if (seen.has(pair)) twice++;
    seen.add(pair);
    const before = last.get(key);
    if (before === undefined || Number(before.batch_id) < Number(r.batch_id)) last.set(key, r);
  }
  return { last: [...last.values()].map(canonicalRow).sort(), twice };
}
