import { promises as fs } from "node:fs";
import * as path from "node:path";
import pl, { type DataType } from "nodejs-polars";
import { DataError, isStreamlabError } from "../../errors";
import { parsePartitionName } from "../../dataset/partition-name";
import { readParquetChecked, readParquetFile } from "../../dataset/read";
import type { Skipped, Table } from "../../dataset/types";
import type { SourceChunk, StreamSource } from "../types";
import { resolveFileStreamSourceOptions, type FileStreamSourceOptions } from "./options";

/** A file-stream source that also says what it has read so far. */
export interface FileStreamSource extends StreamSource {
  readonly dir: string;
  /** Files read (valid or skipped) so far. */
  filesSeen(): number;
}

/**
 * Reads one file with the dataset reader's checks (`readParquetFile`: empty, truncated, schema)
 * when the table is known; the event time must be a Datetime `timestamp` column in any case.
 */
export async function readStreamFile(file: string, table: Table | undefined): Promise<pl.DataFrame> {
  // Without a table, the same empty/footer/decode checks, only no schema check.
  const frame = table === undefined ? await readParquetChecked(file) : await readParquetFile(file, table);
  const ts = (frame.schema as Record<string, DataType>).timestamp;
  if (ts === undefined) throw new DataError("MISSING_COLUMN", file, 'has no "timestamp" column, the event time of a stream row; write the file with the replay (it stamps timestamp = start + offset).', { context: { column: "timestamp" } });
  if (ts.variant !== "Datetime") throw new DataError("BAD_COLUMN_TYPE", file, `column "timestamp" has type ${ts.variant}, expected Datetime; write the file with the replay.`, { context: { column: "timestamp" } });
  return frame;
}

async function listDir(dir: string): Promise<string[] | undefined> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new DataError("BAD_PARTITION", dir, `cannot list the folder (${(e as Error).message}); check its permissions.`, { cause: e });
  }
}

/**
 * The file stream written by the replay, as a query input: `<dir>/t=SSS.S/<uuid>.parquet`.
 * Each poll lists the partition folders and reads the files it has not read before (only files
 * already renamed into place: hidden and non-parquet names are never read), one chunk per
 * partition with `partitionTime` from the folder name, oldest first. A bad file is skipped and
 * reported by `skipped()` with the same checks as the dataset reader; it is not read again.
 * A missing `dir` is not an error (the replay may not have created it yet), but `skipped()` reports
 * it as `NO_DATA` until it appears, so the query summary says so.
 *
 * @param options.dir the table folder, e.g. `results/stream/input/locations`
 * @param options.once bounded mode: take what is there at the first poll, then be exhausted
 * @example
 * const locations = fileStreamSource({ dir: "results/stream/input/locations" });
 * const chunks = await locations.poll(); // [{ partitionTime: 0, frame }, { partitionTime: 4.5, frame }, …]
 */
export function fileStreamSource(options: FileStreamSourceOptions): FileStreamSource {
  const o = resolveFileStreamSourceOptions(options);
  const seen = new Set<string>();
  const badDirs = new Set<string>();
  const skips: Skipped[] = [];
  let dirMissing = false;
  let polled = false;
  let closed = false;

  async function poll(signal?: AbortSignal): Promise<SourceChunk[]> {
    if (closed || (o.once && polled)) return [];
    polled = true;
    const partitions = await listDir(o.dir);
    dirMissing = partitions === undefined;
    const chunks: SourceChunk[] = [];
    for (const part of partitions ?? []) {
      if (signal?.aborted) break;
      const partDir = path.join(o.dir, part);
      const time = parsePartitionName(part);
      if (time === undefined) {
        if (!part.startsWith(".") && !part.startsWith("_") && !badDirs.has(partDir)) {
          badDirs.add(partDir);
          skips.push({ path: partDir, code: "BAD_PARTITION", reason: `"${part}" is not a partition folder of the form t=<seconds>; ignored` });
        }
        continue;
      }
      const names = await listDir(partDir);
      const frames: pl.DataFrame[] = [];
      for (const name of names ?? []) {
        // Hidden and non-parquet names are files still being written (or not ours): never read them.
        if (name.startsWith(".") || name.startsWith("_") || !name.endsWith(".parquet")) continue;
        const file = path.join(partDir, name);
        if (seen.has(file)) continue;
        seen.add(file);
        try {
          frames.push(await readStreamFile(file, o.table));
        } catch (e) {
          if (!isStreamlabError(e)) throw e;
          skips.push({ path: file, code: e.code, reason: e.message });
        }
      }
      const nonEmpty = frames.filter((f) => f.height > 0);
      if (nonEmpty.length === 0) continue;
      const frame = nonEmpty.length === 1 ? nonEmpty[0] : pl.concat(nonEmpty, { how: "diagonalRelaxed" });
      chunks.push({ partitionTime: time, frame });
    }
    return chunks.sort((a, b) => (a.partitionTime ?? 0) - (b.partitionTime ?? 0));
  }

  return {
    name: o.name,
    dir: o.dir,
    poll,
    exhausted: () => closed || (o.once && polled),
    skipped: () => (dirMissing ? [...skips, { path: o.dir, code: "NO_DATA", reason: "the input folder does not exist (yet); is the replay writing to it? check --input" }] : [...skips]),
    filesSeen: () => seen.size,
    async close() {
      closed = true;
    },
  };
}
