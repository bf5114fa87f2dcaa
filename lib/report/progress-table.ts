/**
 * The queries' progress records as a table that a notebook redraws in place while they run.
 */
import pl from "nodejs-polars";
import { OptionError } from "../errors";
import type { TextDisplay } from "../notebooks/types";
import type { ProgressRecord } from "../stream/types";

/** A progress record and the query that made it. */
export interface QueryProgressEntry {
  query: string;
  record: ProgressRecord;
}

/** Options of {@link queryProgressView}. */
export interface QueryProgressViewOptions {
  /** Rows the live table shows (the most recent); default 8. */
  rows?: number;
  /** Minimum wall milliseconds between redraws; default 500 (0 redraws on every batch). */
  everyMs?: number;
  /** Records kept for {@link QueryProgressView.frame}; default 1000. */
  keep?: number;
  /** Time source in ms (default Date.now); tests pass a fake. */
  now?: () => number;
}

/** The `onProgress` to hand to the queries, with the records it saw. */
export interface QueryProgressView {
  (record: ProgressRecord, query: string): void;
  /** The records seen (up to `keep`), oldest first. */
  entries(): QueryProgressEntry[];
  /** The last `n` records as a table (default: all kept). */
  frame(n?: number): pl.DataFrame;
  /** Redraws the table if a redraw was skipped. */
  flush(): void;
}

/**
 * One row per progress record: query, batch, input rows per source, output rows, rows dropped by
 * the watermark, watermark, state rows, batch duration.
 *
 * @example
 * progressFrame([{ query: "windowed", record: q.lastProgress! }]);
 * // query │ batch │ input │ output │ dropped │ watermark │ state │ ms
 */
export function progressFrame(entries: readonly QueryProgressEntry[]): pl.DataFrame {
  return pl.DataFrame({
    query: pl.Series("query", entries.map((e) => e.query), pl.Utf8),
    batch: pl.Series("batch", entries.map((e) => e.record.batchId), pl.Int64),
    input: pl.Series("input", entries.map((e) => Object.entries(e.record.numInputRows).map(([k, v]) => `${k}=${v}`).join(" ")), pl.Utf8),
    output: pl.Series("output", entries.map((e) => e.record.numOutputRows), pl.Int64),
    dropped: pl.Series("dropped", entries.map((e) => e.record.rowsDroppedByWatermark), pl.Int64),
    watermark: pl.Series("watermark", entries.map((e) => e.record.watermark ?? ""), pl.Utf8),
    state: pl.Series("state", entries.map((e) => e.record.stateRows), pl.Int64),
    ms: pl.Series("ms", entries.map((e) => Math.round(e.record.durationMs.total)), pl.Int64),
  });
}

/**
 * The records as an aligned text table (the live view; polars' own printing wraps long cells).
 *
 * @example
 * console.log(formatProgressTable(view.entries().slice(-5)));
 * // query      batch  input                          output  dropped  watermark                 state    ms
 * // windowed      21  locations=4                         4        0  2020-01-01T00:01:30.043Z     20   385
 */
export function formatProgressTable(entries: readonly QueryProgressEntry[]): string {
  const header = ["query", "batch", "input", "output", "dropped", "watermark", "state", "ms"];
  const rows = entries.map((e) => [
    e.query,
    String(e.record.batchId),
    Object.entries(e.record.numInputRows).map(([k, v]) => `${k}=${v}`).join(" "),
    String(e.record.numOutputRows),
    String(e.record.rowsDroppedByWatermark),
    e.record.watermark ?? "-",
    String(e.record.stateRows),
    String(Math.round(e.record.durationMs.total)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const left = new Set([0, 2, 5]);
  const line = (r: string[]) => r.map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/**
 * An `onProgress` for the course queries that keeps their progress records and shows the most
 * recent ones as a table in one notebook output, redrawn in place (`tslab.newDisplay()`).
 *
 * @example
 * const view = queryProgressView(tslab.newDisplay());
 * const queries = startCourseQueries({ until: running, onProgress: view });
 * await queries.awaitTermination();
 * view.flush();
 * view.frame(10); // the last ten progress records as a polars table
 */
export function queryProgressView(display: TextDisplay, options: QueryProgressViewOptions = {}): QueryProgressView {
  if (typeof display?.text !== "function") throw new OptionError("display", typeof display, "an object with text(s), e.g. tslab.newDisplay()");
  const rows = options.rows ?? 8;
  const everyMs = options.everyMs ?? 500;
  const keep = options.keep ?? 1000;
  for (const [name, v, min] of [["rows", rows, 1], ["everyMs", everyMs, 0], ["keep", keep, 1]] as const) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < min) throw new OptionError(name, v, `a number of ${min} or more`);
  }
  const now = options.now ?? Date.now;
  const seen: QueryProgressEntry[] = [];
  let drawnAt = -Infinity;
  let dirty = false;
  const draw = (): void => {
    display.text(formatProgressTable(seen.slice(-rows)));
    drawnAt = now();
    dirty = false;
  };
  const view = ((record: ProgressRecord, query: string) => {
    seen.push({ query, record });
    if (seen.length > keep) seen.splice(0, seen.length - keep);
    dirty = true;
    if (now() - drawnAt >= everyMs) draw();
  }) as QueryProgressView;
  view.entries = () => [...seen];
  view.frame = (n?: number) => progressFrame(n === undefined ? seen : seen.slice(-n));
  view.flush = () => { if (dirty) draw(); };
  return view;
}
