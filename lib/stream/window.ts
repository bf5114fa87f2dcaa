import pl from "nodejs-polars";
import { OptionError } from "../errors";
import { parseDuration } from "../duration";
import type { Duration } from "./options";
import { EVENT_MS, resolveEventTime, type EventTime } from "./time";

/** Internal columns: a row's window start/end in epoch milliseconds. */
export const WINDOW_START_MS = "__window_start_ms";
export const WINDOW_END_MS = "__window_end_ms";

/** An event-time window: epoch-aligned, start inclusive, end exclusive (semantics.md, "Windows"). */
export interface WindowSpec {
  readonly kind: "window";
  /** The event-time column: a polars Datetime, or numeric with {@link unitMs}. */
  readonly column: string;
  /** Milliseconds per unit of a numeric event-time column; absent for a Datetime column. */
  readonly unitMs?: number;
  readonly sizeMs: number;
  /** Equal to sizeMs for a tumbling window. */
  readonly slideMs: number;
}

/**
 * A tumbling (`size`) or sliding (`size`, `slide`) event-time window on `column`, to pass to
 * `groupBy`. Windows are aligned on the epoch: a 15 s window holds `[k*15 s, (k+1)*15 s)`; with a
 * slide, windows start every `slide` and a row lands in `size/slide` of them.
 *
 * The column is a polars Datetime (`window_start`/`window_end` are then Datetime("ms")), or a
 * numeric column with its unit, `{ column: "time", unit: "s" }`: the bounds are then numbers in that
 * unit (Int64 when the size and slide are whole units, else Float64).
 *
 * @throws OptionError (`BAD_OPTION`) when size <= 0, slide <= 0, slide > size, a duration is unreadable, or the unit is unknown
 * @example
 * readStream(locations)
 *   .withWatermark("timestamp", "30 seconds")
 *   .groupBy("ride_id", window("timestamp", "30 seconds", "15 seconds"))
 *   .agg({ mean_speed: pl.col("speed").mean(), count: pl.col("speed").count() })
 * // a store's clock counted in seconds: sales per 5 s
 * readStream(sales).groupBy(window({ column: "time", unit: "s" }, "5 seconds")).agg({ total: pl.col("amount").sum() })
 */
export function window(column: EventTime, size: Duration, slide?: Duration): WindowSpec {
  const time = resolveEventTime(column, "window");
  const sizeMs = parseDuration(size, "window");
  if (!(sizeMs > 0)) throw new OptionError("window", size, 'expected a window size > 0, e.g. "15 seconds"');
  const slideMs = slide === undefined ? sizeMs : parseDuration(slide, "slide");
  if (!(slideMs > 0)) throw new OptionError("slide", slide, 'expected a slide > 0, e.g. "5 seconds"');
  if (slideMs > sizeMs) throw new OptionError("slide", slide, `slide must be <= window (${size}); a slide larger than the window would skip rows`);
  return { kind: "window", ...time, sizeMs, slideMs };
}

export function isWindowSpec(value: unknown): value is WindowSpec {
  return typeof value === "object" && value !== null && (value as WindowSpec).kind === "window";
}

/**
 * The windows `[start, end)` (epoch ms) an event time falls into, oldest first.
 *
 * @example
 * windowsOf(16_000, window("t", "15s"))        // [[15000, 30000]]
 * windowsOf(16_000, window("t", "30s", "15s")) // [[0, 30000], [15000, 45000]]
 */
export function windowsOf(eventMs: number, spec: WindowSpec): [number, number][] {
  const last = Math.floor(eventMs / spec.slideMs) * spec.slideMs;
  const out: [number, number][] = [];
  for (let start = last - Math.ceil(spec.sizeMs / spec.slideMs) * spec.slideMs; start <= last; start += spec.slideMs) {
    if (start <= eventMs && eventMs < start + spec.sizeMs) out.push([start, start + spec.sizeMs]);
  }
  return out;
}

/**
 * Adds {@link WINDOW_START_MS}/{@link WINDOW_END_MS} to a frame that has {@link EVENT_MS}; with a
 * sliding window a row becomes one row per window it belongs to.
 */
export function assignWindows(frame: pl.DataFrame, spec: WindowSpec): pl.DataFrame {
  const e = windowExprs(spec);
  const parts = e.starts.map((start) => frame.withColumns(start));
  const all = parts.length === 1 ? parts[0] : pl.concat(parts, { how: "vertical" });
  return all.withColumns(e.end).filter(e.inside);
}

/** Polars expressions are costly to build in nodejs-polars (a large wrapper object each): build them once per window. */
const EXPR_CACHE = new WeakMap<WindowSpec, { starts: pl.Expr[]; end: pl.Expr; inside: pl.Expr }>();

function windowExprs(spec: WindowSpec): { starts: pl.Expr[]; end: pl.Expr; inside: pl.Expr } {
  let cached = EXPR_CACHE.get(spec);
  if (cached === undefined) {
    const t = pl.col(EVENT_MS);
    const last = t.div(spec.slideMs).floor().mul(spec.slideMs);
    const copies = Math.ceil(spec.sizeMs / spec.slideMs);
    cached = {
      starts: Array.from({ length: copies }, (_, k) => (k === 0 ? last : last.sub(k * spec.slideMs)).alias(WINDOW_START_MS)),
      end: pl.col(WINDOW_START_MS).add(spec.sizeMs).alias(WINDOW_END_MS),
      inside: pl.col(WINDOW_START_MS).lessThanEquals(t).and(t.lessThan(pl.col(WINDOW_END_MS))),
    };
    EXPR_CACHE.set(spec, cached);
  }
  return cached;
}
