import pl, { type DataType } from "nodejs-polars";
import { OptionError, QueryError } from "../errors";

/** Internal column holding a row's event time in epoch milliseconds (Float64). */
export const EVENT_MS = "__event_ms";

/**
 * The unit of a numeric event-time column: `"ns"`, `"us"`, `"ms"`, `"s"`, or how many milliseconds
 * one unit lasts (e.g. `60_000` for minutes).
 */
export type TimeUnit = "ns" | "us" | "ms" | "s" | number;

/**
 * An event-time column: a polars Datetime column by name (`"timestamp"`), or a numeric (integer or
 * float) column with its unit (`{ column: "time", unit: "s" }`), counted from the epoch.
 */
export type EventTime = string | { column: string; unit: TimeUnit };

/** A resolved {@link EventTime}: `unitMs` is the milliseconds per unit of a numeric column, absent for a Datetime. */
export interface EventTimeSpec {
  readonly column: string;
  readonly unitMs?: number;
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000 };

/**
 * Reads an {@link EventTime} option.
 *
 * @throws OptionError (`BAD_OPTION`) naming `option` for an empty column or an unknown unit
 * @example
 * resolveEventTime({ column: "time", unit: "s" }, "window") // { column: "time", unitMs: 1000 }
 */
export function resolveEventTime(value: EventTime, option: string): EventTimeSpec {
  if (typeof value === "string" && value !== "") return { column: value };
  const v = value as { column?: unknown; unit?: unknown } | null;
  if (v === null || typeof v !== "object" || typeof v.column !== "string" || v.column === "") {
    throw new OptionError(`${option}.column`, typeof value === "object" ? JSON.stringify(value) : value, 'expected the event-time column: a Datetime column\'s name, e.g. "timestamp", or { column: "time", unit: "s" } for a numeric one');
  }
  const unitMs = typeof v.unit === "number" ? v.unit : UNIT_MS[String(v.unit)];
  if (!(typeof unitMs === "number" && Number.isFinite(unitMs) && unitMs > 0)) {
    throw new OptionError(`${option}.unit`, v.unit, 'expected "ns", "us", "ms", "s", or the milliseconds one unit lasts (a number > 0)');
  }
  return { column: v.column, unitMs };
}

const NUMERIC = new Set(["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64"]);

/**
 * Throws a QueryError naming `column` and listing the frame's columns when it is missing.
 * `what` says who needs it, e.g. `withWatermark on input "locations"`.
 */
export function requireColumn(frame: pl.DataFrame, column: string, what: string): void {
  if (!frame.columns.includes(column)) {
    throw new QueryError(`${what}: column "${column}" does not exist; the input has columns ${frame.columns.map((c) => `"${c}"`).join(", ") || "(none)"}.`, { context: { column } });
  }
}

/** Milliseconds per unit of a polars Datetime column. */
function msPerUnit(dtype: DataType): number | undefined {
  if (String(dtype).includes("Datetime") || (dtype as unknown as { variant?: string }).variant === "Datetime") {
    const unit = (dtype as unknown as { timeUnit?: string }).timeUnit ?? "us";
    return unit === "ms" ? 1 : unit === "us" ? 1e-3 : 1e-6;
  }
  return undefined;
}

/**
 * An expression giving the event-time column as epoch milliseconds (Float64): a Datetime column of
 * any unit, or a numeric column with its unit. Throws a QueryError when the column is missing or
 * its type does not fit (a number without a unit, a Datetime with one).
 */
export function epochMsExpr(frame: pl.DataFrame, time: string | EventTimeSpec, what: string): pl.Expr {
  const { column, unitMs } = typeof time === "string" ? { column: time, unitMs: undefined } : time;
  requireColumn(frame, column, what);
  const dtype = frame.schema[column];
  if (unitMs !== undefined) return numericEpochMs(dtype, column, unitMs, what);
  const factor = msPerUnit(dtype);
  if (factor === undefined) {
    const hint = NUMERIC.has(dtype.variant) ? `, or give a numeric column's unit: { column: "${column}", unit: "s" } (or "ms", "us", "ns", or the milliseconds per unit)` : "";
    throw new QueryError(`${what}: column "${column}" has type ${dtype.variant}; an event-time column must be a polars Datetime (UTC)${hint}.`, { context: { column } });
  }
  const key = `${factor}:${column}`;
  let expr = EPOCH_CACHE.get(key);
  if (expr === undefined) {
    const raw = pl.col(column).cast(pl.Int64).cast(pl.Float64);
    expr = (factor === 1 ? raw : raw.mul(factor).floor()).alias(EVENT_MS);
    EPOCH_CACHE.set(key, expr);
  }
  return expr;
}

/** A numeric event-time column in `unitMs` milliseconds per unit, as epoch milliseconds. */
function numericEpochMs(dtype: DataType, column: string, unitMs: number, what: string): pl.Expr {
  if (!NUMERIC.has(dtype.variant)) {
    const fix = msPerUnit(dtype) !== undefined ? `a Datetime carries its own unit: give the column's name alone ("${column}")` : "a numeric event-time column must hold integers or floats";
    throw new QueryError(`${what}: column "${column}" has type ${dtype.variant}, but a unit was given; ${fix}.`, { context: { column } });
  }
  const key = `n${unitMs}:${column}`;
  let expr = EPOCH_CACHE.get(key);
  if (expr === undefined) {
    const raw = pl.col(column).cast(pl.Float64);
    expr = (unitMs === 1 ? raw : raw.mul(unitMs)).alias(EVENT_MS);
    EPOCH_CACHE.set(key, expr);
  }
  return expr;
}

/** nodejs-polars expressions are costly to build (a large wrapper object each): reuse them. */
const EPOCH_CACHE = new Map<string, pl.Expr>();
const MS_TO_DATETIME = new Map<string, pl.Expr>();

/** An expression turning a Float64 epoch-ms column into Datetime("ms"), cached per column. */
export function msToDatetime(column: string): pl.Expr {
  let expr = MS_TO_DATETIME.get(column);
  if (expr === undefined) {
    expr = pl.col(column).cast(pl.Int64).cast(pl.Datetime("ms"));
    MS_TO_DATETIME.set(column, expr);
  }
  return expr;
}

/** Adds the {@link EVENT_MS} column. */
export function withEventMs(frame: pl.DataFrame, time: string | EventTimeSpec, what: string): pl.DataFrame {
  return frame.withColumns(epochMsExpr(frame, time, what));
}

/** Renders a watermark for progress records: ISO-8601, `"+infinity"` after the end-of-input flush, or null. */
export function formatWatermark(ms: number | null): string | null {
  if (ms === null || ms === -Infinity) return null;
  if (ms === Infinity) return "+infinity";
  return new Date(ms).toISOString();
}

/** A Series of epoch milliseconds as polars Datetime("ms"). */
export function msSeries(name: string, values: (number | null)[]): pl.Series {
  return pl.Series(name, values, pl.Float64).cast(pl.Int64).cast(pl.Datetime("ms"));
}
