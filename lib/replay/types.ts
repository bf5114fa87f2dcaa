import type pl from "nodejs-polars";
import type { FrameFile, Skipped, Table } from "../dataset/types";
import type { LatenessStats } from "./lateness";

/**
 * What the replay hands a sink at one due moment: the rows of one table released together
 * (a whole partition, or the rows sharing one offset when scheduling by row). Frames already carry
 * `timestamp = start + offset` (polars Datetime("ms"), UTC).
 */
export interface ReleaseBatch {
  table: Table;
  /** Partition folder name the rows come from, e.g. `t=052.5` (shifted by the loop when looping). */
  partition: string;
  /** Simulated seconds at which this batch is due (partition time, or the rows' offset). */
  dueOffset: number;
  /** 0 for the first pass over the data, 1 for the first loop, … */
  loop: number;
  /** One frame per source file (name = `<uuid>.parquet`). */
  files: FrameFile[];
  rows: number;
  /**
   * Every row of `files` as one frame, in order (built on first use; the replay's batches have it).
   * A sink that needs no per-file frames takes this: one polars call for the whole batch instead of
   * one per file (the course's layout has a file per ride and partition).
   */
  readonly frame?: pl.DataFrame;
}

/** What `open()` is told about the run (added with `resume`; a sink may ignore it). */
export interface ReplaySinkOpenContext {
  /**
   * Set when the run continues an interrupted one (`resume`): keep what the destination already
   * holds (the file sink does not clear `input/`). `state` is what the sink's `checkpoint()`
   * returned after the last release every sink acknowledged (null when it has none).
   */
  resume?: { state: unknown };
}

/** A destination for released rows: the file stream, Kafka, or memory in tests. */
export interface ReplaySink {
  /** Short name for summaries, e.g. `files` or `kafka`. */
  readonly name: string;
  /**
   * Optional (added with `resume`): where the rows go, stable from run to run (the file sink's
   * output folder, Kafka's broker and topics). The progress log records it, and a resume into
   * another destination is refused.
   */
  readonly destination?: string;
  /** Prepares the destination (clears folders, connects, creates topics; keeps them when resuming). */
  open(context?: ReplaySinkOpenContext): Promise<void>;
  /**
   * Optional (added with `resume`): the sink's position once everything written so far is
   * acknowledged, as JSON (Kafka: the next offset of each topic partition). The progress log
   * stores it after each release; a resumed run hands it back to `open()`.
   */
  checkpoint?(): unknown;
  /**
   * Optional (added with the replay run): does the costly part of delivering a batch ahead of its
   * due moment (the replay calls it when it reads the partition ahead), so that `write()` at the
   * due moment only publishes. The file sink writes the staging file here and renames it in `write()`.
   * `pause`, when given, is awaited between costly steps: it returns at once, or holds the work
   * back while a release is about to fall due, so background work never makes a release late.
   */
  prepare?(batch: ReleaseBatch, pause?: () => Promise<void>): Promise<void>;
  /** Delivers one batch; resolves when it is durable (renamed into place, acknowledged by Kafka). */
  write(batch: ReleaseBatch): Promise<void>;
  /** Flushes and releases resources; safe to call twice. */
  close(): Promise<void>;
  /** Counters for the run summary (e.g. files written, messages acknowledged). */
  stats(): Record<string, number>;
}

// ---- Run progress and summary (added with the replay run; additions only). ----

/** Per-table counters of a run. */
export interface ReplayTableStats {
  /** Partitions whose rows were released (counted once per loop). */
  partitions: number;
  /** Source files whose rows were released (counted once per loop). */
  files: number;
  rows: number;
  /** Batches handed to the sinks. */
  releases: number;
}

/** What `onProgress` receives after each release. */
export interface ReplayProgress {
  releases: number;
  partitions: number;
  /** Partitions of one pass over the data (both tables): with `partitions`, how far a run without `loop` is. */
  partitionsTotal?: number;
  rows: Record<Table, number>;
  /** The batch just released. */
  table: Table;
  partition: string;
  /** Simulated seconds of the batch just released (includes the loop shift). */
  offset: number;
  loop: number;
  /** Wall milliseconds since the run started. */
  elapsedMs: number;
  /** Lateness of this release and p99 so far, in ms; null at speed "max" (nothing is due). */
  lateness: { lastMs: number; p99Ms: number } | null;
}

/** Why a run ended. */
export type ReplayStopReason = "completed" | "maxEvents" | "timeLimit" | "aborted";

/** What `replay()` resolves to. */
export interface ReplaySummary {
  data: string;
  /** Event time of offset 0 (ISO-8601, UTC). */
  start: string;
  speed: number | "max";
  schedule: "partition" | "row";
  loop: boolean;
  tables: Record<Table, ReplayTableStats>;
  /** Totals over both tables. */
  partitions: number;
  files: number;
  rows: number;
  releases: number;
  /** Files and folders passed over, each once, with the reason (from the dataset reader). */
  skipped: Skipped[];
  /** Release lateness (actual − due) in ms; null at speed "max" or when nothing was released. */
  lateness: LatenessStats | null;
  /** Wall milliseconds from the first due moment to the end of the last write. */
  wallMs: number;
  /** Passes over the data that released something (1 without `loop`). */
  loops: number;
  /** Simulated seconds of the last release (includes the loop shift); null when nothing was released. */
  lastOffset: number | null;
  stoppedEarly: boolean;
  stopReason: ReplayStopReason;
  /** Each sink's own counters, by sink name. */
  sinks: Record<string, Record<string, number>>;
  /** The progress log the run kept (absolute path), or null with `progressLog: false`. */
  progressLog?: string | null;
  /** With `resume`: releases acknowledged before this run (skipped by it); null for a fresh run. */
  resumedAfter?: number | null;
}
