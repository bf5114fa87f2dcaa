import type { ReleaseBatch, ReplaySink } from "../replay/types";

/**
 * Keeps every released batch in memory: for tests and for small notebook experiments.
 *
 * @example
 * const sink = new MemorySink();
 * await replay({ sinks: sink, speed: "max", maxEvents: 3 });
 * sink.batches.map((b) => `${b.table} ${b.partition}`); // ["locations t=000.0", ...]
 */
export class MemorySink implements ReplaySink {
  readonly batches: ReleaseBatch[] = [];
  opened = 0;
  closed = 0;

  /** @param name the name the summary reports it under (distinct per sink). */
  constructor(readonly name = "memory") {}

  async open(): Promise<void> {
    this.opened++;
  }

  async write(batch: ReleaseBatch): Promise<void> {
    this.batches.push(batch);
  }

  async close(): Promise<void> {
    this.closed++;
  }

  stats(): Record<string, number> {
    return { batches: this.batches.length, rows: this.batches.reduce((n, b) => n + b.rows, 0) };
  }
}
