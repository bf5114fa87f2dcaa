import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import pl from "nodejs-polars";
import { DataError } from "../../errors";
import { BATCH_ID_COLUMN } from "./options";
import { batchIdOf, COMMIT_LOG, isBatchFileName } from "./parquet";

/** Options of {@link readParquetOutput}. */
export interface ReadOutputOptions {
  /**
   * Keep only the latest row per key (the one with the highest `batch_id`): how to read an
   * `update`-mode changelog, e.g. `["ride_id", "window_start"]`.
   */
  latestBy?: string[];
}

/**
 * Reads the batch files a {@link parquetSink} wrote into `dir`, in batch order, as one frame.
 * With `latestBy`, an update-mode changelog collapses to the current value of each key.
 *
 * @throws DataError `NO_DATA` when `dir` holds no batch file (has the query run yet?)
 * @example
 * // every row ever emitted, with its batch_id
 * readParquetOutput("results/stream/output/windowed");
 * // the current mean speed of each (ride, window)
 * readParquetOutput("results/stream/output/windowed", { latestBy: ["ride_id", "window_start"] });
 */
export function readParquetOutput(dir: string, options: ReadOutputOptions = {}): pl.DataFrame {
  let names = existsSync(dir) ? readdirSync(dir).filter(isBatchFileName).sort() : [];
  // Only the batches the sink logged as complete (folders written before the log existed: all).
  const log = path.join(dir, COMMIT_LOG);
  if (existsSync(log)) {
    const done = new Set(readdirSync(log));
    names = names.filter((n) => done.has(String(batchIdOf(n))));
  }
  if (names.length === 0) throw new DataError("NO_DATA", dir, "no batch-*.parquet files here; run the query first (or check --output)");
  const frames = names.map((n) => pl.readParquet(path.join(dir, n)));
  const all = frames.length === 1 ? frames[0] : pl.concat(frames, { how: "diagonalRelaxed" });
  if (options.latestBy === undefined) return all;
  if (!all.columns.includes(BATCH_ID_COLUMN)) throw new DataError("MISSING_COLUMN", dir, `latestBy needs a ${BATCH_ID_COLUMN} column, and these files have none (written in append mode?)`);
  return all.sort(BATCH_ID_COLUMN).unique({ subset: options.latestBy, keep: "last", maintainOrder: true });
}
