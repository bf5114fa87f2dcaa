/** Reads a whole dataset into one frame per table (for notebooks, tests and small data). */
import pl from "nodejs-polars";
import { discoverDataset } from "./discover";
import type { DiscoverOptions } from "./options";
import { readPartition } from "./read";
import type { DatasetScan, Skipped, Table } from "./types";

export interface LoadedDataset {
  scan: DatasetScan;
  /** Per table read: all valid rows, in partition order then file-name order. */
  frames: Partial<Record<Table, pl.DataFrame>>;
  /** Discovery skips and read skips together. */
  skipped: Skipped[];
}

/**
 * Discovers and reads a dataset; every bad file or folder is skipped and listed in `skipped`.
 * Files of a table with different extra columns are concatenated diagonally (missing → null).
 *
 * @example
 * const { frames, skipped } = await loadDataset("data/bdd");
 * frames.locations?.height; // e.g. 478
 */
export async function loadDataset(root: string, options: DiscoverOptions = {}): Promise<LoadedDataset> {
  const scan = await discoverDataset(root, options);
  const skipped = [...scan.skipped];
  const frames: Partial<Record<Table, pl.DataFrame>> = {};
  for (const table of Object.keys(scan.partitions) as Table[]) {
    const parts: pl.DataFrame[] = [];
    for (const partition of scan.partitions[table]) {
      const data = await readPartition(partition);
      skipped.push(...data.skipped);
      for (const f of data.files) parts.push(f.frame);
    }
    if (parts.length > 0) frames[table] = pl.concat(parts, { how: "diagonal" });
  }
  return { scan, frames, skipped };
}
