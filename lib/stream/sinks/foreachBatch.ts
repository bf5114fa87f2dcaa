import type pl from "nodejs-polars";
import { OptionError, QueryError } from "../../errors";
import { optionalString } from "../../options";
import type { BatchOutput, StreamSink } from "../types";

/** The user function of {@link foreachBatch}: the micro-batch's rows and its id. */
export type BatchFunction = (frame: pl.DataFrame, batchId: number) => void | Promise<void>;

/** Options of {@link foreachBatch}. */
export interface ForeachBatchOptions {
  /** Name in messages and summaries; default `foreachBatch`. */
  name?: string;
  /** Call the function for batches without rows too (Spark calls it for every batch); default true. */
  emptyBatches?: boolean;
}

/**
 * Spark's `foreachBatch`: calls `fn(frame, batchId)` with each micro-batch's output, so one function
 * can write it anywhere (a database, several sinks, a batch-only writer). The query waits for the
 * returned promise; a function that throws (or rejects) stops the query with a QueryError naming
 * the batch.
 *
 * Guarantee, as in Spark: at least once. A checkpointed query commits a batch only after the function
 * returned, so a batch whose function failed (or whose process died) runs again on restart with the
 * same batch id and the same rows. Make the function idempotent by keying what it writes by `batchId`
 * (overwrite, or skip ids already written) and the output is exactly once.
 *
 * @example
 * const written = new Map<number, number>();
 * const sink = foreachBatch((frame, batchId) => { written.set(batchId, frame.height); });
 */
export function foreachBatch(fn: BatchFunction, options: ForeachBatchOptions = {}): StreamSink {
  if (typeof fn !== "function") throw new OptionError("foreachBatch", String(fn), "expected a function (frame, batchId) => void | Promise<void>");
  if (options === null || typeof options !== "object") throw new OptionError("foreachBatch.options", options, "expected an options object such as { name: \"to-db\" }");
  const name = optionalString("name", options.name, "foreachBatch");
  const emptyBatches = options.emptyBatches ?? true;
  return {
    name,
    async open() {},
    async write(output: BatchOutput) {
      if (!emptyBatches && output.frame.height === 0) return;
      try {
        await fn(output.frame, output.batchId);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new QueryError(`foreachBatch "${name}": the function failed on batch ${output.batchId} (${output.frame.height} rows): ${why}. ` +
          `The batch was not committed: with a checkpoint (checkpointLocation) the query runs batch ${output.batchId} again when restarted, so fix the function and start the query again.`,
        { cause: e, context: { sink: name, batchId: output.batchId } });
      }
    },
    async close() {},
  };
}
