import type pl from "nodejs-polars";
import type { Skipped } from "../dataset/types";

/** Spark's output modes: see ../shared/docs/semantics.md, "Output modes". */
export type OutputMode = "append" | "update" | "complete";

/** Rows that arrived at a source since its last poll. */
export interface SourceChunk {
  /** The `t=…` partition time (seconds) the rows were delivered under, when the source knows it. */
  partitionTime?: number;
  frame: pl.DataFrame;
  /**
   * Where the rows came from, as JSON (the file source: the files), written to a checkpoint's
   * offsets log so a restart can read exactly the same input again ({@link Replayable.reread}).
   */
  origin?: unknown;
  /**
   * When each row reached the source's system, epoch ms (Kafka: the message timestamp), in row
   * order: the continuous trigger reports each row's latency from it.
   */
  arrivalMs?: number[];
}

/**
 * What a source needs so that a query can checkpoint it: an identity (a checkpoint written for
 * another input is refused), and re-reading the input of a batch from its chunks' origins.
 */
export interface Replayable {
  /** What the source reads, e.g. `files:/abs/results/stream/input/locations`. */
  readonly id: string;
  /** On restart, before the first poll: the input these origins describe was taken already; never read it again. */
  skip(origins: unknown[]): void;
  /** Reads exactly the input these origins describe (to run a logged batch again). */
  reread(origins: unknown[]): Promise<SourceChunk[]>;
}

/**
 * What a source reads, as data: what another engine needs to read the same input (the Spark
 * translation, `query.toSpark()`). Sources without one (memory) run on streamlab's engine only.
 */
export type SourceSpec =
  | { kind: "files"; dir: string; table?: "locations" | "accelerations"; maxFilesPerTrigger: number; maxBytesPerTrigger: number }
  | { kind: "kafka"; topic: string; bootstrap?: string; maxOffsetsPerTrigger: number; timestampFields: string[] };

/** What a sink writes, as data (see {@link SourceSpec}). */
export type SinkSpec =
  | { kind: "files"; dir: string; batchId?: boolean }
  | { kind: "kafka"; topic: string; key?: string; bootstrap?: string; batchId?: boolean }
  | { kind: "console"; maxRows: number };

/**
 * An input of a query: the file stream written by the replay, a Kafka topic, or memory in tests.
 * Rows carry a `timestamp` column (polars Datetime, UTC) that is their event time.
 */
export interface StreamSource {
  /** The input's name inside the query, e.g. `locations`. */
  readonly name: string;
  /**
   * Returns rows newly available since the last call (each row exactly once), oldest first, at most
   * the source's per-trigger bound (`maxFilesPerTrigger`, `maxOffsetsPerTrigger`, …): one poll of
   * each input is one micro-batch's input. An empty list means nothing new right now.
   */
  poll(signal?: AbortSignal): Promise<SourceChunk[]>;
  /** True once the source knows no more input will come (a bounded input read to its end). */
  exhausted(): boolean;
  /** Files or messages passed over, with the reason (counted in the query summary). */
  skipped(): Skipped[];
  close(): Promise<void>;
  /** Present when the source can be checkpointed (`checkpointLocation`). */
  readonly replayable?: Replayable;
  /** The query runs with the continuous trigger: hand over each fetched batch at once, without lingering for more. */
  lowLatency?(): void;
  /** What it reads, for the Spark translation; absent for sources Spark cannot read (memory). */
  readonly spec?: SourceSpec;
}

/** What a query emits after one micro-batch. */
export interface BatchOutput {
  batchId: number;
  mode: OutputMode;
  /** The rows to emit (may be empty; sinks decide whether an empty batch writes anything). */
  frame: pl.DataFrame;
}

/** What a sink is told when the query opens it. */
export interface SinkOpenContext {
  /** The query resumes from its checkpoint: keep what earlier runs wrote (do not clean). */
  resuming: boolean;
  /** The query has a checkpoint: log each completed batch so readers see it once (file sinks). */
  checkpointed: boolean;
  /**
   * The checkpoint's identity (a random id made when the folder was created) and folder: a sink
   * that keeps its own record of written batches (the Kafka sink's transactions) keys it by this id,
   * so a checkpoint deleted to start over never meets an older run's record.
   */
  checkpoint?: { id: string; dir: string };
  /** The query's name (writeStream's `name`): the memory sink's table name. */
  queryName?: string;
}

/** A destination for query output: parquet files, Kafka, console, memory. */
export interface StreamSink {
  readonly name: string;
  open(context?: SinkOpenContext): Promise<void>;
  /** Resolves once the batch is durable (file renamed into place, Kafka acknowledged). */
  write(output: BatchOutput): Promise<void>;
  close(): Promise<void>;
  /** What it writes, for the Spark translation; absent for sinks Spark cannot write (memory). */
  readonly spec?: SinkSpec;
}

/** One micro-batch's progress record (semantics.md, "Progress and metrics"; Spark's lastProgress). */
export interface ProgressRecord {
  batchId: number;
  /** Input rows per source name. */
  numInputRows: Record<string, number>;
  /** Files or messages each source passed over since the last record (bad files, bad messages). */
  numSkipped?: Record<string, number>;
  numOutputRows: number;
  /** Late rows dropped by stateful operators in this batch (below the watermark on arrival). */
  rowsDroppedByWatermark: number;
  /** The watermark in force during this batch (ISO-8601, or null before any input). */
  watermark: string | null;
  /** Keys/windows/join rows held in state after the batch. */
  stateRows: number;
  durationMs: { poll: number; process: number; sink: number; total: number };
  /** Wall-clock time the batch started (ISO-8601). */
  timestamp: string;
  /**
   * With the continuous trigger, when the input carries arrival times (Kafka): each row's latency
   * from its arrival (the message timestamp) to the end of the sink writes, in ms.
   */
  latencyMs?: { rows: number; p50: number; p99: number; max: number };
}
