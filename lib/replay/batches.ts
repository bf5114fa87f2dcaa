import path from "node:path";
import pl from "nodejs-polars";
import { formatPartitionName } from "../dataset/partition-name";
import type { FrameFile, PartitionData } from "../dataset/types";
import type { ReleaseBatch } from "./types";

const DUE_MS = "__streamlab_due_ms";

/**
 * The expressions that stamp event time on a frame: `offset` shifted by `shift` seconds (loops
 * after the first) and `timestamp = start + offset` as polars Datetime("ms") (UTC epoch
 * milliseconds, no zone), replacing the source's 1970-based column in place.
 *
 * Built once per (start, shift) and reused: every nodejs-polars call costs about a millisecond on
 * a busy machine, so the replay applies one prebuilt `withColumns` per file.
 */
const stampCache = new Map<string, pl.Expr[]>();
function stampExpressions(startMs: number, shift: number, withDue: boolean, fallbackMs = 0): pl.Expr[] {
  const key = `${startMs}:${shift}:${withDue}:${fallbackMs}`;
  let exprs = stampCache.get(key);
  if (exprs === undefined) {
    const offset = shift === 0 ? pl.col("offset") : pl.col("offset").add(shift);
    const ms = offset.mul(1000).round(0);
    exprs = [ms.add(startMs).cast(pl.Int64).cast(pl.Datetime("ms")).alias("timestamp")];
    if (shift !== 0) exprs.push(offset.alias("offset"));
    if (withDue) exprs.push(ms.fillNull(fallbackMs).cast(pl.Int64).alias(DUE_MS));
    if (stampCache.size > 64) stampCache.clear(); // bounded: one entry per loop and start
    stampCache.set(key, exprs);
  }
  return exprs;
}

/**
 * Stamps event time on a frame: adds `shift` seconds to `offset` (loops after the first), then
 * sets `timestamp = start + offset` (offset rounded to the millisecond) as polars Datetime("ms"),
 * UTC epoch milliseconds without a zone, replacing the source's 1970-based column in place.
 *
 * @example
 * stampFrame(frame, Date.parse("2020-01-01T00:00:00Z"), 0).getColumn("timestamp").get(0);
 * // 2020-01-01T00:00:04.525Z for offset 4.525061
 */
export function stampFrame(frame: pl.DataFrame, startMs: number, shift: number): pl.DataFrame {
  return frame.withColumns(...stampExpressions(startMs, shift, false));
}

/** The partition folder name a batch is written under: as found in loop 0, else the shifted time. */
export function batchPartitionName(name: string, time: number, shift: number): string {
  return shift === 0 ? name : formatPartitionName(time + shift);
}

/** Lets timers and I/O run: batches are cut while a release may be due any moment. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A file whose frame is stamped when first read: the file sink stamps one file at a time between
 * pauses, while a sink taking the whole batch ({@link ReleaseBatch.frame}) never pays a polars
 * call per file (thousands of small files in the course's layout).
 */
function lazilyStamped(f: FrameFile, startMs: number, shift: number): FrameFile {
  let stamped: pl.DataFrame | undefined;
  return {
    path: f.path,
    name: f.name,
    get frame() {
      return (stamped ??= stampFrame(f.frame, startMs, shift));
    },
  };
}

/** The batch's rows as one frame, built on first use (memoized): `whole()` concatenates and stamps. */
function withWholeFrame(batch: Omit<ReleaseBatch, "frame">, whole: () => pl.DataFrame): ReleaseBatch {
  let frame: pl.DataFrame | undefined;
  return Object.defineProperty(batch, "frame", { enumerable: false, get: () => (frame ??= whole()) }) as ReleaseBatch;
}

/** Frames of one table in order, as one (columns matched by name, as the file layouts may differ). */
function concatFrames(frames: pl.DataFrame[]): pl.DataFrame {
  return frames.length === 1 ? frames[0] : pl.concat(frames, { how: "diagonalRelaxed" });
}

/**
 * Schedule "partition": the whole partition (every valid file) as one batch. Each file's frame is
 * stamped on first use, and the batch's `frame` is the files concatenated, then stamped in one call.
 */
export async function partitionBatch(data: PartitionData, startMs: number, loop: number, shift: number, pause = yieldToEventLoop): Promise<ReleaseBatch | undefined> {
  if (data.files.length === 0) return undefined;
  await pause();
  const { partition } = data;
  const raw = data.files;
  return withWholeFrame(
    {
      table: partition.table,
      partition: batchPartitionName(partition.name, partition.time, shift),
      dueOffset: partition.time + shift,
      loop,
      files: raw.map((f) => lazilyStamped(f, startMs, shift)),
      rows: data.frame?.height ?? raw.reduce((n, f) => n + f.frame.height, 0),
    },
    () => stampFrame(data.frame ?? concatFrames(raw.map((f) => f.frame)), startMs, shift),
  );
}

/**
 * Schedule "row": one batch per distinct offset (to the millisecond) across the partition's files,
 * due at that offset. Each file's slice keeps the source name with the offset in ms appended
 * (`<uuid>-<ms>.parquet`), so slices of one file never overwrite each other in a file sink.
 * Rows without an offset are due at the partition time.
 */
export async function rowBatches(data: PartitionData, startMs: number, loop: number, shift: number, pause = yieldToEventLoop): Promise<ReleaseBatch[]> {
  const { partition } = data;
  const byDue = new Map<number, FrameFile[]>();
  const fallbackMs = Math.round((partition.time + shift) * 1000);
  for (const file of data.files) {
    if (file.frame.height === 0) continue;
    await pause();
    const stamped = file.frame.withColumns(...stampExpressions(startMs, shift, true, fallbackMs));
    const ext = path.extname(file.name);
    const stem = file.name.slice(0, file.name.length - ext.length);
    for (const part of stamped.partitionBy(DUE_MS, true, true)) {
      const dueMs = Number(part.getColumn(DUE_MS).get(0));
      const slice: FrameFile = { path: file.path, name: `${stem}-${dueMs}${ext}`, frame: part.drop(DUE_MS) };
      const list = byDue.get(dueMs);
      if (list) list.push(slice);
      else byDue.set(dueMs, [slice]);
    }
  }
  const name = batchPartitionName(partition.name, partition.time, shift);
  return [...byDue.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([dueMs, files]) =>
      withWholeFrame(
        { table: partition.table, partition: name, dueOffset: dueMs / 1000, loop, files, rows: files.reduce((n, f) => n + f.frame.height, 0) },
        () => concatFrames(files.map((f) => f.frame)),
      ),
    );
}
