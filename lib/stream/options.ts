import { OptionError } from "../errors";
import { parseDuration } from "../duration";
import { oneOf, optionalBoolean, optionalString, positiveInt } from "../options";
import type { OutputMode, ProgressRecord, StreamSink } from "./types";

/** A duration as text (`"30 seconds"`, `"15s"`, `"1 minute"`) or milliseconds. */
export type Duration = string | number;

/**
 * When micro-batches run:
 * - `"default"` (or omitted): the next batch as soon as the last one finished and new input is there;
 * - a duration (`"1 second"`): one batch per interval (at once if a batch overran it);
 * - `"once"` (Spark's availableNow): process what is available when the query starts, in bounded
 *   micro-batches (each source's `maxFilesPerTrigger` / `maxOffsetsPerTrigger`), flush, then stop;
 * - `"continuous"` (Spark's continuous processing, for stateless queries only): each batch a source
 *   fetches (a Kafka fetch) is processed at once, and each progress record reports the rows' latency
 *   (`latencyMs`) from their arrival at Kafka to the end of the sink writes.
 */
export type Trigger = "default" | "once" | "continuous" | Duration;

/** How the global watermark combines the inputs' watermarks (semantics.md, "Watermark"). */
export type WatermarkPolicy = "min" | "max";

/** Options of `StreamFrame.writeStream` / `new StreamingQuery`. */
export interface WriteStreamOptions {
  /** Output mode; default `"append"`. */
  mode?: OutputMode;
  /** Where batches go (at least one). The query opens them on start and closes them at the end. */
  sinks: StreamSink[];
  /** Default `"default"` (see {@link Trigger}). */
  trigger?: Trigger;
  /** Aborting it stops the query cleanly after the batch in progress. */
  signal?: AbortSignal;
  /** Called after every micro-batch with its progress record. */
  onProgress?: (progress: ProgressRecord) => void;
  /** Sleep between polls when no input came; default `"100 ms"`. */
  idleSleep?: Duration;
  /** Global watermark policy with two inputs; default `"min"`. */
  watermarkPolicy?: WatermarkPolicy;
  /** How many progress records `recentProgress` keeps; default 100. */
  progressHistory?: number;
  /** A name for messages and summaries; default `"query"`. */
  name?: string;
  /**
   * With trigger `"once"`: one micro-batch per partition time (`t=…`) across inputs, in time order,
   * as the replay released them, instead of batches sized by the sources' per-trigger bounds.
   * Default false. The final results are the same either way; the progress records differ.
   */
  batchPerPartition?: boolean;
  /**
   * A folder where the query keeps its progress (Spark's `checkpointLocation`): the input of each
   * micro-batch, which batches are done, and the state. A query started again with the same folder
   * resumes where it stopped, and its output holds each batch once. Default: none (start afresh).
   */
  checkpointLocation?: string;
  /** With a checkpoint: write the state every this many micro-batches (the ones since are re-run on restart); default 10. */
  snapshotEvery?: number;
  /**
   * Which engine runs the query: `"streamlab"` (this process, the default) or `"spark"`: the plan
   * translated to PySpark (`query.toSpark()`) and run with spark-submit (docs/spark.md).
   */
  engine?: QueryEngine;
  /** With engine "spark": the master URL; default `"local[2]"` (`spark://HOST:7077`, `yarn`, `k8s://…` for a cluster). */
  master?: string;
}

/** The engines a query runs on. */
export type QueryEngine = "streamlab" | "spark";
export const QUERY_ENGINES: readonly QueryEngine[] = ["streamlab", "spark"];

/** {@link WriteStreamOptions} with defaults applied and durations in milliseconds. */
export interface ResolvedWriteStreamOptions {
  mode: OutputMode;
  sinks: StreamSink[];
  trigger: { kind: "default" } | { kind: "once" } | { kind: "continuous" } | { kind: "interval"; ms: number };
  signal?: AbortSignal;
  onProgress?: (progress: ProgressRecord) => void;
  idleSleepMs: number;
  watermarkPolicy: WatermarkPolicy;
  progressHistory: number;
  name: string;
  batchPerPartition: boolean;
  checkpointLocation: string | undefined;
  snapshotEvery: number;
  engine: QueryEngine;
  master: string;
}

export const WRITE_STREAM_DEFAULTS = {
  mode: "append" as OutputMode,
  trigger: "default" as Trigger,
  idleSleep: "100 ms",
  watermarkPolicy: "min" as WatermarkPolicy,
  progressHistory: 100,
  name: "query",
  batchPerPartition: false,
  snapshotEvery: 10,
  engine: "streamlab" as QueryEngine,
  master: "local[2]",
};

/** Every output mode, in the order the docs list them. */
export const OUTPUT_MODES: readonly OutputMode[] = ["append", "update", "complete"];

/** Applies defaults and validates; throws OptionError naming the option. */
export function resolveWriteStreamOptions(options: WriteStreamOptions): ResolvedWriteStreamOptions {
  if (options === null || typeof options !== "object") throw new OptionError("writeStream", options, "expected an options object with at least { sinks: [...] }");
  const mode = options.mode ?? WRITE_STREAM_DEFAULTS.mode;
  if (!OUTPUT_MODES.includes(mode)) throw new OptionError("mode", mode, 'expected "append", "update" or "complete"');
  if (!Array.isArray(options.sinks) || options.sinks.length === 0) {
    throw new OptionError("sinks", options.sinks, "expected at least one StreamSink (e.g. a memory, console or parquet sink)");
  }
  options.sinks.forEach((s, i) => {
    if (s === null || typeof s !== "object" || typeof s.write !== "function" || typeof s.open !== "function" || typeof s.close !== "function") {
      throw new OptionError(`sinks[${i}]`, String(s), "expected a StreamSink with open(), write() and close()");
    }
  });
  const trigger = resolveTrigger(options.trigger ?? WRITE_STREAM_DEFAULTS.trigger);
  const idleSleepMs = parseDuration(options.idleSleep ?? WRITE_STREAM_DEFAULTS.idleSleep, "idleSleep");
  const watermarkPolicy = options.watermarkPolicy ?? WRITE_STREAM_DEFAULTS.watermarkPolicy;
  if (watermarkPolicy !== "min" && watermarkPolicy !== "max") throw new OptionError("watermarkPolicy", watermarkPolicy, 'expected "min" or "max"');
  const progressHistory = options.progressHistory ?? WRITE_STREAM_DEFAULTS.progressHistory;
  if (!Number.isInteger(progressHistory) || progressHistory < 1) throw new OptionError("progressHistory", progressHistory, "expected an integer >= 1");
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") throw new OptionError("onProgress", String(options.onProgress), "expected a function");
  return {
    mode, sinks: options.sinks, trigger, signal: options.signal, onProgress: options.onProgress,
    idleSleepMs, watermarkPolicy, progressHistory, name: options.name ?? WRITE_STREAM_DEFAULTS.name,
    batchPerPartition: optionalBoolean("batchPerPartition", options.batchPerPartition, WRITE_STREAM_DEFAULTS.batchPerPartition),
    checkpointLocation: optionalString("checkpointLocation", options.checkpointLocation, undefined, '"results/checkpoints/windowed"'),
    snapshotEvery: positiveInt("snapshotEvery", options.snapshotEvery, WRITE_STREAM_DEFAULTS.snapshotEvery),
    engine: oneOf("engine", options.engine, QUERY_ENGINES, WRITE_STREAM_DEFAULTS.engine),
    master: optionalString("master", options.master, WRITE_STREAM_DEFAULTS.master, '"local[2]" or "spark://HOST:7077"'),
  };
}

/** Parses a {@link Trigger}. */
export function resolveTrigger(trigger: Trigger): ResolvedWriteStreamOptions["trigger"] {
  if (trigger === "default") return { kind: "default" };
  if (trigger === "once") return { kind: "once" };
  if (trigger === "continuous") return { kind: "continuous" };
  const ms = parseDuration(trigger, "trigger");
  if (ms <= 0) throw new OptionError("trigger", trigger, 'expected "once", "default", "continuous" or an interval > 0 such as "1 second"');
  return { kind: "interval", ms };
}

/** Stream-stream join kinds (semantics.md, "Stream-stream joins"). */
export type JoinHow = "inner" | "left" | "right" | "full";
export const JOIN_HOWS: readonly JoinHow[] = ["inner", "left", "right", "full"];
/**
 * Every stream-stream join kind: also the left semi join (a left row once, when its first match
 * arrives; Spark >= 3.1) and the left anti join (a left row that no right row matched, once the
 * watermark rules a match out; Spark 3.5 refuses it between two streams). Both output the left
 * columns only.
 */
export type StreamJoinHow = JoinHow | "leftSemi" | "leftAnti";
export const STREAM_JOIN_HOWS: readonly StreamJoinHow[] = [...JOIN_HOWS, "leftSemi", "leftAnti"];
/** Spark's spellings, accepted too. */
const HOW_ALIASES: Record<string, StreamJoinHow> = { outer: "full", left_semi: "leftSemi", left_anti: "leftAnti" };

/** Options of `StreamFrame.join`. */
export interface JoinOptions {
  /** The key column, present in both inputs (e.g. `"uuid"`). */
  on: string;
  /** Time bound: rows match when `|left.t - right.t| <= within`; default `"1.5 seconds"`. */
  within?: Duration;
  /**
   * Default `"inner"`; `"outer"` is accepted as a synonym of `"full"`, and Spark's `"left_semi"` /
   * `"left_anti"` for `"leftSemi"` / `"leftAnti"` (left columns only; see {@link StreamJoinHow}).
   */
  how?: StreamJoinHow | "outer" | "left_semi" | "left_anti";
  /** Output name of the left event-time column; default `"left_timestamp"`. */
  leftTimestamp?: string;
  /** Output name of the right event-time column; default `"right_timestamp"`. */
  rightTimestamp?: string;
  /** Suffix for right columns whose name the left side already uses; default `"_right"`. */
  suffix?: string;
}

export interface ResolvedJoinOptions {
  on: string;
  withinMs: number;
  how: StreamJoinHow;
  leftTimestamp: string;
  rightTimestamp: string;
  suffix: string;
}

export const JOIN_DEFAULTS = { within: "1.5 seconds", how: "inner" as JoinHow, leftTimestamp: "left_timestamp", rightTimestamp: "right_timestamp", suffix: "_right" };

/** A join kind as a message names it: "left outer", "left anti". */
export function joinName(how: StreamJoinHow): string {
  return how === "leftSemi" ? "left semi" : how === "leftAnti" ? "left anti" : how === "inner" ? "inner" : `${how} outer`;
}

/** Applies defaults and validates join options. */
export function resolveJoinOptions(options: JoinOptions): ResolvedJoinOptions {
  if (options === null || typeof options !== "object") throw new OptionError("join", options, 'expected an options object such as { on: "uuid", within: "1.5 seconds", how: "full" }');
  if (typeof options.on !== "string" || options.on === "") throw new OptionError("on", options.on, 'expected the key column present in both inputs, e.g. "uuid"');
  const rawHow = options.how ?? JOIN_DEFAULTS.how;
  const how = HOW_ALIASES[rawHow] ?? rawHow;
  if (!STREAM_JOIN_HOWS.includes(how as StreamJoinHow)) throw new OptionError("how", rawHow, 'expected "inner", "left", "right", "full" (alias "outer"), "leftSemi" or "leftAnti"');
  if (options.within === null || (how !== "inner" && how !== "leftSemi" && options.within !== undefined && String(options.within).trim() === "")) {
    throw new OptionError("within", options.within, `a ${joinName(how as StreamJoinHow)} join needs a time bound (within), e.g. "1.5 seconds": without it unmatched rows could never be emitted`);
  }
  const withinMs = parseDuration(options.within ?? JOIN_DEFAULTS.within, "within");
  const leftTimestamp = options.leftTimestamp ?? JOIN_DEFAULTS.leftTimestamp;
  const rightTimestamp = options.rightTimestamp ?? JOIN_DEFAULTS.rightTimestamp;
  if (leftTimestamp === rightTimestamp) throw new OptionError("rightTimestamp", rightTimestamp, "expected a name different from leftTimestamp");
  if (leftTimestamp === options.on || rightTimestamp === options.on) throw new OptionError("leftTimestamp", leftTimestamp, `expected names different from the key column "${options.on}"`);
  const suffix = options.suffix ?? JOIN_DEFAULTS.suffix;
  if (typeof suffix !== "string" || suffix === "") throw new OptionError("suffix", suffix, 'expected a non-empty string such as "_right"');
  return { on: options.on, withinMs, how: how as StreamJoinHow, leftTimestamp, rightTimestamp, suffix };
}
