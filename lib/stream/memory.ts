import pl from "nodejs-polars";
import { OptionError, QueryError } from "../errors";
import type { Skipped } from "../dataset/types";
import type { BatchOutput, SourceChunk, StreamSink, StreamSource } from "./types";

/**
 * An in-memory source for tests and notebooks: `push` frames (optionally with a partition time),
 * `end()` when no more will come. Each pushed frame is delivered by exactly one `poll`.
 *
 * @example
 * const src = new MemoryStreamSource("locations");
 * src.push(frame, 0.0); src.push(laterFrame, 3.0); src.end();
 */
export class MemoryStreamSource implements StreamSource {
  private queue: SourceChunk[] = [];
  private ended = false;
  private closed = false;
  private readonly perPoll: number;

  /**
   * @param chunks rows available from the start
   * @param options.perPoll at most this many pushed chunks per poll (default 1: each push is its
   *   own micro-batch, as each `addData` of Spark's MemoryStream in its tests)
   */
  constructor(readonly name: string, chunks: SourceChunk[] = [], options: { perPoll?: number } = {}) {
    if (typeof name !== "string" || name === "") throw new OptionError("name", name, 'expected the input\'s name, e.g. "locations"');
    this.perPoll = options.perPoll ?? 1;
    if (!(this.perPoll >= 1)) throw new OptionError("perPoll", options.perPoll, "expected a number >= 1");
    this.queue.push(...chunks);
  }

  /** Queues rows for the next poll. */
  push(frame: pl.DataFrame, partitionTime?: number): this {
    if (this.ended) throw new QueryError(`memory source "${this.name}" was ended; create a new one to push more rows.`);
    this.queue.push(partitionTime === undefined ? { frame } : { frame, partitionTime });
    return this;
  }

  /** Marks the input as bounded: once drained, the source is exhausted. */
  end(): this {
    this.ended = true;
    return this;
  }

  /** Hands over up to `perPoll` queued chunks, oldest partition time first (push order otherwise), as the file source does. */
  async poll(): Promise<SourceChunk[]> {
    if (this.queue.some((c) => c.partitionTime !== undefined)) {
      this.queue.sort((a, b) => (a.partitionTime ?? -Infinity) - (b.partitionTime ?? -Infinity)); // stable
    }
    return this.queue.splice(0, Math.min(this.queue.length, this.perPoll));
  }

  exhausted(): boolean {
    return this.ended && this.queue.length === 0;
  }

  skipped(): Skipped[] {
    return [];
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * An in-memory sink: keeps every BatchOutput. `table()` concatenates all emitted rows;
 * `latest(keys)` keeps, per key, the row with the highest `batch_id` (update mode's current value).
 *
 * @example
 * const sink = new MemoryStreamSink();
 * await readStream(src).writeStream({ sinks: [sink], trigger: "once" }).start().awaitTermination();
 * sink.table();
 */
export class MemoryStreamSink implements StreamSink {
  readonly outputs: BatchOutput[] = [];
  private opened = false;
  private closed = false;

  constructor(readonly name = "memory") {}

  async open(): Promise<void> {
    this.opened = true;
  }

  async write(output: BatchOutput): Promise<void> {
    if (!this.opened) throw new QueryError(`memory sink "${this.name}" was written before open()`);
    this.outputs.push(output);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  get isOpen(): boolean {
    return this.opened && !this.closed;
  }

  /** Every emitted row, in batch order (an empty frame when nothing was emitted). */
  table(): pl.DataFrame {
    const frames = this.outputs.map((o) => o.frame).filter((f) => f.height > 0);
    if (frames.length === 0) return pl.DataFrame({});
    return frames.length === 1 ? frames[0] : pl.concat(frames, { how: "diagonalRelaxed" });
  }

  /** The rows of the last batch (complete mode's current table). */
  last(): pl.DataFrame {
    return this.outputs.length === 0 ? pl.DataFrame({}) : this.outputs[this.outputs.length - 1].frame;
  }

  /** Per key, the row with the highest `batch_id` (update mode's latest value). */
  latest(keys: string[]): pl.DataFrame {
    const t = this.table();
    if (t.height === 0) return t;
    return t.sort("batch_id", true).unique({ subset: keys, keep: "first", maintainOrder: true }).sort(keys);
  }
}
