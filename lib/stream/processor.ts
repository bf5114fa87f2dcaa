import pl from "nodejs-polars";
import { QueryError } from "../errors";
import { AggregationState } from "./aggregate";
import { ChainedAggregation } from "./chained";
import { DedupState } from "./dedup";
import { SessionState } from "./session";
import { JoinState } from "./join";
import type { ResolvedWriteStreamOptions } from "./options";
import { eventTimeColumn, eventTimeOf, type FrameStep, type InputPlan, type QueryPlan } from "./plan";
import type { OutputMode } from "./types";
import { WatermarkTracker } from "./watermark";
import { assignWindows } from "./window";
import { EVENT_MS, requireColumn, withEventMs } from "./time";
import { unionFrames } from "./union";

/** The processor's state: JSON parts and polars frames (written as Arrow IPC files). */
export interface ProcessorSnapshot {
  watermark: ReturnType<WatermarkTracker["snapshot"]>;
  frames: Record<string, pl.DataFrame | null>;
  meta: unknown;
}

/** What one micro-batch produced. */
export interface BatchResult {
  frame: pl.DataFrame;
  numInputRows: Record<string, number>;
  rowsDroppedByWatermark: number;
  /** The watermark in force during the batch (epoch ms; -Infinity = none yet). */
  watermarkMs: number;
  stateRows: number;
}

function applySteps(frame: pl.DataFrame, steps: FrameStep[], where: string): pl.DataFrame {
  let f = frame;
  for (const step of steps) {
    try {
      f = step.apply(f);
    } catch (e) {
      throw new QueryError(`${where}: ${step.describe} failed on columns ${f.columns.map((c) => `"${c}"`).join(", ")}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  return f;
}

function concatChunks(frames: pl.DataFrame[]): pl.DataFrame | null {
  const nonEmpty = frames.filter((f) => f.height > 0);
  if (nonEmpty.length === 0) return null;
  return nonEmpty.length === 1 ? nonEmpty[0] : pl.concat(nonEmpty, { how: "diagonalRelaxed" });
}

/**
 * Runs a {@link QueryPlan} one micro-batch at a time, without any I/O: input frames in, output
 * frame out. Holds the watermark and the operator state; the query loop drives it.
 */
export class BatchProcessor {
  readonly watermark: WatermarkTracker;
  private readonly aggregation?: AggregationState | SessionState;
  private readonly join?: JoinState;
  private readonly dedup?: DedupState;
  private readonly chained?: ChainedAggregation;
  /** After the end-of-input flush: the snapshot a later run resumes from ({@link flush}). */
  private resumeFrom: ProcessorSnapshot | null = null;

  constructor(private readonly plan: QueryPlan, private readonly mode: OutputMode, options: Pick<ResolvedWriteStreamOptions, "watermarkPolicy"> = { watermarkPolicy: "min" }) {
    checkMode(plan, mode);
    const delays: Record<string, number> = {};
    for (const input of plan.inputs) if (input.watermark) delays[input.source.name] = input.watermark.delayMs;
    this.watermark = new WatermarkTracker(delays, options.watermarkPolicy);
    const st = plan.stateful;
    if (st?.kind === "aggregate") this.aggregation = st.session ? new SessionState(st.keys, st.session, st.aggs, st.session.column === plan.inputs[0].watermark?.column) : new AggregationState(st.keys, st.window, st.aggs, windowOnWatermark(plan));
    if (st?.kind === "join") this.join = new JoinState(st.options, eventTimeColumn(plan.inputs[0]), eventTimeColumn(plan.inputs[1]));
    if (plan.dedup) this.dedup = new DedupState(plan.dedup.columns, plan.inputs.find((i) => i.watermark)?.watermark?.column);
    if (plan.chained && st?.kind === "aggregate") this.chained = new ChainedAggregation([...st.keys, ...(st.window ? ["window_start"] : [])], plan.chained);
  }

  /** True when the plan has a stateful operator (late rows are dropped, state is kept). */
  get stateful(): boolean {
    return this.plan.stateful !== undefined;
  }

  /** True when some operator keeps state (a stateful one or dropDuplicates): late rows are dropped. */
  private get keepsState(): boolean {
    return this.stateful || this.dedup !== undefined;
  }

  /**
   * Whether the end of a bounded input needs a flush batch (watermark → +Infinity): only when some
   * state could still be emitted or evicted. In complete mode the last batch already showed it all.
   */
  get needsFlush(): boolean {
    return this.stateful && this.stateRows > 0 && this.mode !== "complete";
  }

  /** Keys/windows/join rows held (and keys held by dropDuplicates). */
  get stateRows(): number {
    return (this.aggregation?.size ?? this.join?.size ?? 0) + (this.dedup?.size ?? 0) + (this.chained?.size ?? 0);
  }

  /**
   * Processes one micro-batch: `chunks` maps input name → frames polled for it. With `final` (end
   * of a bounded input, no input) it is the end-of-input flush: every open window and unmatched join
   * row is settled and emitted, as under a watermark of +Infinity (see {@link flush}).
   */
  process(chunks: Record<string, pl.DataFrame[]>, batchId: number, final = false): BatchResult {
    // A batch after the flush (a restart re-ran a logged flush, and new input follows) goes on from
    // what the flush left for later runs, not from the emptied state.
    if (this.resumeFrom !== null) this.restore(this.resumeFrom);
    this.resumeFrom = null;
    const wm = this.watermark.current;
    const numInputRows: Record<string, number> = {};
    const frames: (pl.DataFrame | null)[] = [];
    let dropped = 0;
    for (const input of this.plan.inputs) {
      const name = input.source.name;
      const raw = concatChunks(chunks[name] ?? []);
      numInputRows[name] = raw?.height ?? 0;
      if (raw === null) { frames.push(null); continue; }
      let f = applySteps(raw, input.steps, `input "${name}"`);
      if (this.keepsState) {
        const prepared = this.withEventTime(f, input);
        f = prepared.frame;
        if (prepared.hasTime) {
          const times = f.getColumn(EVENT_MS);
          if (wm > -Infinity && f.height > 0 && Number(times.min()) < wm) {
            const before = f.height;
            f = f.filter(pl.col(EVENT_MS).gtEq(wm));
            dropped += before - f.height;
          }
          if (f.height > 0) this.watermark.observe(name, Number(f.getColumn(EVENT_MS).max()));
        }
      }
      frames.push(f);
    }
    if (this.plan.union) frames.splice(0, frames.length, unionFrames(frames, this.plan.inputs.map((i) => i.source.name)));
    if (this.dedup && frames[0] !== null) frames[0] = this.dedup.process(frames[0]);
    let out = final ? this.flush(frames, batchId) : this.emit(frames, batchId, wm);
    if (!final) this.dedup?.evict(wm);
    if (this.stateful) out = withBatchIdColumn(out, batchId);
    // A join that has seen one input only cannot name the other's columns yet: its (empty) output
    // skips the steps after it, which may select them.
    // So does a batch without rows of a pass-through query (a no-data batch of dropDuplicates): no columns to work on.
    const partial = out.height === 0 && ((this.join !== undefined && !this.join.knowsBothSides) || out.width === 0);
    if (!partial) out = applySteps(out, this.plan.after, "after the " + (this.plan.stateful?.kind ?? "input"));
    if (!final) this.watermark.advance();
    return { frame: out, numInputRows, rowsDroppedByWatermark: dropped, watermarkMs: final ? Infinity : wm, stateRows: this.stateRows };
  }

  /**
   * The end-of-input flush (docs/engine.md, "End-of-input flush"). Two steps:
   * 1. a no-data batch under W* = max(watermark in force, the lowest watermark under which all
   *    that the flush emits is final): the end of the latest window (append), the latest outer-side
   *    row + within (outer joins); nothing more in update/complete mode or an inner join, which emit
   *    nothing here. It emits the open windows / unmatched rows. Its state and W* are what a later
   *    run with the same checkpoint resumes from: rows that would change an emitted result are
   *    then late, and state whose results were not emitted (update mode, inner joins) is kept.
   * 2. everything left is settled as under +Infinity, so this run ends with no state.
   */
  private flush(frames: (pl.DataFrame | null)[], batchId: number): pl.DataFrame {
    const lastWindowEnd = this.mode === "append" ? this.aggregation?.latestWindowEnd ?? -Infinity : -Infinity;
    const settled = Math.max(this.watermark.current, lastWindowEnd, this.join?.settledBy ?? -Infinity);
    const out = [this.emit(frames, batchId, settled)];
    this.watermark.advance();
    this.watermark.raiseTo(settled);
    this.resumeFrom = this.snapshot();
    // Step 2: an update-mode window was emitted when it changed, and complete mode keeps its state.
    if (this.aggregation && this.mode !== "complete") {
      const rest = this.aggregation.evictFinal(Infinity);
      // A chain's second aggregation takes the first one's last windows as final input.
      if (this.chained) out.push(this.chained.process(rest.head(0), rest, this.mode, Infinity));
      else if (this.mode === "append") out.push(rest);
    }
    if (this.join) out.push(this.join.process(null, null, Infinity));
    const parts = out.filter((f) => f.width > 0 && f.height > 0);
    return parts.length === 0 ? out[0] : parts.length === 1 ? parts[0] : pl.concat(parts, { how: "diagonalRelaxed" });
  }

  /**
   * Everything the processor holds, for a checkpoint snapshot: the watermark and the operator's
   * state; after the end-of-input flush, the state a later run resumes from ({@link flush}).
   */
  snapshot(): ProcessorSnapshot {
    if (this.resumeFrom !== null) return this.resumeFrom;
    const op = this.aggregation?.snapshot() ?? this.join?.snapshot() ?? { frames: {}, meta: null };
    const frames = { ...op.frames, ...(this.dedup ? { dedup: this.dedup.snapshot() } : {}), ...(this.chained ? { chained: this.chained.snapshot() } : {}) };
    return { watermark: this.watermark.snapshot(), frames, meta: op.meta };
  }

  /** Restores what {@link snapshot} gave. */
  restore(s: ProcessorSnapshot): void {
    const legacy = Number(s.watermark.inForce) === Infinity;
    this.watermark.restore(legacy ? { ...s.watermark, inForce: this.flushedBefore(s.watermark.maxEventMs) } : s.watermark);
    this.aggregation?.restore(s);
    this.join?.restore(s);
    this.dedup?.restore(s.frames.dedup);
    this.chained?.restore(s.frames.chained);
  }

  /**
   * A checkpoint written before the flush rule holds the watermark +Infinity after the flush, and
   * no state. The watermark the flush would leave now is known from the latest event time: the end
   * of the window holding it (windows), or it + within + 1 ms (joins). Without windows nothing says
   * which groups were flushed, so +Infinity stays (start over).
   */
  private flushedBefore(maxEventMs: Record<string, number | null>): number {
    const seen = Object.values(maxEventMs).filter((v): v is number => v !== null);
    if (seen.length === 0) return -Infinity;
    const latest = Math.max(...seen);
    const st = this.plan.stateful;
    if (st?.kind === "aggregate" && st.window && windowOnWatermark(this.plan)) return Math.floor(latest / st.window.slideMs) * st.window.slideMs + st.window.sizeMs;
    if (st?.kind === "join") return latest + st.options.withinMs + 1;
    return Infinity;
  }

  /** Adds EVENT_MS when the operator needs an event time (watermark, window or join). */
  private withEventTime(frame: pl.DataFrame, input: InputPlan): { frame: pl.DataFrame; hasTime: boolean } {
    const st = this.plan.stateful;
    const where = `input "${input.source.name}"`;
    // A window's or a session window's event-time column.
    const timed = st?.kind === "aggregate" ? st.window ?? st.session : undefined;
    const what = timed?.kind === "sessionWindow" ? "sessionWindow" : "window";
    if (input.watermark) {
      const f = withEventMs(frame, input.watermark, `withWatermark on ${where}`);
      if (timed && timed.column !== input.watermark.column) {
        requireColumn(f, timed.column, `${what} on ${where}`);
        return { frame: f.withColumns(withEventMs(f, timed, `${what} on ${where}`).getColumn(EVENT_MS).alias("__window_event_ms")), hasTime: true };
      }
      return { frame: f, hasTime: true };
    }
    if (st?.kind === "join") return { frame: withEventMs(frame, eventTimeOf(input), `join on ${where} (event time; set it with withWatermark)`), hasTime: true };
    if (timed) return { frame: withEventMs(frame, timed, `${what} on ${where}`), hasTime: false };
    return { frame, hasTime: false };
  }

  private emit(frames: (pl.DataFrame | null)[], batchId: number, wm: number): pl.DataFrame {
    const st = this.plan.stateful;
    if (st === undefined) return dropInternal(frames[0] ?? pl.DataFrame({}));
    if (st.kind === "join") return this.join!.process(frames[0], frames[1], wm);
    const agg = this.aggregation!;
    let input = frames[0];
    if (input !== null && (st.window || st.session)) {
      if (input.columns.includes("__window_event_ms")) input = input.drop(EVENT_MS).rename({ __window_event_ms: EVENT_MS });
      if (st.window) input = assignWindows(input, st.window);
    }
    if (input !== null) agg.update(input, batchId);
    if (this.chained) {
      // The first aggregation's changes feed the second; its final windows leave its state as usual.
      const changes = agg.updatedIn(batchId);
      const finals = this.mode === "complete" ? pl.DataFrame({}) : agg.evictFinal(wm);
      return this.chained.process(changes, finals, this.mode, wm);
    }
    if (this.mode === "complete") return agg.all();
    // Update mode takes the changed groups before eviction: a group changed and final in one batch is still emitted.
    const updated = this.mode === "update" ? agg.updatedIn(batchId) : null;
    const final = agg.evictFinal(wm);
    return updated ?? final;
  }
}

/** A pass-through output without the engine's internal columns (dropDuplicates adds the event time). */
function dropInternal(frame: pl.DataFrame): pl.DataFrame {
  const internal = frame.columns.filter((c) => c === EVENT_MS || c === "__window_event_ms");
  return internal.length === 0 ? frame : frame.drop(internal);
}

/**
 * Adds `batch_id` to the operator's output. A frame with no columns (a join that has seen no row
 * yet) gets an empty column: a literal there would broadcast to one row holding only `batch_id`.
 */
function withBatchIdColumn(frame: pl.DataFrame, batchId: number): pl.DataFrame {
  if (frame.width === 0) return frame.withColumns(pl.Series("batch_id", [], pl.Int64));
  return frame.withColumns(pl.lit(batchId).cast(pl.Int64).alias("batch_id"));
}

/** Rejects output modes a plan cannot honour, with what to do instead. */
export function checkMode(plan: QueryPlan, mode: OutputMode): void {
  const st = plan.stateful;
  if (st === undefined && mode === "complete") throw new QueryError('complete mode needs an aggregation (groupBy(...).agg(...)); use "append" for a pass-through query.');
  if (st?.kind === "join" && mode === "complete") throw new QueryError('a stream-stream join supports "append" (or "update", the same for joins), not "complete": join rows never change.');
  if (plan.chained && mode === "append" && !plan.chained.window && !plan.chained.keys.some((k) => k === "window_start" || k === "window_end")) {
    throw new QueryError('append mode emits a group once it is final; the second aggregation of a chain is final only when it keeps the first one\'s window: add "window_start" (or window("window", size)) to its groupBy, or use mode "update"/"complete".');
  }
  if (st?.kind === "aggregate" && mode === "append") {
    const input = plan.inputs[0];
    const timed = st.window ?? st.session;
    if (!timed || !input.watermark) {
      throw new QueryError(`append mode emits a group once it is final, which needs ${!timed ? "a window (or sessionWindow) in groupBy" : ""}${!timed && !input.watermark ? " and " : ""}${!input.watermark ? "a watermark (withWatermark)" : ""}; or use mode "update"/"complete".`);
    }
    if (st.session && st.session.column !== input.watermark.column) {
      throw new QueryError(`append mode emits a session once the watermark passes its end, which needs the session window on the watermarked column: it is on "${st.session.column}", the watermark on "${input.watermark.column}". Use sessionWindow("${input.watermark.column}", ...), or mode "update"/"complete" (sessions are then kept until the input ends).`);
    }
    if (st.window && !windowOnWatermark(plan)) {
      throw new QueryError(`append mode emits a window once the watermark passes its end, which needs the window on the watermarked column: the window is on "${st.window.column}", the watermark on "${input.watermark.column}". Window on "${input.watermark.column}", or use mode "update"/"complete" (windows are then kept until the input ends).`);
    }
  }
}

/**
 * Whether the watermark decides when the aggregation's windows are final: only when it is on the
 * window's own column (Spark's rule). A watermark on another column says nothing about that one.
 */
function windowOnWatermark(plan: QueryPlan): boolean {
  const st = plan.stateful;
  return st?.kind === "aggregate" && st.window !== undefined && st.window.column === plan.inputs[0].watermark?.column;
}
