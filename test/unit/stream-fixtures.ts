/** Shared helpers of the engine's unit tests (test/unit/stream*.test.ts). */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import pl from "nodejs-polars";
import { uniformSource } from "../../lib/generate/random";
import type { StreamingQuery } from "../../lib/stream";

/** 2020-01-01T00:00:00Z plus `seconds`. */
export const BASE_MS = Date.UTC(2020, 0, 1);
export const at = (seconds: number): Date => new Date(BASE_MS + Math.round(seconds * 1000));

/** A seeded PRNG (the generator's, lib/generate/random.ts), so generated streams are reproducible. */
export const rng = (seed: number): (() => number) => uniformSource(seed);

export interface Row { ride_id: string; t: number; speed: number | null }

/** Rows for `rides` rides every `step` s over `seconds` s, with ~10% null speeds. */
export function generateRows(rand: () => number, rides: number, seconds: number, step: number): Row[] {
  const rows: Row[] = [];
  for (let r = 0; r < rides; r++) {
    for (let t = rand() * step; t < seconds; t += step * (0.5 + rand())) {
      rows.push({ ride_id: `ride-${r}`, t: Math.round(t * 1000) / 1000, speed: rand() < 0.1 ? null : Math.round(rand() * 30000) / 1000 });
    }
  }
  return rows;
}

/**
 * Arrival order with bounded disorder: each row arrives at `t + jitter` (jitter < maxDisorder s),
 * then rows are cut into batches of `batchSeconds` of arrival time.
 */
export function shuffleIntoBatches<T extends { t: number }>(rand: () => number, rows: T[], maxDisorder: number, batchSeconds: number): T[][] {
  const arriving = rows.map((row) => ({ row, arrival: row.t + rand() * maxDisorder })).sort((a, b) => a.arrival - b.arrival);
  const batches: T[][] = [];
  for (const { row, arrival } of arriving) {
    const i = Math.floor(arrival / batchSeconds);
    (batches[i] ??= []).push(row);
  }
  return batches.filter((b) => b !== undefined && b.length > 0);
}

/** Rows → frame with `timestamp` Datetime("ms"). */
export function rideFrame(rows: Row[]): pl.DataFrame {
  return pl.DataFrame({
    ride_id: pl.Series("ride_id", rows.map((r) => r.ride_id), pl.Utf8),
    timestamp: pl.Series("timestamp", rows.map((r) => at(r.t)), pl.Datetime("ms")),
    speed: pl.Series("speed", rows.map((r) => r.speed), pl.Float64),
  });
}

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a === "bigint" || typeof b === "bigint") return Number(a) === Number(b);
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  return a === b;
}

/**
 * Asserts two frames hold the same rows (same columns, compared after sorting by `sortBy`); floats
 * compare to 1e-9 relative (a streamed mean is sum/count over partial sums, the batch mean sums
 * in another order).
 */
export function assertFramesEqual(actual: pl.DataFrame, expected: pl.DataFrame, sortBy: string[]): void {
  assert.deepEqual([...actual.columns].sort(), [...expected.columns].sort(), "columns differ");
  assert.equal(actual.height, expected.height, `row counts differ: ${actual.height} vs ${expected.height}`);
  const cols = expected.columns;
  const a = actual.select(...cols).sort(sortBy).toRecords();
  const e = expected.select(...cols).sort(sortBy).toRecords();
  for (let i = 0; i < e.length; i++) {
    for (const c of cols) {
      if (!same(a[i][c], e[i][c])) assert.fail(`row ${i} column ${c}: ${String(a[i][c])} !== ${String(e[i][c])}\nactual: ${JSON.stringify(a[i])}\nexpected: ${JSON.stringify(e[i])}`);
    }
  }
}

/** Runs a query to its end and returns it (rejects with the query's error). */
export async function runToEnd(query: StreamingQuery): Promise<StreamingQuery> {
  await query.start().awaitTermination();
  return query;
}

/** A Datetime cell (a Date from toRecords) as epoch milliseconds. */
export function msOf(value: unknown): number {
  if (!(value instanceof Date)) throw new Error(`expected a Date, got ${String(value)}`);
  return value.getTime();
}

/**
 * A course-layout file stream under `root` (`locations/`, `accelerations/`, one parquet file per
 * ride per 3 s partition `t=…`): `rides` rides of 15–35 s each, starting in the first 40% of
 * `[from, from + seconds)`, event time 2020-01-01 + offset. Another `from` extends a stream.
 */
export function writeCourseFiles(root: string, rides: number, seconds: number, o: { seed?: number; from?: number } = {}): void {
  const rand = rng(o.seed ?? 11);
  const from = o.from ?? 0;
  for (const table of ["locations", "accelerations"]) {
    for (let r = 0; r < rides; r++) {
      const uuid = `u${r}`;
      const begin = from + rand() * seconds * 0.4, end = Math.min(from + seconds, begin + 15 + rand() * 20);
      const step = table === "locations" ? 2.5 : 0.4;
      const byPart = new Map<number, number[]>();
      for (let t = begin; t < end; t += step * (0.8 + rand() * 0.4)) {
        const p = Math.floor(t / 3) * 3;
        byPart.set(p, [...(byPart.get(p) ?? []), Math.round(t * 1000) / 1000]);
      }
      for (const [p, ts] of byPart) {
        const dir = path.join(root, table, `t=${p.toFixed(1).padStart(5, "0")}`);
        mkdirSync(dir, { recursive: true });
        pl.DataFrame({
          id: ts.map(() => uuid), ride_id: ts.map(() => `ride-${uuid}`), uuid: ts.map(() => uuid),
          timestamp: pl.Series("timestamp", ts.map((t) => at(t)), pl.Datetime("ms")),
          offset: ts, speed: ts.map(() => Math.round(rand() * 20000) / 1000), latitude: ts.map(() => 37.8), longitude: ts.map(() => -122.3),
          x: ts.map(() => rand()), y: ts.map(() => 0), z: ts.map(() => 1),
        }).writeParquet(path.join(dir, `${uuid}${from === 0 ? "" : `-${from}`}.parquet`)); // a later part never overwrites a file read already
      }
    }
  }
}
