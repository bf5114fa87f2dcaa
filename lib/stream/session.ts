import pl from "nodejs-polars";
import { OptionError } from "../errors";
import { parseDuration } from "../duration";
import { aggValueExprs, mergeExprs, partialExprs, UPDATED, type Aggregation } from "./aggregate";
import type { Duration } from "./options";
import { EVENT_MS, requireColumn } from "./time";

/** A session window (Spark's `session_window`), a key of `groupBy`. */
export interface SessionWindowSpec {
  readonly kind: "sessionWindow";
  /** The event-time column (polars Datetime). */
  readonly column: string;
  readonly gapMs: number;
}

/**
 * A session window on `column` with a fixed `gap`, to pass to `groupBy` (Spark's
 * `session_window(column, gap)`): per key, rows whose event times lie within `gap` of each other
 * (a chain of them) form one session `[first event, last event + gap)`. A row that falls within the
 * gap of two sessions merges them. Output columns `session_start`, `session_end` replace
 * `window_start`, `window_end`. Append mode emits a session once the watermark is past its end
 * (`session_end < watermark`: a row at the end would still extend it); update mode (which Spark
 * refuses) emits the sessions a micro-batch changed, see docs/operators.md for reading it.
 *
 * @throws OptionError (`BAD_OPTION`) when the gap is not a duration > 0 or the column is empty
 * @example
 * readStream(clicks)
 *   .withWatermark("timestamp", "30 seconds")
 *   .groupBy("user", sessionWindow("timestamp", "10 seconds"))
 *   .agg({ clicks: pl.len() })
 */
export function sessionWindow(column: string, gap: Duration): SessionWindowSpec {
  if (typeof column !== "string" || column === "") throw new OptionError("sessionWindow.column", column, 'expected the event-time column name, e.g. "timestamp"');
  const gapMs = parseDuration(gap, "gap");
  if (!(gapMs > 0)) throw new OptionError("gap", gap, 'expected a session gap > 0, e.g. "10 seconds"');
  return { kind: "sessionWindow", column, gapMs };
}

/**
 * The current sessions in the output of a session-window query in update mode (all its batches,
 * with `batch_id`): a merge replaces sessions emitted earlier by one that covers them, so per key
 * the current sessions are the rows that no row of a later batch overlaps. In append mode every
 * row is final already, and complete mode's last batch is the table: neither needs this.
 *
 * @param keys the group keys besides the session window
 * @example
 * const sink = new MemoryStreamSink();
 * // ... .groupBy("user", sessionWindow("timestamp", "10 seconds")).agg({ clicks: pl.len() })
 * //     .writeStream({ mode: "update", sinks: [sink] })
 * currentSessions(sink.table(), ["user"]);
 */
export function currentSessions(updates: pl.DataFrame, keys: string[]): pl.DataFrame {
  if (updates.height === 0) return updates;
  for (const c of [...keys, "session_start", "session_end", "batch_id"]) requireColumn(updates, c, "currentSessions");
  const rows = updates.withRowIndex(ROW).sort("batch_id", true).toRecords();
  const keptByKey = new Map<string, [number, number][]>();
  const kept: number[] = [];
  for (const r of rows) {
    const key = JSON.stringify(keys.map((k) => { const v: unknown = r[k]; return v instanceof Date ? v.getTime() : v === null ? null : String(v); }));
    const start = (r.session_start as unknown as Date).getTime(), end = (r.session_end as unknown as Date).getTime();
    const held = keptByKey.get(key) ?? [];
    if (held.some(([s, e]) => s <= end && start <= e)) continue;
    held.push([start, end]);
    keptByKey.set(key, held);
    kept.push(Number(r[ROW]));
  }
  return updates.withRowIndex(ROW).filter(pl.col(ROW).isIn(kept)).drop(ROW);
}

const ROW = "__row";

export function isSessionWindowSpec(value: unknown): value is SessionWindowSpec {
  return typeof value === "object" && value !== null && (value as SessionWindowSpec).kind === "sessionWindow";
}

const START = "__session_start_ms";
/** A session's last event time; its end is this + gap. */
const LAST = "__session_last_ms";
const PREV = "__session_prev_last";
const SID = "__session_id";
const GROUP_ALL = "__group_all";

/**
 * Session-window aggregation state, one polars frame: a row per open session (keys, start, last
 * event, partial aggregates as in {@link AggregationState}, batch of the last update). Each
 * micro-batch turns its rows into one-instant sessions, adds them to the held ones, and merges,
 * per key in start order, every session that starts within `gap` of the latest end so far: a row
 * bridging two sessions joins them, and partials add up exactly. Expressions are built once.
 */
export class SessionState {
  private readonly aggs: [string, Aggregation][];
  private state: pl.DataFrame | null = null;
  private readonly by: string[];
  private readonly partial: pl.Expr[];
  private readonly merge: pl.Expr[];
  private readonly output: pl.Expr[];
  private readonly sessionize: pl.Expr[];
  private readonly end: pl.Expr;
  private readonly sortBy: string[];
  private readonly groupAll = pl.lit(1).alias(GROUP_ALL);

  /**
   * @param evictByWatermark whether the watermark says when a session is final: only when it is on
   *   the session window's own column (else sessions are kept until the end of input)
   */
  constructor(readonly keys: string[], readonly spec: SessionWindowSpec, aggs: Record<string, Aggregation>, private readonly evictByWatermark = true) {
    this.aggs = Object.entries(aggs);
    this.by = keys.length > 0 ? keys : [GROUP_ALL];
    const t = pl.col(EVENT_MS);
    this.partial = [...partialExprs(this.aggs), t.min().alias(START), t.max().alias(LAST)];
    this.merge = [...mergeExprs(this.aggs), pl.col(START).min().alias(START), pl.col(LAST).max().alias(LAST)];
    const [first, ...rest] = this.by;
    const prev = pl.col(LAST).cumMax().shift(1).over(first, ...rest).alias(PREV);
    const startsNew = pl.col(PREV).isNull().or(pl.col(START).gt(pl.col(PREV).add(spec.gapMs)));
    this.sessionize = [prev, startsNew.cast(pl.Int64).cumSum().over(first, ...rest).alias(SID)];
    this.end = pl.col(LAST).add(spec.gapMs);
    this.output = [
      ...keys.map((k) => pl.col(k)),
      pl.col(START).cast(pl.Int64).cast(pl.Datetime("ms")).alias("session_start"),
      this.end.cast(pl.Int64).cast(pl.Datetime("ms")).alias("session_end"),
      ...aggValueExprs(this.aggs),
    ];
    this.sortBy = [...keys, "session_start"];
  }

  /** Sessions held. */
  get size(): number {
    return this.state?.height ?? 0;
  }

  /** Merges a frame's rows (with EVENT_MS from the session column) into the sessions; stamps the changed ones with `batchId`. */
  update(frame: pl.DataFrame, batchId: number): number {
    for (const k of this.keys) requireColumn(frame, k, "groupBy");
    for (const [name, a] of this.aggs) if (a.column !== null) requireColumn(frame, a.column, `agg ${name}`);
    if (frame.height === 0) return 0;
    const input = this.keys.length === 0 ? frame.withColumns(this.groupAll) : frame;
    const instants = input.groupBy([...this.by, EVENT_MS]).agg(...this.partial).drop(EVENT_MS).withColumns(pl.lit(batchId).cast(pl.Int64).alias(UPDATED));
    const all = this.state === null || this.state.height === 0 ? instants : pl.concat([this.state, instants], { how: "diagonalRelaxed" });
    this.state = all.sort([...this.by, START]).withColumns(this.sessionize[0]).withColumns(this.sessionize[1])
      .groupBy([...this.by, SID]).agg(...this.merge).drop(SID);
    return instants.height;
  }

  /** Sessions stamped with `batchId` (update mode's output). */
  updatedIn(batchId: number): pl.DataFrame {
    return this.state === null ? pl.DataFrame({}) : this.toFrame(this.state.filter(pl.col(UPDATED).eq(batchId)));
  }

  /** Every session held (complete mode's output). */
  all(): pl.DataFrame {
    return this.state === null ? pl.DataFrame({}) : this.toFrame(this.state);
  }

  /**
   * Removes and returns the sessions that are final under the watermark: end < watermark. (At the
   * end itself a row would still extend the session, and a row at the watermark is not late.)
   */
  evictFinal(watermarkMs: number): pl.DataFrame {
    if (this.state === null) return pl.DataFrame({});
    if (watermarkMs === -Infinity || (watermarkMs !== Infinity && !this.evictByWatermark)) return this.toFrame(this.state.head(0));
    const isFinal = watermarkMs === Infinity ? pl.lit(true) : this.end.lt(pl.lit(watermarkMs));
    const final = this.state.filter(isFinal);
    if (final.height > 0) this.state = this.state.filter(isFinal.not());
    return this.toFrame(final);
  }

  /**
   * The lowest watermark under which every session held is final (its end + 1 ms: a row at the end
   * itself would still extend it), or -Infinity when none is held. The end-of-input flush leaves the
   * watermark there.
   */
  get latestWindowEnd(): number {
    if (this.state === null || this.state.height === 0) return -Infinity;
    return Number(this.state.getColumn(LAST).max()) + this.spec.gapMs + 1;
  }

  /** The state for a checkpoint snapshot. */
  snapshot(): { frames: Record<string, pl.DataFrame | null>; meta: null } {
    return { frames: { sessions: this.state }, meta: null };
  }

  /** Restores what {@link snapshot} gave. */
  restore(s: { frames: Record<string, pl.DataFrame | null> }): void {
    this.state = s.frames.sessions ?? null;
  }

  private toFrame(sessions: pl.DataFrame): pl.DataFrame {
    const frame = sessions.select(...this.output);
    return frame.height > 1 ? frame.sort(this.sortBy) : frame;
  }
}
