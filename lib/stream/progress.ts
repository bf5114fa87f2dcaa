import type { ProgressRecord } from "./types";

/** Keeps a query's progress records (Spark's `lastProgress` / `recentProgress`) and notifies a listener. */
export class ProgressLog {
  private readonly records: ProgressRecord[] = [];

  constructor(private readonly history: number, private readonly listener?: (p: ProgressRecord) => void) {}

  /** Stores a record and calls the listener; a throwing listener must not kill the query, so it is caught. */
  add(record: ProgressRecord): void {
    this.records.push(record);
    if (this.records.length > this.history) this.records.shift();
    if (this.listener) {
      try { this.listener(record); } catch { /* a notebook callback's bug must not stop the stream */ }
    }
  }

  get last(): ProgressRecord | null {
    return this.records.length === 0 ? null : this.records[this.records.length - 1];
  }

  get recent(): ProgressRecord[] {
    return [...this.records];
  }
}

/**
 * A one-line summary of a progress record, for the CLI and notebooks.
 *
 * @example
 * formatQueryProgress(query.lastProgress!)
 * // "batch 3: in locations=12 accelerations=480, out 37, late dropped 0, watermark 2020-01-01T00:00:12.000Z, state 210, 41 ms"
 */
export function formatQueryProgress(p: ProgressRecord): string {
  const inputs = Object.entries(p.numInputRows).map(([k, v]) => `${k}=${v}`).join(" ") || "-";
  const skipped = Object.values(p.numSkipped ?? {}).reduce((n, v) => n + v, 0);
  return `batch ${p.batchId}: in ${inputs}, out ${p.numOutputRows}, late dropped ${p.rowsDroppedByWatermark}${skipped > 0 ? `, skipped ${skipped}` : ""}, watermark ${p.watermark ?? "none"}, state ${p.stateRows}, ${Math.round(p.durationMs.total)} ms`;
}

/** Totals over progress records, for a query's final summary. */
export function summarizeQueryProgress(records: ProgressRecord[]): { batches: number; inputRows: Record<string, number>; outputRows: number; rowsDroppedByWatermark: number } {
  const inputRows: Record<string, number> = {};
  let outputRows = 0, dropped = 0;
  for (const r of records) {
    for (const [k, v] of Object.entries(r.numInputRows)) inputRows[k] = (inputRows[k] ?? 0) + v;
    outputRows += r.numOutputRows;
    dropped += r.rowsDroppedByWatermark;
  }
  return { batches: records.length, inputRows, outputRows, rowsDroppedByWatermark: dropped };
}
