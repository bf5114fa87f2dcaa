/** Shared helpers of the engine's unit tests (test/unit/stream*.test.ts). */
import assert from "node:assert/strict";
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
