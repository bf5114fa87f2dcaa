import { promises as fs } from "node:fs";
import * as path from "node:path";
import { DataError } from "../../errors";
import { parsePartitionName } from "../../dataset/partition-name";
import { byTimeThenPath, readFileBatch, readFiles, toChunks, type DroppedRows, type FileSpec, type ReadFile, type StreamFile } from "./fileBatch";
import { isFormatFile } from "./fileFormats";
import { DeadLetterFolder } from "./deadLetter";
import type { Skipped } from "../../dataset/types";
import type { SourceChunk, StreamSource } from "../types";
import { resolveFileStreamSourceOptions, type FileStreamSourceOptions } from "./options";

export { readStreamFile } from "./fileBatch";

/** A file-stream source that also says what it has read so far. */
export interface FileStreamSource extends StreamSource {
  readonly dir: string;
  /** Files read (valid or skipped) so far. */
  filesSeen(): number;
}

async function listDir(dir: string): Promise<string[] | undefined> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new DataError("BAD_PARTITION", dir, `cannot list the folder (${(e as Error).message}); check its permissions.`, { cause: e });
  }
}

/** The partition time of files directly in the source folder (no `t=…` folder): before any partition. */
const FLAT_PARTITION_TIME = 0;

/** Most files read between two checks of the row bound. */
const MAX_STEP_FILES = 250;

interface Queued extends StreamFile {
  /** Bytes on disk, known only when `maxBytesPerTrigger` is set (a stat per file). */
  bytes: number;
}

/**
 * The file stream written by the replay, as a query input: `<dir>/t=SSS.S/<uuid>.parquet`; files
 * directly in `<dir>` are read too (as partition time 0), and `format` reads JSON lines or CSV instead
 * of parquet, with an optional `schema` a file must match.
 * Each poll lists the folders for files it has not seen (only files already renamed into place:
 * hidden and non-parquet names are never read) and reads the oldest of them, at most
 * `maxFilesPerTrigger` files (and `maxBytesPerTrigger` bytes, and about `maxRowsPerTrigger` rows), as one batch: one chunk per partition,
 * with `partitionTime` from the folder name, oldest first. A bad file is skipped and reported by
 * `skipped()` with the same checks as the dataset reader; it is not read again. Rows without an
 * event time (a null `timestamp`) are taken out of their file, whose other rows are read, and
 * reported once per file (`MISSING_EVENT_TIME`). Both go, with the reason, to the dead-letter folder
 * (a copy of the bad file; the dropped rows as parquet). Nothing stops the query. A missing `dir` is
 * not an error (the replay may not have created it yet), but `skipped()` reports it as `NO_DATA`
 * until it appears, so the query summary says so.
 *
 * @param options.dir the table folder, e.g. `results/stream/input/locations`
 * @param options.once bounded mode (Spark's availableNow): the files present at the first poll, in bounded polls, then exhausted
 * @param options.maxFilesPerTrigger most files one poll reads (default 1,000)
 * @param options.maxBytesPerTrigger most bytes one poll reads (default: no bound); one file at least
 * @param options.maxRowsPerTrigger a poll stops reading files once it has this many rows (default 500,000)
 * @param options.format `"parquet"` (default), `"json"` (one object per line) or `"csv"` (with a header)
 * @param options.schema column → polars type each file must match (others dropped); a file that does not is skipped like a bad parquet file
 * @param options.deadLetter the folder bad files (copied) and rows without an event time go to, with the reason; default `<dir>/_dead-letter`, `false`: only report them
 * @example
 * const locations = fileStreamSource({ dir: "results/stream/input/locations", maxFilesPerTrigger: 500 });
 * const chunks = await locations.poll(); // [{ partitionTime: 0, frame }, { partitionTime: 4.5, frame }, …]
 * const events = fileStreamSource({ dir: "incoming/events", format: "json", schema: { id: pl.Utf8, timestamp: pl.Datetime("ms"), speed: pl.Float64 } });
 */
export function fileStreamSource(options: FileStreamSourceOptions): FileStreamSource {
  const o = resolveFileStreamSourceOptions(options);
  const spec: FileSpec = { format: o.format, schema: o.schema, table: o.table };
  const seen = new Set<string>();
  const badDirs = new Set<string>();
  const skips: Skipped[] = [];
  const deadLetter = o.deadLetter === false ? undefined : new DeadLetterFolder(o.deadLetter, o.dir, o.name);
  /** Listed and not yet read, oldest partition first. */
  let queue: Queued[] = [];
  let dirMissing = false;
  let listed = false;
  let closed = false;

  /** Adds the files not seen before to the queue (in once mode: only at the first poll). */
  async function list(signal?: AbortSignal): Promise<void> {
    const partitions = await listDir(o.dir);
    dirMissing = partitions === undefined;
    const found: Queued[] = [];
    for (const part of partitions ?? []) {
      if (signal?.aborted) break;
      const partDir = path.join(o.dir, part);
      if (isFormatFile(part, o.format)) {
        // A file directly in the folder (Spark's layout: files dropped into a directory).
        if (!seen.has(partDir)) { seen.add(partDir); found.push({ path: partDir, partitionTime: FLAT_PARTITION_TIME, bytes: 0 }); }
        continue;
      }
      const time = parsePartitionName(part);
      if (time === undefined) {
        if (!part.startsWith(".") && !part.startsWith("_") && !badDirs.has(partDir)) {
          badDirs.add(partDir);
          skips.push({ path: partDir, code: "BAD_PARTITION", reason: `"${part}" is not a partition folder of the form t=<seconds>; ignored` });
        }
        continue;
      }
      for (const name of (await listDir(partDir)) ?? []) {
        // Hidden names and other formats are files still being written (or not ours): never read them.
        if (!isFormatFile(name, o.format)) continue;
        const file = path.join(partDir, name);
        if (seen.has(file)) continue;
        seen.add(file);
        found.push({ path: file, partitionTime: time, bytes: 0 });
      }
    }
    if (o.maxBytesPerTrigger !== Infinity) {
      for (const f of found) f.bytes = await fs.stat(f.path).then((st) => st.size, () => 0);
    }
    if (found.length > 0) {
      queue = queue.concat(found);
      queue.sort(byTimeThenPath);
    }
    listed = true;
  }

  /** The oldest queued files within the per-trigger bounds (one file at least). */
  function take(): Queued[] {
    let n = 0;
    let bytes = 0;
    while (n < queue.length && n < o.maxFilesPerTrigger && (n === 0 || bytes + queue[n].bytes <= o.maxBytesPerTrigger)) bytes += queue[n++].bytes;
    const batch = queue.slice(0, n);
    queue = queue.slice(n);
    return batch;
  }

  async function poll(signal?: AbortSignal): Promise<SourceChunk[]> {
    if (closed) return [];
    if (!o.once || !listed) await list(signal);
    if (signal?.aborted) return [];
    // A batch of only bad or empty files gives no rows: read on, so an empty poll means nothing new.
    while (queue.length > 0 && !signal?.aborted) {
      const chunks = await readBounded(take());
      if (chunks.length > 0) return chunks;
    }
    return [];
  }

  /**
   * Reads `files` in steps, stopping once `maxRowsPerTrigger` rows are read; the files not read go
   * back to the front of the queue for the next poll. Steps start at one file and double while the
   * largest files seen say more still fit (at most {@link MAX_STEP_FILES}), so a stream of large files
   * overshoots the bound by about a step's worth, and small files are still read in bulk.
   */
  async function readBounded(files: Queued[]): Promise<SourceChunk[]> {
    const all: ReadFile[] = [];
    const skipped: Skipped[] = [];
    let rows = 0;
    let i = 0;
    let step = 0;
    let largest = 0; // rows per file: the largest average of a step so far
    while (i < files.length) {
      if (rows >= o.maxRowsPerTrigger) {
        queue = files.slice(i).concat(queue);
        break;
      }
      // Double the step while the largest files seen say more still fit.
      step = i === 0 ? 1 : Math.max(1, Math.min(MAX_STEP_FILES, 2 * step, Math.floor((o.maxRowsPerTrigger - rows) / Math.max(1, largest))));
      const batch = await readFiles(files.slice(i, i + step), spec);
      skipped.push(...batch.skipped);
      let got = 0;
      for (const r of batch.read) { all.push(r); got += r.frame.height; }
      rows += got;
      largest = Math.max(largest, Math.ceil(got / step));
      i += step;
    }
    const dropped: DroppedRows[] = [];
    const chunks = toChunks(all, dropped);
    await report(skipped, dropped);
    return chunks;
  }

  /** Records bad files and rows without an event time in `skipped()`, and dead-letters them. */
  async function report(skipped: Skipped[], dropped: DroppedRows[]): Promise<void> {
    for (const skip of skipped) skips.push(deadLetter === undefined ? skip : await deadLetter.file(skip));
    for (const d of dropped) {
      const reason = `${d.file.path}: ${d.frame.height} of ${d.total} rows have no "timestamp" (the event time), so they cannot be placed in time: dropped; the file's other rows were read.`;
      skips.push(deadLetter === undefined ? { path: d.file.path, code: "MISSING_EVENT_TIME", reason } : await deadLetter.rows(d, reason, "MISSING_EVENT_TIME"));
    }
  }

  /** The files of chunks' origins, with their partition times from the folder names. */
  function filesOf(origins: unknown[]): StreamFile[] {
    const files: StreamFile[] = [];
    for (const origin of origins) {
      for (const file of (origin as { files?: unknown }).files as string[] ?? []) {
        const time = path.resolve(path.dirname(file)) === path.resolve(o.dir) ? FLAT_PARTITION_TIME : parsePartitionName(path.basename(path.dirname(file)));
        if (typeof file === "string" && time !== undefined) files.push({ path: file, partitionTime: time });
      }
    }
    return files.sort(byTimeThenPath);
  }

  return {
    name: o.name,
    dir: o.dir,
    spec: { kind: "files", dir: o.dir, table: o.table, maxFilesPerTrigger: o.maxFilesPerTrigger, maxBytesPerTrigger: o.maxBytesPerTrigger },
    poll,
    replayable: {
      // The format is part of what is read (parquet keeps the id earlier checkpoints recorded).
      id: `files:${path.resolve(o.dir)}${o.format === "parquet" ? "" : `?format=${o.format}`}`,
      skip(origins) {
        for (const f of filesOf(origins)) seen.add(f.path);
      },
      async reread(origins) {
        const read = await readFileBatch(filesOf(origins), spec);
        await report(read.skipped, read.dropped);
        return read.chunks;
      },
    },
    exhausted: () => closed || (o.once && listed && queue.length === 0),
    skipped: () => (dirMissing ? [...skips, { path: o.dir, code: "NO_DATA", reason: "the input folder does not exist (yet); is the replay writing to it? check --input" }] : [...skips]),
    filesSeen: () => seen.size - queue.length,
    async close() {
      closed = true;
    },
  };
}
