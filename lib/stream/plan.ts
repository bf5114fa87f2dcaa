import type pl from "nodejs-polars";
import type { Aggregation } from "./aggregate";
import type { ChainedPlan } from "./chained";
import type { DedupPlan } from "./dedup";
import type { ResolvedJoinOptions } from "./options";
import type { SessionWindowSpec } from "./session";
import type { EventTimeSpec } from "./time";
import type { StreamSource } from "./types";
import type { WindowSpec } from "./window";

/** What a stateless step does, as data (the Spark translation reads it; `transform` is opaque). */
export type StepOp =
  | { kind: "filter"; predicate: pl.Expr }
  | { kind: "select"; columns: (string | pl.Expr)[] }
  | { kind: "withColumns"; exprs: pl.Expr[] }
  | { kind: "drop"; columns: string[] }
  | { kind: "rename"; mapping: Record<string, string> }
  | { kind: "transform" };

/** A stateless step on a frame (filter, select, withColumns, …), with a label for messages. */
export interface FrameStep {
  describe: string;
  apply(frame: pl.DataFrame): pl.DataFrame;
  op?: StepOp;
}

/** One input of a query: a source, its stateless steps, and its watermark if any. */
export interface InputPlan {
  source: StreamSource;
  steps: FrameStep[];
  /** The event-time column (with its unit when numeric) and the watermark delay. */
  watermark?: EventTimeSpec & { delayMs: number };
  /** From `read(source)`: a static input, run once by `collect()` (not by `writeStream`). */
  static?: boolean;
}

/** The one stateful operator of a query. */
export type StatefulPlan =
  | { kind: "aggregate"; keys: string[]; window?: WindowSpec; session?: SessionWindowSpec; aggs: Record<string, Aggregation> }
  | { kind: "join"; options: ResolvedJoinOptions };

/**
 * What a query computes: inputs → optional `dropDuplicates` → optional stateful operator →
 * stateless steps after it. With `union`, the inputs' rows (after their steps) are one stream.
 */
export interface QueryPlan {
  inputs: InputPlan[];
  /** The inputs are the branches of a `union` (not the sides of a join). */
  union?: true;
  /** `dropDuplicates` on the (unioned) input, before the stateful operator. */
  dedup?: DedupPlan;
  stateful?: StatefulPlan;
  /** A second aggregation over the aggregation's output (then the steps after). */
  chained?: ChainedPlan;
  after: FrameStep[];
}

/** The event-time column of an input: its watermark column, else `timestamp`. */
export function eventTimeColumn(input: InputPlan): string {
  return eventTimeOf(input).column;
}

/** The event time of an input, with its unit: its watermark column, else the Datetime `timestamp`. */
export function eventTimeOf(input: InputPlan): EventTimeSpec {
  return input.watermark ?? { column: "timestamp" };
}

/** A numeric event time's unit for {@link describeQuery} (absent for Datetime, as before units existed). */
const unitOf = (t: EventTimeSpec) => (t.unitMs === undefined ? {} : { unitMs: t.unitMs });

/**
 * What a query reads and computes, as JSON: a checkpoint stores it, and a restart compares it, so
 * that a checkpoint is never resumed by a query that means something else (another window, bound,
 * input, output mode).
 */
export function describeQuery(plan: QueryPlan, mode: string): Record<string, unknown> {
  const st = plan.stateful;
  return {
    inputs: plan.inputs.map((i) => ({
      name: i.source.name,
      source: i.source.replayable?.id ?? null,
      watermark: i.watermark === undefined ? null : { column: i.watermark.column, delayMs: i.watermark.delayMs, ...unitOf(i.watermark) },
      steps: i.steps.map((s) => s.describe),
    })),
    stateful: st === undefined ? null
      : st.kind === "aggregate"
        ? { kind: "aggregate", keys: st.keys, window: st.window === undefined ? null : { column: st.window.column, sizeMs: st.window.sizeMs, slideMs: st.window.slideMs, ...unitOf(st.window) }, aggs: st.aggs, ...(st.session ? { session: st.session } : {}) }
        : { kind: "join", ...st.options },
    after: plan.after.map((s) => s.describe),
    mode,
    // Only when used: checkpoints written before these operators existed still match.
    ...(plan.union ? { union: true } : {}),
    ...(plan.dedup ? { dedup: plan.dedup.columns } : {}),
    ...(plan.chained ? { chained: plan.chained } : {}),
  };
}
