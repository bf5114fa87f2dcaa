import pl from "nodejs-polars";
import { OptionError } from "../errors";
import { EVENT_MS, requireColumn } from "./time";

/** `dropDuplicates` in a plan: the key columns (empty = every column of the input). */
export interface DedupPlan {
  readonly columns: string[];
}

/** Validates `dropDuplicates`' columns; throws OptionError naming the option. */
export function resolveDedupColumns(columns: unknown): string[] {
  const list = columns === undefined ? [] : Array.isArray(columns) ? columns : [columns];
  list.forEach((c, i) => {
    if (typeof c !== "string" || c === "") throw new OptionError(`dropDuplicates[${i}]`, c, 'expected a column name, e.g. "uuid"');
  });
  if (new Set(list).size !== list.length) throw new OptionError("dropDuplicates", list, "expected distinct column names");
  return list as string[];
}

/** Marks a state row in the frame that separates new keys from seen ones. */
const SEEN = "__dedup_seen";
/** Internal columns that never count as keys when deduplicating on every column. */
const INTERNAL = /^__/;

/**
 * The state of `dropDuplicates` (Spark's streaming deduplication, semantics.md "Deduplication"):
 * the keys seen so far, one row each, held as a polars frame. A row is emitted the first time its
 * key is seen (the first such row of its micro-batch) and never again while the key is held.
 *
 * With a watermark whose event-time column is one of the keys, the state also holds each key's
 * event time and drops the keys below the watermark: a later duplicate of such a key is below the
 * watermark too, so the engine drops it as late before it gets here. Without that (no watermark,
 * or its column not among the keys) the state grows with every distinct key, as in Spark.
 */
export class DedupState {
  private state: pl.DataFrame | null = null;
  private readonly seenTrue = pl.lit(true).alias(SEEN);
  private readonly seenFalse = pl.lit(false).alias(SEEN);
  private readonly isNew = pl.col(SEEN).not();

  /**
   * @param columns the key columns; empty: every column of the input (but internal ones)
   * @param eventTime the watermark's column when there is one (state is bounded only if it is a key)
   */
  constructor(readonly columns: string[], private readonly eventTime: string | undefined) {}

  /** Keys held. */
  get size(): number {
    return this.state?.height ?? 0;
  }

  /** The keys of a frame: the given columns, or all but internal ones. */
  private keysOf(frame: pl.DataFrame): string[] {
    if (this.columns.length === 0) return frame.columns.filter((c) => !INTERNAL.test(c));
    for (const c of this.columns) requireColumn(frame, c, "dropDuplicates");
    return this.columns;
  }

  /** True when the state can be bounded: the watermark's column is a key. */
  private bounded(keys: string[]): boolean {
    return this.eventTime !== undefined && keys.includes(this.eventTime);
  }

  /**
   * Returns the rows of `frame` whose key was not seen before (the first per key, in input order)
   * and remembers their keys. `frame` holds EVENT_MS when the query has a watermark.
   */
  process(frame: pl.DataFrame): pl.DataFrame {
    if (frame.height === 0) return frame;
    const keys = this.keysOf(frame);
    const firsts = frame.unique({ subset: keys, keep: "first", maintainOrder: true });
    let fresh = firsts;
    if (this.state !== null && this.state.height > 0) {
      // Held keys first, then the batch's: `unique` keeps the held one for a key seen before.
      // (A polars join would not match null keys; Spark's deduplication treats null as a value.)
      const held = this.state.select(...keys).withColumns(this.seenTrue);
      const all = pl.concat([held, firsts.withColumns(this.seenFalse)], { how: "diagonalRelaxed" });
      fresh = all.unique({ subset: keys, keep: "first", maintainOrder: true }).filter(this.isNew).drop(SEEN).select(...firsts.columns);
    }
    if (fresh.height > 0) {
      const stored = this.bounded(keys) ? [...keys, EVENT_MS] : keys;
      const add = fresh.select(...stored);
      this.state = this.state === null || this.state.height === 0 ? add : pl.concat([this.state, add], { how: "diagonalRelaxed" });
    }
    return fresh;
  }

  /** Drops the keys whose event time is below the watermark (only when the watermark's column is a key). */
  evict(watermarkMs: number): void {
    if (this.state === null || watermarkMs === -Infinity || !this.state.columns.includes(EVENT_MS)) return;
    if (watermarkMs === Infinity) { this.state = this.state.head(0); return; }
    const times = this.state.getColumn(EVENT_MS);
    if (this.state.height > 0 && Number(times.min()) < watermarkMs) this.state = this.state.filter(pl.col(EVENT_MS).gtEq(watermarkMs));
  }

  /** The state for a checkpoint snapshot. */
  snapshot(): pl.DataFrame | null {
    return this.state;
  }

  /** Restores what {@link snapshot} gave. */
  restore(frame: pl.DataFrame | null | undefined): void {
    this.state = frame ?? null;
  }
}
