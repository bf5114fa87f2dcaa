import type pl from "nodejs-polars";
import type { Aggregation } from "./aggregate";
import type { ResolvedJoinOptions } from "./options";
import type { StreamSource } from "./types";
import type { WindowSpec } from "./window";

/** A stateless step on a frame (filter, select, withColumns, …), with a label for messages. */
export interface FrameStep {
  describe: string;
  apply(frame: pl.DataFrame): pl.DataFrame;
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
