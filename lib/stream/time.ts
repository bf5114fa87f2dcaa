import pl, { type DataType } from "nodejs-polars";
import { QueryError } from "../errors";

/** Internal column holding a row's event time in epoch milliseconds (Float64). */
export const EVENT_MS = "__event_ms";

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
 * An expression giving `column` as epoch milliseconds (Float64), for a Datetime column of any
 * unit. Throws a QueryError when the column is missing or is not a Datetime.
 */
export function epochMsExpr(frame: pl.DataFrame, column: string, what: string): pl.Expr {
  requireColumn(frame, column, what);
  const dtype = frame.schema[column];
  const factor = msPerUnit(dtype);
  if (factor === undefined) {
    throw new QueryError(`${what}: column "${column}" has type ${String(dtype)}; an event-time column must be a polars Datetime (UTC).`, { context: { column } });
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
export function withEventMs(frame: pl.DataFrame, column: string, what: string): pl.DataFrame {
  return frame.withColumns(epochMsExpr(frame, column, what));
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
