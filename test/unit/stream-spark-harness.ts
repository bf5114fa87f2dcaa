/**
 * Runs a query plan the way Spark's `testStream(...)(AddData, CheckNewAnswer, ...)` does, so cases
 * from Spark's own suites read the same here: each `addData` is one micro-batch, followed, as in
 * our query loop (`runContinuous`) and Spark, by a no-data batch when the watermark moved and state
 * is held. Drives the BatchProcessor directly: no sources, no timing.
 */
import pl from "nodejs-polars";
import { BatchProcessor, type OutputMode, type StreamFrame } from "../../lib/stream";

export class SparkLikeRun {
  readonly processor: BatchProcessor;
  private batchId = 0;
  private watermarkOfLastBatch = -Infinity;
  /** Per addData: rows dropped as late (over its batch and the no-data batch). */
  dropped = 0;
  /** Every batch's output frame, in order. */
  readonly outputs: pl.DataFrame[] = [];

  constructor(frame: StreamFrame, private readonly mode: OutputMode) {
    this.processor = new BatchProcessor(frame.plan, mode);
  }

  /** One micro-batch with `frames` per input name, then the no-data batch if due; returns the new rows (CheckNewAnswer; complete mode: the table). */
  addData(frames: Record<string, pl.DataFrame>): pl.DataFrame {
    const chunks = Object.fromEntries(Object.entries(frames).map(([k, f]) => [k, [f]]));
    const first = this.batch(chunks, false);
    this.dropped = first.dropped;
    const out = [first.frame];
    if (this.processor.watermark.current !== this.watermarkOfLastBatch && this.processor.stateRows > 0) out.push(this.batch({}, false).frame);
    // Complete mode: each batch is the whole table, the last one is the answer.
    return this.mode === "complete" ? out[out.length - 1] : concatRows(out);
  }

  /** The end-of-input flush (watermark at +infinity). */
  finish(): pl.DataFrame {
    return this.batch({}, true).frame;
  }

  get stateRows(): number {
    return this.processor.stateRows;
  }

  private batch(chunks: Record<string, pl.DataFrame[]>, final: boolean): { frame: pl.DataFrame; dropped: number } {
    const r = this.processor.process(chunks, this.batchId++, final);
    this.watermarkOfLastBatch = r.watermarkMs;
    this.outputs.push(r.frame);
    return { frame: r.frame, dropped: r.rowsDroppedByWatermark };
  }
}

function concatRows(frames: pl.DataFrame[]): pl.DataFrame {
  const rows = frames.filter((f) => f.height > 0);
  if (rows.length === 0) return frames[0];
  return rows.length === 1 ? rows[0] : pl.concat(rows, { how: "diagonalRelaxed" });
}

/** A frame's rows as sorted JSON strings of the given columns (Datetime cells as epoch seconds): order-free comparison. */
export function rowsOf(frame: pl.DataFrame, columns: string[]): string[] {
  if (frame.height === 0) return [];
  return frame.select(...columns).toRecords().map((r) => JSON.stringify(columns.map((c) => {
    const v: unknown = r[c];
    return v instanceof Date ? v.getTime() / 1000 : typeof v === "bigint" ? Number(v) : v;
  }))).sort();
}

/** Expected rows in the same form as {@link rowsOf}. */
export const expectRows = (...rows: unknown[][]): string[] => rows.map((r) => JSON.stringify(r)).sort();

/** Seconds since the epoch as a Datetime("ms") series (Spark's `timestamp_seconds`). */
export const seconds = (name: string, values: number[]): pl.Series => pl.Series(name, values.map((v) => new Date(v * 1000)), pl.Datetime("ms"));
