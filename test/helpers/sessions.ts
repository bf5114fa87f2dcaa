/** The batch answer for session windows: per key, rows sorted by time, a new session when the gap to the last row exceeds `gapMs`. */
export interface SessionRow { key: string; ms: number; value: number }

/** Sessions as [key, start s, end s, rows, sum of values], end = last row + gap (Spark's session_window). */
export function batchSessions(rows: SessionRow[], gapMs: number): [string, number, number, number, number][] {
  const out: [string, number, number, number, number][] = [];
  const byKey = new Map<string, SessionRow[]>();
  for (const r of rows) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  for (const [key, list] of byKey) {
    let cur: { s: number; last: number; n: number; total: number } | null = null;
    for (const r of [...list].sort((x, y) => x.ms - y.ms)) {
      if (cur !== null && r.ms - cur.last <= gapMs) { cur.last = r.ms; cur.n++; cur.total += r.value; continue; }
      if (cur !== null) out.push([key, cur.s / 1000, (cur.last + gapMs) / 1000, cur.n, cur.total]);
      cur = { s: r.ms, last: r.ms, n: 1, total: r.value };
    }
    if (cur !== null) out.push([key, cur.s / 1000, (cur.last + gapMs) / 1000, cur.n, cur.total]);
  }
  return out;
}
