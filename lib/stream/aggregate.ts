import pl from "nodejs-polars";
import { OptionError } from "../errors";
import { requireColumn } from "./time";
import { WINDOW_START_MS, type WindowSpec } from "./window";

/** The aggregations the engine merges exactly across micro-batches (partial sums and counts). */
export type AggFunction = "mean" | "sum" | "count" | "min" | "max";

/** One aggregation: a function of a column (`column: null` = count rows). */
export interface Aggregation {
  readonly kind: "aggregation";
  readonly fn: AggFunction;
  readonly column: string | null;
}

/** What `.agg({...})` accepts per output column: an {@link Aggregation} or a polars `pl.col(x).<fn>()`. */
export type AggregationInput = Aggregation | pl.Expr;

/**
 * Aggregation builders (the same as `pl.col(x).mean()` etc., which `.agg` also accepts).
 *
 * @example
 * .agg({ mean_speed: Agg.mean("speed"), count: Agg.count("speed"), rows: Agg.count(), top: Agg.max("speed") })
 */
export const Agg = {
  /** Mean of the non-null values (exact across batches: sum / count). */
  mean: (column: string): Aggregation => ({ kind: "aggregation", fn: "mean", column }),
  /** Sum of the non-null values (null when there are none). */
  sum: (column: string): Aggregation => ({ kind: "aggregation", fn: "sum", column }),
  /** Count of non-null values of `column`, or of rows when no column is given. */
  count: (column?: string): Aggregation => ({ kind: "aggregation", fn: "count", column: column ?? null }),
  min: (column: string): Aggregation => ({ kind: "aggregation", fn: "min", column }),
  max: (column: string): Aggregation => ({ kind: "aggregation", fn: "max", column }),
};

const EXPR_PATTERN = /^col\("((?:[^"\\]|\\.)+)"\)\.(mean|sum|count|min|max)\(\)$/;

/**
 * Reads one `.agg` entry. Polars expressions are accepted in the simple form `pl.col("x").mean()`
 * (also sum/count/min/max) and `pl.len()`: only those can be merged exactly across micro-batches.
 */
export function parseAggregation(name: string, value: AggregationInput): Aggregation {
  if (value !== null && typeof value === "object" && (value as Aggregation).kind === "aggregation") {
    const a = value as Aggregation;
    if (!["mean", "sum", "count", "min", "max"].includes(a.fn)) throw new OptionError(`agg.${name}`, a.fn, "expected mean, sum, count, min or max");
    return a;
  }
  const text = value === null || value === undefined ? String(value) : String((value as pl.Expr).toString());
  if (text === "len()") return Agg.count();
  const m = EXPR_PATTERN.exec(text);
  if (m === null) {
    throw new OptionError(`agg.${name}`, text, 'expected pl.col("x").mean()/sum()/count()/min()/max(), pl.len(), or Agg.mean("x") etc.: only these merge exactly across micro-batches (derive columns with withColumns before groupBy)');
  }
  return { kind: "aggregation", fn: m[2] as AggFunction, column: m[1] };
}

/**
 * Epoch ms → a window bound as the event-time column holds it: Datetime("ms"), or a number in the
 * column's unit (Int64 when size and slide are whole units, so every bound is one).
 */
function windowBound(w: WindowSpec): (ms: pl.Expr) => pl.Expr {
  const unitMs = w.unitMs;
  if (unitMs === undefined) return (ms) => ms.cast(pl.Int64).cast(pl.Datetime("ms"));
  const whole = (x: number) => Math.abs(x / unitMs - Math.round(x / unitMs)) < 1e-9;
  if (whole(w.sizeMs) && whole(w.slideMs)) return (ms) => ms.div(unitMs).round(0).cast(pl.Int64);
  return (ms) => ms.div(unitMs);
}

const GROUP_ALL = "__group_all";
/** @internal Internal column: the batch that last updated a group. */
export const UPDATED = "__updated_in";

/** @internal Per aggregation: non-null count, and the sum / min / max it needs (a micro-batch's partials). */
export function partialExprs(aggs: [string, Aggregation][]): pl.Expr[] {
  const exprs: pl.Expr[] = [];
  aggs.forEach(([, a], i) => {
    if (a.column === null) {
      exprs.push(pl.len().cast(pl.Int64).alias(`__c${i}`));
    } else {
      const c = pl.col(a.column);
      exprs.push(c.count().cast(pl.Int64).alias(`__c${i}`));
      if (a.fn === "mean" || a.fn === "sum") exprs.push(c.cast(pl.Float64).sum().alias(`__s${i}`));
      if (a.fn === "min") exprs.push(c.min().alias(`__min${i}`));
      if (a.fn === "max") exprs.push(c.max().alias(`__max${i}`));
    }
  });
  return exprs;
}

/** @internal Partials of several rows of a group → one row: counts and sums add up, min of mins, max of maxes, last update. */
export function mergeExprs(aggs: [string, Aggregation][]): pl.Expr[] {
  const exprs: pl.Expr[] = [pl.col(UPDATED).max().alias(UPDATED)];
  aggs.forEach(([, a], i) => {
    exprs.push(pl.col(`__c${i}`).sum().alias(`__c${i}`));
    if (a.fn === "mean" || a.fn === "sum") exprs.push(pl.col(`__s${i}`).sum().alias(`__s${i}`));
    if (a.fn === "min") exprs.push(pl.col(`__min${i}`).min().alias(`__min${i}`));
    if (a.fn === "max") exprs.push(pl.col(`__max${i}`).max().alias(`__max${i}`));
  });
  return exprs;
}

/** @internal Partials → each aggregation's output column, by name. */
export function aggValueExprs(aggs: [string, Aggregation][]): pl.Expr[] {
  return aggs.map(([name, a], i) => {
    const count = pl.col(`__c${i}`);
    const none = count.eq(0);
    switch (a.fn) {
      case "count": return count.alias(name);
      case "mean": return pl.when(none).then(pl.lit(null)).otherwise(pl.col(`__s${i}`).div(count)).cast(pl.Float64).alias(name);
      case "sum": return pl.when(none).then(pl.lit(null)).otherwise(pl.col(`__s${i}`)).cast(pl.Float64).alias(name);
      case "min": return pl.col(`__min${i}`).alias(name);
      case "max": return pl.col(`__max${i}`).alias(name);
    }
  });
}

/**
 * Keyed (optionally windowed) aggregation state, held as one polars frame: a row per group (keys ×
 * window start) with partial aggregates (non-null count, sum, min, max per aggregation) and the
 * batch that last updated it. Each micro-batch is reduced to partials by one group-by, merged into
 * the state by a second group-by over state and partials, so a mean is the exact total sum over the
 * total count however the rows were split into batches. Eviction is a filter. Every expression is
 * built once, in the constructor: nodejs-polars builds a large wrapper object per expression.
 */
export class AggregationState {
  private readonly aggs: [string, Aggregation][];
  /** The groups held; null until the first update gives the schema. */
  private state: pl.DataFrame | null = null;
  private readonly by: string[];
  private readonly partialExprs: pl.Expr[];
  private readonly mergeExprs: pl.Expr[];
  private readonly outputExprs: pl.Expr[];
  private readonly groupAll: pl.Expr;
  private readonly finalAt: ((watermarkMs: number) => pl.Expr) | null;
  private readonly sortBy: string[];

  /**
   * @param evictByWatermark whether the watermark says when a window is final: only when it is on
   *   the window's own column (else nothing relates the two, and windows are kept to the end of input)
   */
  constructor(readonly keys: string[], readonly window: WindowSpec | undefined, aggs: Record<string, Aggregation>, evictByWatermark = true) {
    this.aggs = Object.entries(aggs);
    this.by = [...keys, ...(window ? [WINDOW_START_MS] : [])];
    if (this.by.length === 0) this.by.push(GROUP_ALL);
    this.groupAll = pl.lit(1).alias(GROUP_ALL);
    this.partialExprs = partialExprs(this.aggs);
    this.mergeExprs = mergeExprs(this.aggs);
    this.outputExprs = this.buildOutputExprs();
    this.sortBy = [...keys, ...(window ? ["window_start"] : [])];
    const end = pl.col(WINDOW_START_MS).add(window?.sizeMs ?? 0);
    // A literal per watermark is one small expression per batch; the column arithmetic is built once.
    this.finalAt = window && evictByWatermark ? (wm) => end.lessThanEquals(pl.lit(wm)) : null;
  }

  /** Partials → the output columns: keys, window_start, window_end, then each aggregation. */
  private buildOutputExprs(): pl.Expr[] {
    const exprs: pl.Expr[] = this.keys.map((k) => pl.col(k));
    if (this.window) {
      const bound = windowBound(this.window);
      exprs.push(bound(pl.col(WINDOW_START_MS)).alias("window_start"));
      exprs.push(bound(pl.col(WINDOW_START_MS).add(this.window.sizeMs)).alias("window_end"));
    }
    exprs.push(...aggValueExprs(this.aggs));
    return exprs;
  }

  /** Number of groups (key × window) held. */
  get size(): number {
    return this.state?.height ?? 0;
  }

  /** Output column names, in order: keys, window_start, window_end, aggregation names. */
  get outputColumns(): string[] {
    return [...this.keys, ...(this.window ? ["window_start", "window_end"] : []), ...this.aggs.map(([n]) => n)];
  }

  /**
   * Merges a frame's rows (windows already assigned when windowed) into the state; returns how
   * many groups it touched. Groups touched are stamped with `batchId`.
   */
  update(frame: pl.DataFrame, batchId: number): number {
    for (const k of this.keys) requireColumn(frame, k, "groupBy");
    for (const [name, a] of this.aggs) if (a.column !== null) requireColumn(frame, a.column, `agg ${name}`);
    if (frame.height === 0 && this.state !== null) return 0;
    const input = this.by[0] === GROUP_ALL ? frame.withColumns(this.groupAll) : frame;
    const partials = input.groupBy(this.by).agg(...this.partialExprs).withColumns(pl.lit(batchId).cast(pl.Int64).alias(UPDATED));
    if (this.state === null || this.state.height === 0) this.state = partials;
    else this.state = pl.concat([this.state, partials], { how: "diagonal", rechunk: false }).groupBy(this.by).agg(...this.mergeExprs);
    return partials.height;
  }

  /** Groups stamped with `batchId` (update mode's output). */
  updatedIn(batchId: number): pl.DataFrame {
    if (this.state === null) return pl.DataFrame({});
    return this.toFrame(this.state.filter(pl.col(UPDATED).eq(batchId)));
  }

  /** Every group held (complete mode's output). */
  all(): pl.DataFrame {
    return this.state === null ? pl.DataFrame({}) : this.toFrame(this.state);
  }

  /**
   * Removes the windows that are final under `watermarkMs` (window_end <= watermark) and returns
   * them (append mode emits them). Non-windowed groups are final only at +Infinity (end of input).
   */
  evictFinal(watermarkMs: number): pl.DataFrame {
    if (this.state === null) return pl.DataFrame({});
    const none = this.state.head(0);
    if (watermarkMs === Infinity) {
      const final = this.state;
      this.state = none;
      return this.toFrame(final);
    }
    // Before any watermark, and for groups without a window, nothing is final yet.
    if (watermarkMs === -Infinity || this.finalAt === null) return this.toFrame(none);
    const isFinal = this.finalAt(watermarkMs);
    const final = this.state.filter(isFinal);
    if (final.height > 0) this.state = this.state.filter(isFinal.not());
    return this.toFrame(final);
  }

  /** The end (epoch ms) of the latest window held, or -Infinity (no window held, or not windowed). */
  get latestWindowEnd(): number {
    if (this.state === null || this.state.height === 0 || this.window === undefined) return -Infinity;
    return Number(this.state.getColumn(WINDOW_START_MS).max()) + this.window.sizeMs;
  }

  /** The state for a checkpoint snapshot: the groups frame (null before the first update). */
  snapshot(): { frames: Record<string, pl.DataFrame | null>; meta: null } {
    return { frames: { groups: this.state }, meta: null };
  }

  /** Restores what {@link snapshot} gave. */
  restore(s: { frames: Record<string, pl.DataFrame | null> }): void {
    this.state = s.frames.groups ?? null;
  }

  /** The output frame of some groups, sorted by keys and window start. */
  private toFrame(groups: pl.DataFrame): pl.DataFrame {
    const frame = groups.select(...this.outputExprs);
    return this.sortBy.length > 0 && frame.height > 1 ? frame.sort(this.sortBy) : frame;
  }
}
