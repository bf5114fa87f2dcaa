import type pl from "nodejs-polars";
import type { Aggregation } from "./aggregate";
import type { ResolvedJoinOptions } from "./options";
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
  watermark?: { column: string; delayMs: number };
}

/** The one stateful operator of a query. */
export type StatefulPlan =
  | { kind: "aggregate"; keys: string[]; window?: WindowSpec; aggs: Record<string, Aggregation> }
  | { kind: "join"; options: ResolvedJoinOptions };

/** What a query computes: inputs → optional stateful operator → stateless steps after it. */
export interface QueryPlan {
  inputs: InputPlan[];
  stateful?: StatefulPlan;
  after: FrameStep[];
}

/** The event-time column of an input: its watermark column, else `timestamp`. */
export function eventTimeColumn(input: InputPlan): string {
  return input.watermark?.column ?? "timestamp";
}

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
      watermark: i.watermark === undefined ? null : { column: i.watermark.column, delayMs: i.watermark.delayMs },
      steps: i.steps.map((s) => s.describe),
    })),
    stateful: st === undefined ? null
      : st.kind === "aggregate"
        ? { kind: "aggregate", keys: st.keys, window: st.window === undefined ? null : { column: st.window.column, sizeMs: st.window.sizeMs, slideMs: st.window.slideMs }, aggs: st.aggs }
        : { kind: "join", ...st.options },
    after: plan.after.map((s) => s.describe),
    mode,
  };
}
