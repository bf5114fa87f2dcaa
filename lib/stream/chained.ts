import pl from "nodejs-polars";
import { QueryError } from "../errors";
import { aggValueExprs, partialExprs, type Aggregation } from "./aggregate";
import { EVENT_MS } from "./time";
import type { OutputMode } from "./types";
import { assignWindows, WINDOW_END_MS, WINDOW_START_MS, type WindowSpec } from "./window";

/** A second aggregation over the first's output (`groupBy(...).agg(...).groupBy(...).agg(...)`). */
export interface ChainedPlan {
  readonly keys: string[];
  readonly aggs: Record<string, Aggregation>;
  /**
   * A coarser window over the first one's windows (`window("window", "1 minute")`, Spark's
   * `window(window_time(window), ...)`): a first-level window belongs to the windows holding its
   * last instant, `window_end - 1 ms`.
   */
  readonly window?: WindowSpec;
}

/** Internal: a hash of a row's second-level key, to find the groups a change touches (null keys included). */
const K2 = "__chained_key";
/** Internal: a hash of a row's first-level identity, to find the row a change replaces. */
const ID = "__chained_id";
const GROUP_ALL = "__group_all";
/** Fixed seeds: the same key hashes alike in every batch and after a restart. */
const SEEDS = [0x5eed, 0x1, 0x2, 0x3] as const;

/**
 * A chained aggregation (docs/operators.md, "Chained aggregations"; Kafka Streams' table aggregation,
 * which Spark refuses in update and complete mode): the second aggregation is computed over the
 * first one's result as a table, its latest row per group. Each micro-batch upserts the first
 * stage's changed rows into that table and recomputes the second-level groups they belong to, so a
 * first-level row that changes counts once, with its latest value (a mean of means is right, not a
 * mean of every intermediate value).
 *
 * State: the first stage's latest rows. When the second `groupBy` keeps the first's window
 * (`window_start` or `window_end` among its keys), a second-level group is final once that window
 * is (the first stage evicts it as final): append mode emits it then, and its rows are dropped.
 * Otherwise the table keeps every first-level group for the life of the query (its value may
 * still count).
 */
export class ChainedAggregation {
  private table: pl.DataFrame | null = null;
  private readonly aggs: [string, Aggregation][];
  private readonly partial: pl.Expr[];
  /** The partials of a group without rows. */
  private readonly noRows: pl.Expr[];
  private readonly output: pl.Expr[];
  private readonly by: string[];
  /** The second-level key keeps the first's window: its groups become final with it. */
  readonly windowed: boolean;

  /**
   * @param firstKeys the first stage's group columns in its output (keys, and `window_start` when windowed)
   */
  private readonly identity: string[];
  private readonly sortBy: string[];
  private readonly lastInstant = pl.col("window_end").cast(pl.Int64).sub(1).cast(pl.Float64).alias(EVENT_MS);

  constructor(private readonly firstKeys: string[], readonly plan: ChainedPlan) {
    this.aggs = Object.entries(plan.aggs);
    this.partial = partialExprs(this.aggs);
    this.noRows = this.aggs.flatMap(([, a], i) => [
      pl.lit(0).cast(pl.Int64).alias(`__c${i}`),
      ...(a.fn === "mean" || a.fn === "sum" ? [pl.lit(null).cast(pl.Float64).alias(`__s${i}`)] : []),
      ...(a.fn === "min" ? [pl.lit(null).alias(`__min${i}`)] : []),
      ...(a.fn === "max" ? [pl.lit(null).alias(`__max${i}`)] : []),
    ]);
    const w = plan.window;
    this.by = [...plan.keys, ...(w ? [WINDOW_START_MS] : [])];
    if (this.by.length === 0) this.by.push(GROUP_ALL);
    // A first-level row sits in the table once per coarse window it belongs to (several when sliding).
    this.identity = [...firstKeys, ...(w ? [WINDOW_START_MS] : [])];
    const bounds = w ? [pl.col(WINDOW_START_MS).cast(pl.Int64).cast(pl.Datetime("ms")).alias("window_start"), pl.col(WINDOW_START_MS).add(w.sizeMs).cast(pl.Int64).cast(pl.Datetime("ms")).alias("window_end")] : [];
    this.output = [...plan.keys.map((k) => pl.col(k)), ...bounds, ...aggValueExprs(this.aggs)];
    this.sortBy = [...plan.keys, ...(w ? ["window_start"] : [])];
    this.windowed = w !== undefined || plan.keys.includes("window_start") || plan.keys.includes("window_end");
  }

  /** With a coarser window: each first-level row once per coarse window holding its window's last instant. */
  private assign(rows: pl.DataFrame): pl.DataFrame {
    const w = this.plan.window;
    if (w === undefined || rows.height === 0) return rows;
    const dtype = rows.schema["window_end"] as unknown as { variant?: string; timeUnit?: string };
    if (dtype.variant !== "Datetime" || dtype.timeUnit !== "ms") {
      throw new QueryError(`window("window", ...) after an aggregation needs its window bounds as Datetime("ms"); "window_end" is ${String(rows.schema["window_end"])}: group by "window_start" instead.`);
    }
    return assignWindows(rows.withColumns(this.lastInstant), w).drop([EVENT_MS, WINDOW_END_MS]);
  }

  /** First-level rows held. */
  get size(): number {
    return this.table?.height ?? 0;
  }

  /**
   * Takes the first stage's rows changed in this batch and those it evicted as final (its output
   * columns) and returns the second stage's output for `mode`: the groups the changes touched
   * (update), every group (complete), or the groups that became final (append).
   */
  process(changes: pl.DataFrame, finals: pl.DataFrame, mode: OutputMode, watermarkMs: number): pl.DataFrame {
    let touched: pl.DataFrame | null = null;
    if (changes.height > 0) {
      const keyed = this.withKey(this.assign(changes));
      // The groups touched: those of the new values, and those of the rows they replace (a row whose
      // second-level key is a first-level value moves between groups).
      const replaced = this.table === null || this.table.height === 0 ? null : this.table.join(keyed.select(ID), { on: ID, how: "semi" });
      const groups = this.by[0] === GROUP_ALL ? [K2] : [...this.by, K2];
      touched = (replaced === null ? keyed.select(...groups) : pl.concat([replaced.select(...groups), keyed.select(...groups)], { how: "diagonalRelaxed" })).unique({ subset: [K2] });
      const all = this.table === null || this.table.height === 0 ? keyed : pl.concat([this.table, keyed], { how: "diagonalRelaxed" });
      // The latest row per first-level group (a change comes after the row it replaces).
      this.table = all.unique({ subset: this.identity, keep: "last", maintainOrder: true });
    }
    if (this.table === null) return pl.DataFrame({});
    if (mode === "complete") return this.aggregate(this.table);
    const final = this.splitFinal(this.table, finals, watermarkMs);
    if (mode === "append") {
      if (final === null) return this.aggregate(this.table.head(0));
      this.table = final.rest;
      return this.aggregate(final.rows);
    }
    let out = this.aggregate(touched === null ? this.table.head(0) : this.table.join(touched.select(K2), { on: K2, how: "semi" }));
    if (touched !== null && this.by[0] !== GROUP_ALL) {
      // A group whose rows all moved to others is emitted once more, empty: counts 0, values null.
      const emptied = touched.join(this.table.select(K2), { on: K2, how: "anti" });
      if (emptied.height > 0) out = pl.concat([out, emptied.withColumns(...this.noRows).select(...this.output)], { how: "diagonalRelaxed" });
    }
    if (final !== null) this.table = final.rest;
    return out;
  }

  /** The state for a checkpoint snapshot: the first stage's latest rows. */
  snapshot(): pl.DataFrame | null {
    return this.table;
  }

  /** Restores what {@link snapshot} gave. */
  restore(frame: pl.DataFrame | null | undefined): void {
    this.table = frame ?? null;
  }

  /**
   * Splits off the rows whose second-level group is final (null when none is): with the window in
   * the key, the groups of the first-level windows that just became final (every row of such a
   * group has that window); at the end of input, all of them.
   */
  private splitFinal(table: pl.DataFrame, finals: pl.DataFrame, watermarkMs: number): { rows: pl.DataFrame; rest: pl.DataFrame } | null {
    if (table.height === 0) return null;
    if (watermarkMs === Infinity) return { rows: table, rest: table.head(0) };
    if (this.plan.window) {
      // A coarse window is final once it ends: every first-level window in it has ended by then.
      const isFinal = pl.col(WINDOW_START_MS).add(this.plan.window.sizeMs).lessThanEquals(pl.lit(watermarkMs));
      const rows = table.filter(isFinal);
      return rows.height === 0 ? null : { rows, rest: table.filter(isFinal.not()) };
    }
    if (!this.windowed || finals.height === 0) return null;
    const groups = this.withKey(finals).select(K2).unique();
    const rows = table.join(groups, { on: K2, how: "semi" });
    return rows.height === 0 ? null : { rows, rest: table.join(groups, { on: K2, how: "anti" }) };
  }

  private withKey(rows: pl.DataFrame): pl.DataFrame {
    const keys = this.by[0] !== GROUP_ALL ? rows.select(...this.by) : rows.select(pl.lit(1).alias(GROUP_ALL));
    return rows.withColumns(keys.hashRows(...SEEDS).alias(K2), rows.select(...this.identity).hashRows(...SEEDS).alias(ID));
  }

  /** The second aggregation over some first-level rows, one row per second-level group. */
  private aggregate(rows: pl.DataFrame): pl.DataFrame {
    const input = this.by[0] === GROUP_ALL ? rows.withColumns(pl.lit(1).alias(GROUP_ALL)) : rows;
    const frame = input.groupBy(this.by).agg(...this.partial).select(...this.output);
    return this.sortBy.length > 0 && frame.height > 1 ? frame.sort(this.sortBy) : frame;
  }
}
