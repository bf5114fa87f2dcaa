import type { FrameFile, Table } from "../dataset/types";

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
}

/** A destination for released rows: the file stream, Kafka, or memory in tests. */
export interface ReplaySink {
  /** Short name for summaries, e.g. `files` or `kafka`. */
  readonly name: string;
  /** Prepares the destination (clears folders, connects, creates topics). */
  open(): Promise<void>;
  /** Delivers one batch; resolves when it is durable (renamed into place, acknowledged by Kafka). */
  write(batch: ReleaseBatch): Promise<void>;
  /** Flushes and releases resources; safe to call twice. */
  close(): Promise<void>;
  /** Counters for the run summary (e.g. files written, messages acknowledged). */
  stats(): Record<string, number>;
}
