import type pl from "nodejs-polars";
import type { ErrorCode } from "../errors";

/** The two tables of the BDD layout: `<root>/<table>/t=SSS.S/<uuid>.parquet`. */
export type Table = "locations" | "accelerations";
export const TABLES: readonly Table[] = ["locations", "accelerations"];

/** One `t=SSS.S` folder of one table. */
export interface Partition {
  table: Table;
  /** Folder name as found, e.g. `t=052.5`. */
  name: string;
  /** Seconds since the start of the recording: the moment the replay publishes it. */
  time: number;
  /** Absolute folder path. */
  dir: string;
  /** Absolute paths of the `.parquet` files in it, sorted by name. */
  files: string[];
}

/** A file or folder the run passed over, and why; every skip is counted in the run's summary. */
export interface Skipped {
  path: string;
  code: ErrorCode;
  reason: string;
}

/** What `discoverDataset` found under a root folder. */
export interface DatasetScan {
  root: string;
  /** Per table, partitions in time order. */
  partitions: Record<Table, Partition[]>;
  skipped: Skipped[];
}

/** One readable, schema-valid parquet file of a partition. */
export interface FrameFile {
  /** Absolute path of the source file. */
  path: string;
  /** File name, e.g. `<uuid>.parquet`. */
  name: string;
  frame: pl.DataFrame;
}

/** A partition after reading: its valid files, and the ones skipped. */
export interface PartitionData {
  partition: Partition;
  files: FrameFile[];
  skipped: Skipped[];
  rows: number;
  /**
   * Every file's rows as one frame, in file order, when the reader has it (the worker reader does,
   * when the files share one layout): one polars object for the partition instead of one per file.
   */
  frame?: pl.DataFrame;
}
