import pl from "nodejs-polars";
import { aggValueExprs, partialExprs, type Aggregation } from "./aggregate";
import type { OutputMode } from "./types";

/** A second aggregation over the first's output (`groupBy(...).agg(...).groupBy(...).agg(...)`). */
export interface ChainedPlan {
  readonly keys: string[];
  readonly aggs: Record<string, Aggregation>;
}

/** Internal: a hash of a row's second-level key, to find the groups a change touches (null keys included). */
const K2 = "__chained_key";
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
  private readonly output: pl.Expr[];
  private readonly by: string[];
  /** The second-level key keeps the first's window: its groups become final with it. */
  readonly windowed: boolean;

  /**
   * @param firstKeys the first stage's group columns in its output (keys, and `window_start` when windowed)
   */
  constructor(private readonly firstKeys: string[], readonly plan: ChainedPlan) {
    this.aggs = Object.entries(plan.aggs);
    this.partial = partialExprs(this.aggs);
    this.by = plan.keys.length > 0 ? plan.keys : [GROUP_ALL];
    this.output = [...plan.keys.map((k) => pl.col(k)), ...aggValueExprs(this.aggs)];
    this.windowed = plan.keys.includes("window_start") || plan.keys.includes("window_end");
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
      const keyed = this.withKey(changes);
      touched = keyed.select(K2).unique();
      const all = this.table === null || this.table.height === 0 ? keyed : pl.concat([this.table, keyed], { how: "diagonalRelaxed" });
      // The latest row per first-level group (a change comes after the row it replaces).
      this.table = all.unique({ subset: this.firstKeys, keep: "last", maintainOrder: true });
    }
    if (this.table === null) return pl.DataFrame({});
    if (mode === "complete") return this.aggregate(this.table);
    const final = this.splitFinal(this.table, finals, watermarkMs);
    if (mode === "append") {
      if (final === null) return this.aggregate(this.table.head(0));
      this.table = final.rest;
      return this.aggregate(final.rows);
    }
    const out = this.aggregate(touched === null ? this.table.head(0) : this.table.join(touched, { on: K2, how: "semi" }));
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
    if (!this.windowed || finals.height === 0) return null;
    const groups = this.withKey(finals).select(K2).unique();
    const rows = table.join(groups, { on: K2, how: "semi" });
    return rows.height === 0 ? null : { rows, rest: table.join(groups, { on: K2, how: "anti" }) };
  }

  private withKey(rows: pl.DataFrame): pl.DataFrame {
    const keys = this.plan.keys.length > 0 ? rows.select(...this.plan.keys) : rows.select(pl.lit(1).alias(GROUP_ALL));
    return rows.withColumns(keys.hashRows(...SEEDS).alias(K2));
  }

  /** The second aggregation over some first-level rows, one row per second-level group. */
  private aggregate(rows: pl.DataFrame): pl.DataFrame {
    const input = this.plan.keys.length === 0 ? rows.withColumns(pl.lit(1).alias(GROUP_ALL)) : rows;
    const frame = input.groupBy(this.by).agg(...this.partial).select(...this.output);
    return this.plan.keys.length > 0 && frame.height > 1 ? frame.sort(this.plan.keys) : frame;
  }
}
