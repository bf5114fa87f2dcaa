import pl, { type DataType } from "nodejs-polars";
import { OptionError, QueryError } from "../errors";
import { requireColumn } from "./time";
import { WINDOW_END_MS, WINDOW_START_MS, type WindowSpec } from "./window";
import { msToDatetime } from "./time";

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

interface Partial { sum: number; count: number; min: unknown; max: unknown }
interface Entry { keys: unknown[]; start: number | null; end: number | null; partials: Partial[]; updatedIn: number }

const GROUP_ALL = "__group_all";

/**
 * Keyed (optionally windowed) aggregation state. Each micro-batch's rows are reduced by polars to
 * partial aggregates (sum, non-null count, min, max per aggregation) that merge into the state, so
 * a mean is the exact total sum over the total count, however the rows were split into batches.
 */
export class AggregationState {
  private readonly entries = new Map<string, Entry>();
  private readonly aggs: [string, Aggregation][];
  private keyTypes: DataType[] | null = null;
  private valueTypes: (DataType | null)[] | null = null;
  /** Built once: nodejs-polars expressions are costly to construct. */
  private readonly partialExprs: pl.Expr[];

  constructor(readonly keys: string[], readonly window: WindowSpec | undefined, aggs: Record<string, Aggregation>) {
    this.aggs = Object.entries(aggs);
    this.partialExprs = this.buildPartialExprs();
  }

  /** Per aggregation: non-null count, and the sum / min / max it needs. */
  private buildPartialExprs(): pl.Expr[] {
    const exprs: pl.Expr[] = [];
    this.aggs.forEach(([, a], i) => {
      if (a.column === null) {
        exprs.push(pl.len().alias(`__c${i}`));
      } else {
        const c = pl.col(a.column);
        exprs.push(c.count().alias(`__c${i}`));
        if (a.fn === "mean" || a.fn === "sum") exprs.push(c.cast(pl.Float64).sum().alias(`__s${i}`));
        if (a.fn === "min") exprs.push(c.min().alias(`__min${i}`));
        if (a.fn === "max") exprs.push(c.max().alias(`__max${i}`));
      }
    });
    return exprs;
  }

  /** Number of groups (key × window) held. */
  get size(): number {
    return this.entries.size;
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
    if (this.keyTypes === null) {
      this.keyTypes = this.keys.map((k) => frame.schema[k]);
      this.valueTypes = this.aggs.map(([, a]) => (a.column === null ? null : frame.schema[a.column]));
    }
    if (frame.height === 0) return 0;
    const by = [...this.keys, ...(this.window ? [WINDOW_START_MS] : [])];
    let input = frame;
    if (by.length === 0) { input = frame.withColumns(pl.lit(1).alias(GROUP_ALL)); by.push(GROUP_ALL); }
    const partials = input.groupBy(by).agg(...this.partialExprs).toRecords() as Record<string, unknown>[];
    for (const row of partials) {
      const keys = this.keys.map((k) => row[k]);
      const start = this.window ? Number(row[WINDOW_START_MS]) : null;
      const id = JSON.stringify([keys, start]);
      let entry = this.entries.get(id);
      if (entry === undefined) {
        entry = { keys, start, end: start === null ? null : start + this.window!.sizeMs, partials: this.aggs.map(() => ({ sum: 0, count: 0, min: null, max: null })), updatedIn: batchId };
        this.entries.set(id, entry);
      }
      entry.updatedIn = batchId;
      this.aggs.forEach(([, a], i) => {
        const p = entry!.partials[i];
        p.count += Number(row[`__c${i}`] ?? 0);
        if (a.fn === "mean" || a.fn === "sum") p.sum += Number(row[`__s${i}`] ?? 0);
        const mn = row[`__min${i}`];
        if (a.fn === "min" && mn !== null && mn !== undefined && (p.min === null || (mn as number) < (p.min as number))) p.min = mn;
        const mx = row[`__max${i}`];
        if (a.fn === "max" && mx !== null && mx !== undefined && (p.max === null || (mx as number) > (p.max as number))) p.max = mx;
      });
    }
    return partials.length;
  }

  /** Groups stamped with `batchId` (update mode's output). */
  updatedIn(batchId: number): pl.DataFrame {
    return this.toFrame([...this.entries.values()].filter((e) => e.updatedIn === batchId));
  }

  /** Every group held (complete mode's output). */
  all(): pl.DataFrame {
    return this.toFrame([...this.entries.values()]);
  }

  /**
   * Removes the windows that are final under `watermarkMs` (window_end <= watermark) and returns
   * them (append mode emits them). Non-windowed groups are final only at +Infinity (end of input).
   */
  evictFinal(watermarkMs: number): pl.DataFrame {
    const final: Entry[] = [];
    for (const [id, e] of this.entries) {
      const isFinal = e.end === null ? watermarkMs === Infinity : e.end <= watermarkMs;
      if (isFinal) { final.push(e); this.entries.delete(id); }
    }
    return this.toFrame(final);
  }

  /** Builds the output frame of some groups, sorted by keys and window start. */
  private toFrame(entries: Entry[]): pl.DataFrame {
    if (this.keyTypes === null || this.valueTypes === null) {
      if (entries.length > 0) throw new QueryError("aggregation state has groups but no schema (internal error)");
      return pl.DataFrame({});
    }
    const cols: pl.Series[] = this.keys.map((k, i) => pl.Series(k, entries.map((e) => e.keys[i]), this.keyTypes![i]));
    if (this.window) {
      cols.push(pl.Series("window_start", entries.map((e) => e.start), pl.Float64));
      cols.push(pl.Series("window_end", entries.map((e) => e.end), pl.Float64));
    }
    this.aggs.forEach(([name, a], i) => {
      const ps = entries.map((e) => e.partials[i]);
      switch (a.fn) {
        case "count": cols.push(pl.Series(name, ps.map((p) => p.count), pl.Int64)); break;
        case "mean": cols.push(pl.Series(name, ps.map((p) => (p.count === 0 ? null : p.sum / p.count)), pl.Float64)); break;
        case "sum": cols.push(pl.Series(name, ps.map((p) => (p.count === 0 ? null : p.sum)), pl.Float64)); break;
        case "min": cols.push(pl.Series(name, ps.map((p) => p.min), this.valueTypes![i] ?? undefined)); break;
        case "max": cols.push(pl.Series(name, ps.map((p) => p.max), this.valueTypes![i] ?? undefined)); break;
      }
    });
    let frame = pl.DataFrame(cols);
    if (this.window) frame = frame.withColumns(msToDatetime("window_start"), msToDatetime("window_end"));
    const sortBy = [...this.keys, ...(this.window ? ["window_start"] : [])];
    return sortBy.length > 0 && frame.height > 1 ? frame.sort(sortBy) : frame;
  }
}
