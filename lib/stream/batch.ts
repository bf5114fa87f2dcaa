/**
 * The same query in batch (Spark: "the same code works for batch and stream processing"): a frame
 * started with `read(source)` instead of `readStream(source)` takes the same operators, and
 * `collect()` runs its plan once over everything the sources hold now. All input is one micro-batch,
 * so no row is ever late (`withWatermark` has no effect), then the end-of-input step settles every
 * window and join row: the result equals the final result of the streaming query over the same input
 * when that query dropped no late rows.
 */
import pl from "nodejs-polars";
import { QueryError } from "../errors";
import type { QueryPlan } from "./plan";
import { BatchProcessor } from "./processor";
import { BATCH_ID_COLUMN } from "./sinks/options";
import type { StreamSource } from "./types";

/** Everything a source holds now: polls until it is exhausted or has nothing more. */
async function drain(source: StreamSource, signal?: AbortSignal): Promise<pl.DataFrame[]> {
  const frames: pl.DataFrame[] = [];
  for (;;) {
    if (signal?.aborted) throw new QueryError(`read "${source.name}": stopped on request.`);
    let chunks;
    try { chunks = await source.poll(signal); } catch (e) {
      throw new QueryError(`read "${source.name}" failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e, context: { source: source.name } });
    }
    for (const c of chunks) if (c.frame.height > 0) frames.push(c.frame);
    if (chunks.length === 0 || source.exhausted()) return frames;
  }
}

/**
 * Runs a static plan (every input from `read`): the inputs in one batch, then the end-of-input
 * step; output without `batch_id` (a static frame has no micro-batches). Sources are closed after.
 */
export async function collectStatic(plan: QueryPlan, signal?: AbortSignal): Promise<pl.DataFrame> {
  const streaming = plan.inputs.find((i) => !i.static);
  if (streaming !== undefined) throw new QueryError(`collect() runs a static frame, and the input "${streaming.source.name}" is a stream: start it with read(source) instead of readStream(source), or run the stream with writeStream(...).start().`);
  // Update mode emits every group of the one batch with its final value; append settles the rest at the end.
  const mode = plan.stateful?.kind === "aggregate" ? "update" : "append";
  const processor = new BatchProcessor(plan, mode);
  try {
    const chunks: Record<string, pl.DataFrame[]> = {};
    for (const input of plan.inputs) chunks[input.source.name] = await drain(input.source, signal);
    const outputs = [processor.process(chunks, 0).frame];
    if (processor.needsFlush) outputs.push(processor.process({}, 1, true).frame);
    const nonEmpty = outputs.filter((f) => f.width > 0 && f.height > 0);
    const out = nonEmpty.length === 0 ? outputs[0] : nonEmpty.length === 1 ? nonEmpty[0] : pl.concat(nonEmpty, { how: "diagonalRelaxed" });
    return out.columns.includes(BATCH_ID_COLUMN) ? out.drop(BATCH_ID_COLUMN) : out;
  } finally {
    for (const input of plan.inputs) await input.source.close().catch(() => undefined);
  }
}
