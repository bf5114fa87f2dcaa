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
   * Processes one micro-batch: `chunks` maps input name → frames polled for it. With `final`, the
   * watermark first moves to +Infinity (end of a bounded input) so all state is settled and emitted.
   */
  process(chunks: Record<string, pl.DataFrame[]>, batchId: number, final = false): BatchResult {
    if (final) this.watermark.finish();
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
    let out = this.emit(frames, batchId, wm);
    this.dedup?.evict(wm);
    if (this.stateful) out = withBatchIdColumn(out, batchId);
    // A join that has seen one input only cannot name the other's columns yet: its (empty) output
    // skips the steps after it, which may select them.
    // So does a batch without rows of a pass-through query (a no-data batch of dropDuplicates): no columns to work on.
    const partial = out.height === 0 && ((this.join !== undefined && !this.join.knowsBothSides) || out.width === 0);
    if (!partial) out = applySteps(out, this.plan.after, "after the " + (this.plan.stateful?.kind ?? "input"));
    this.watermark.advance();
    return { frame: out, numInputRows, rowsDroppedByWatermark: dropped, watermarkMs: wm, stateRows: this.stateRows };
  }

  /** Everything the processor holds, for a checkpoint snapshot: the watermark and the operator's state. */
  snapshot(): ProcessorSnapshot {
    const op = this.aggregation?.snapshot() ?? this.join?.snapshot() ?? { frames: {}, meta: null };
    const frames = { ...op.frames, ...(this.dedup ? { dedup: this.dedup.snapshot() } : {}), ...(this.chained ? { chained: this.chained.snapshot() } : {}) };
    return { watermark: this.watermark.snapshot(), frames, meta: op.meta };
  }

  /** Restores what {@link snapshot} gave. */
  restore(s: ProcessorSnapshot): void {
    this.watermark.restore(s.watermark);
    this.aggregation?.restore(s);
    this.join?.restore(s);
    this.dedup?.restore(s.frames.dedup);
    this.chained?.restore(s.frames.chained);
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
