import { promises as fs } from "node:fs";
import * as path from "node:path";
import pl from "nodejs-polars";
import { SinkError } from "../../errors";
import type { BatchOutput, SinkOpenContext, StreamSink } from "../types";
import { causeOf, isTempName, writeFileAtomic } from "../../files/atomic";
import { BATCH_ID_COLUMN, resolveParquetSinkOptions, wantsBatchId, type ParquetSinkOptions } from "./options";

const BATCH_FILE = /^batch-(\d+)\.parquet$/;

/** The sink's log of the batches it wrote completely (as Spark's `_spark_metadata`): one empty file per batch id. */
export const COMMIT_LOG = "_streamlab_log";

/** The batch id of a batch file name. */
export function batchIdOf(name: string): number {
  return Number(BATCH_FILE.exec(name)![1]);
}

/** True for the file names {@link batchFileName} makes (what {@link readParquetOutput} reads). */
export function isBatchFileName(name: string): boolean {
  return BATCH_FILE.test(name);
}

/** File name of one micro-batch: `batch-000007.parquet` (zero-padded so names sort by batch). */
export function batchFileName(batchId: number): string {
  return `batch-${String(batchId).padStart(6, "0")}.parquet`;
}

/** Adds `batch_id` (Int64) unless the engine already did. */
export function withBatchId(frame: pl.DataFrame, batchId: number): pl.DataFrame {
  if (frame.columns.includes(BATCH_ID_COLUMN)) return frame;
  return frame.withColumn(pl.lit(batchId).cast(pl.Int64).alias(BATCH_ID_COLUMN));
}

/** A {@link StreamSink} that also says what it wrote. */
export interface ParquetSink extends StreamSink {
  readonly dir: string;
  /** Files written and rows in them so far. */
  stats(): { files: number; rows: number };
}

/**
 * A sink writing one parquet file per micro-batch into `dir` (`batch-000000.parquet`, …), each
 * written to a hidden temp name and renamed into place, so a reader never sees a partial file.
 * `update` mode writes one changelog file per batch (rows carry `batch_id`; the latest value of a
 * key is its row with the highest `batch_id`); `complete` mode writes one full snapshot per batch
 * (read the file with the highest batch number). Empty batches write nothing. For a checkpointed
 * query, each file's batch id then goes into `_streamlab_log/`; {@link readParquetOutput} reads only
 * the batches logged there, so a file a crash left behind is never read, and the query resuming from
 * its checkpoint writes it again (same batch id, same rows): each batch's rows are in the output once.
 *
 * @param options.dir the output folder (created when missing)
 * @param options.batchId add a `batch_id` column; default true in update/complete mode
 * @param options.clean remove the batch files of a previous run on open; default true
 * @example
 * const sink = parquetSink({ dir: "results/stream/output/windowed" });
 * // after the query ran:
 * const out = readParquetOutput("results/stream/output/windowed");
 */
export function parquetSink(options: ParquetSinkOptions): ParquetSink {
  const o = resolveParquetSinkOptions(options);
  let files = 0;
  let rows = 0;
  /** Whether batches go into the log (a checkpointed query's output). */
  let logged = false;
  return {
    name: o.name,
    dir: o.dir,
    spec: { kind: "files", dir: o.dir, batchId: o.batchId },
    async open(context?: SinkOpenContext) {
      try {
        await fs.mkdir(o.dir, { recursive: true });
        // A query resuming from its checkpoint keeps what its earlier runs wrote; temp files are
        // never output (a write that failed or was killed left them), so they go in any case.
        const fresh = o.clean && !context?.resuming;
        for (const name of await fs.readdir(o.dir)) {
          if (isTempName(name) || (fresh && isBatchFileName(name))) await fs.rm(path.join(o.dir, name), { force: true });
        }
        if (fresh) await fs.rm(path.join(o.dir, COMMIT_LOG), { recursive: true, force: true });
        logged = context?.checkpointed === true;
        if (logged) {
          await fs.mkdir(path.join(o.dir, COMMIT_LOG), { recursive: true });
          for (const name of await fs.readdir(path.join(o.dir, COMMIT_LOG))) {
            if (isTempName(name)) await fs.rm(path.join(o.dir, COMMIT_LOG, name), { force: true });
          }
        }
      } catch (e) {
        throw new SinkError(o.dir, `could not prepare the output folder (${(e as Error).message}); check the path and its permissions`, e);
      }
    },
    async write(output: BatchOutput) {
      if (output.frame.height === 0) return;
      const frame = wantsBatchId(o.batchId, output.mode) ? withBatchId(output.frame, output.batchId) : output.frame;
      try {
        await writeFileAtomic(path.join(o.dir, batchFileName(output.batchId)), frame.writeParquet());
        // The batch is part of the output once its entry is in the log (readers honour it): a file a
        // crash left without one is not read, and the restarted query writes it again.
        if (logged) await writeFileAtomic(path.join(o.dir, COMMIT_LOG, String(output.batchId)), new Uint8Array());
      } catch (e) {
        // Name the folder and the way out: the batch is not part of the output (temp name + rename,
        // and the log entry last), so fixing the folder and running again completes it.
        const cause = causeOf(e);
        throw new SinkError(o.dir, `could not write batch ${output.batchId} (${cause instanceof Error ? cause.message : String(cause)}); no part of it is in the output. ` +
          `Make the folder writable (or free space on its disk), then run the same command again: with a checkpoint (--checkpoint) it resumes at batch ${output.batchId} and completes the output; without one it starts over.`, cause);
      }
      files += 1;
      rows += frame.height;
    },
    async close() {},
    stats: () => ({ files, rows }),
  };
}
