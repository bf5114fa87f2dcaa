/** Reads the parquet files of a partition with nodejs-polars and validates them. */
import { promises as fs } from "node:fs";
import path from "node:path";
import pl from "nodejs-polars";
import { DataError, isStreamlabError } from "../errors";
import { readParquetFooter } from "./footer";
import { validateFrame } from "./schema";
import type { FrameFile, Partition, PartitionData, Skipped, Table } from "./types";

/** Options of `readPartition`. */
export interface ReadOptions {
  /** Called for each skipped file as it happens (the list is also in the result). Default: none. */
  onSkip?: (skipped: Skipped) => void;
}

/**
 * Reads any parquet file with the checks that keep a bad file from reaching (and possibly
 * crashing) the native reader: readable, not empty, a complete footer, decodable. No schema check:
 * {@link readParquetFile} adds the table's.
 *
 * Throws DataError: `EMPTY_FILE` (0 bytes), `BAD_PARQUET` (unreadable, truncated, not parquet, or
 * any polars read error).
 *
 * @example
 * const frame = await readParquetChecked("results/stream/input/events/t=000.0/a.parquet");
 */
export async function readParquetChecked(file: string): Promise<pl.DataFrame> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw new DataError("BAD_PARQUET", file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check that it exists and is readable.`, { cause: e });
  }
  if (bytes.length === 0) {
    throw new DataError("EMPTY_FILE", file, "is empty (0 bytes), probably an interrupted write; delete it or write it again.");
  }
  await readParquetFooter(bytes, file);
  try {
    // The native reader throws a plain Error on corrupt pages (fuzz-tested in
    // test/unit/dataset-read.test.ts); the footer check above catches truncated files first.
    return pl.readParquet(bytes);
  } catch (e) {
    throw new DataError("BAD_PARQUET", file, `cannot be decoded as parquet (${e instanceof Error ? e.message : String(e)}). Delete it or write it again.`, { cause: e });
  }
}

/**
 * Reads one parquet file of `table` and validates its schema.
 *
 * Throws DataError: `EMPTY_FILE` (0 bytes), `BAD_PARQUET` (truncated, not parquet, or any
 * polars read error), `MISSING_COLUMN` / `BAD_COLUMN_TYPE` (schema). A file with 0 rows is valid.
 *
 * @example
 * const frame = await readParquetFile("data/bdd/locations/t=000.0/<uuid>.parquet", "locations");
 * frame.height; // 1
 */
export async function readParquetFile(file: string, table: Table): Promise<pl.DataFrame> {
  const frame = await readParquetChecked(file);
  validateFrame(table, frame, file);
  return frame;
}

function toSkipped(e: unknown, file: string): Skipped {
  if (isStreamlabError(e)) return { path: file, code: e.code, reason: e.message };
  return { path: file, code: "BAD_PARQUET", reason: `${file}: ${e instanceof Error ? e.message : String(e)}` };
}

/**
 * Reads every file of a partition once. Bad files are skipped, never thrown: each becomes a
 * `Skipped {path, code, reason}` record in `result.skipped`.
 *
 * @example
 * const scan = await discoverDataset("data/bdd");
 * const data = await readPartition(scan.partitions.locations[0]);
 * data.rows; // rows of the valid files
 * data.files[0].frame; // a polars DataFrame
 */
export async function readPartition(partition: Partition, options: ReadOptions = {}): Promise<PartitionData> {
  const files: FrameFile[] = [];
  const skipped: Skipped[] = [];
  let rows = 0;
  for (const file of partition.files) {
    try {
      const frame = await readParquetFile(file, partition.table);
      files.push({ path: file, name: path.basename(file), frame });
      rows += frame.height;
    } catch (e) {
      const s = toSkipped(e, file);
      skipped.push(s);
      options.onSkip?.(s);
    }
  }
  return { partition, files, skipped, rows };
}
