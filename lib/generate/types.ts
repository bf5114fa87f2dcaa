import type { Table } from "../dataset/types";

/** Reported after each partition (both tables) is written. */
export interface GenerateProgress {
  /** Partitions written so far (a partition = one `t=` folder, both tables). */
  partitions: number;
  partitionsTotal: number;
  /** Time of the partition just written, seconds. */
  time: number;
  files: number;
  rows: Record<Table, number>;
  bytes: number;
}

/** What `generateDataset` wrote. */
export interface GenerateSummary {
  /** Absolute output folder. */
  out: string;
  seed: number;
  rides: number;
  duration: number;
  /** Number of `t=` partition times that got at least one file (times with no active ride get no folder). */
  partitions: number;
  files: number;
  rows: Record<Table, number>;
  bytes: number;
}
