/** Reads the parquet files of a partition with nodejs-polars and validates them. */
import { promises as fs } from "node:fs";
import path from "node:path";
import pl from "nodejs-polars";
import { DataError, isStreamlabError } from "../errors";
import { validateFrame } from "./schema";
import type { FrameFile, Partition, PartitionData, Skipped, Table } from "./types";

const MAGIC = "PAR1";
/** Header magic (4 bytes) + footer length (4) + footer magic (4). */
const MIN_PARQUET_BYTES = 12;

/** Options of `readPartition`. */
export interface ReadOptions {
  /** Called for each skipped file as it happens (the list is also in the result). Default: none. */
  onSkip?: (skipped: Skipped) => void;
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
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw new DataError("BAD_PARQUET", file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check that it exists and is readable.`, { cause: e });
  }
  if (bytes.length === 0) {
    throw new DataError("EMPTY_FILE", file, "is empty (0 bytes), probably an interrupted write; delete it or write it again.");
  }
  // Check the magic bytes first: cheap, and a clearer message than the reader's for truncated files.
  if (bytes.length < MIN_PARQUET_BYTES || bytes.toString("latin1", 0, 4) !== MAGIC || bytes.toString("latin1", bytes.length - 4) !== MAGIC) {
    throw new DataError("BAD_PARQUET", file, `is not a complete parquet file (${bytes.length} bytes, missing the "PAR1" header or footer): truncated or not parquet. Delete it or write it again.`);
  }
  const footer = bytes.readUInt32LE(bytes.length - 8);
  if (footer > bytes.length - MIN_PARQUET_BYTES) {
    throw new DataError("BAD_PARQUET", file, `is not a complete parquet file: its footer claims ${footer} bytes but the file has ${bytes.length} (truncated?). Delete it or write it again.`);
  }
  let frame: pl.DataFrame;
  try {
    // The native reader throws a plain Error on corrupt pages or footers (fuzz-tested in
    // test/unit/dataset-read.test.ts); the checks above catch the common cases first.
    frame = pl.readParquet(bytes);
  } catch (e) {
    throw new DataError("BAD_PARQUET", file, `cannot be decoded as parquet (${e instanceof Error ? e.message : String(e)}). Delete it or write it again.`, { cause: e });
  }
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
