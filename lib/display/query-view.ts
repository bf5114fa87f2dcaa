/**
 * `display(query)`: a streaming query's live view, like Databricks' `display()` of a streaming
 * DataFrame. Per micro-batch it shows the current result (update/complete: the current table;
 * append: the newest rows), the progress (batch, input rows, watermark, late rows, state rows,
 * latency) and optionally a chart, in one place updated in place. It stops updating when the query
 * ends, and a kernel interrupt (■) stops the query cleanly.
 */
import pl from "nodejs-polars";
import { OptionError } from "../errors";
import { positiveInt } from "../options";
import { stopOnInterrupt } from "../notebooks/stop";
import { StreamingQuery } from "../stream/query";
import type { BatchOutput, OutputMode, ProgressRecord } from "../stream/types";
import { LiveView, type LiveViewOptions } from "./live-view";
import { show, type ShowOptions } from "./rich";

/** Options of {@link displayQuery}. */
export interface QueryViewOptions extends LiveViewOptions {
  /** Append mode: how many of the newest rows are kept for the table and the chart; default 1,000. */
  keep?: number;
  /** Stop the query when the kernel is interrupted (■, or I,I); default true. */
  stopOnInterrupt?: boolean;
}

/** What {@link displayQuery} returns: the view, and the rows it shows. */
export interface QueryView {
  readonly view: LiveView;
  /** The rows the view shows now (the current table, or the newest rows in append mode). */
  table(): pl.DataFrame;
  /** Stops updating (the query keeps running); the view keeps its last state. */
  detach(): void;
  /** Resolves once the query ended and the view drew its final state. */
  readonly done: Promise<void>;
}

/**
 * The rows a live view shows after a batch. Update mode replaces rows with the same `keys` (all
 * rows are new when the query has none); complete mode shows the last batch; append mode keeps the
 * newest `keep` rows. `batch_id` is kept.
 *
 * @example
 * currentRows(undefined, { batchId: 0, mode: "update", frame }, ["ride_id", "window_start", "window_end"], 1000);
 */
export function currentRows(previous: pl.DataFrame | undefined, output: BatchOutput, keys: string[] | undefined, keep: number): pl.DataFrame {
  const frame = output.frame;
  if (output.mode === "complete" || previous === undefined || previous.width === 0) return output.mode === "append" ? frame.tail(keep) : frame;
  if (frame.height === 0) return previous;
  const both = pl.concat([previous, frame], { how: "diagonalRelaxed" });
  if (output.mode === "update" && keys !== undefined && keys.length > 0) {
    return both.unique({ subset: keys, keep: "last", maintainOrder: true }).sort(keys);
  }
  return both.tail(keep);
}

function inputText(record: ProgressRecord): string {
  const parts = Object.entries(record.numInputRows);
  const total = parts.reduce((n, [, v]) => n + v, 0);
  return parts.length <= 1 ? total.toLocaleString("en-US") : `${total.toLocaleString("en-US")} (${parts.map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`).join(", ")})`;
}

/** The progress figures a query view shows for one record, plus running totals. */
export function queryProgressFigures(record: ProgressRecord, totals: { inputRows: number; late: number }): Record<string, string | number> {
  return {
    batch: record.batchId,
    "input rows": inputText(record),
    "total input": totals.inputRows,
    watermark: record.watermark ?? "none",
    "late rows": `${record.rowsDroppedByWatermark} (total ${totals.late.toLocaleString("en-US")})`,
    "state rows": record.stateRows,
    latency: `${Math.round(record.durationMs.total)} ms`,
  };
}

const modeText: Record<OutputMode, string> = { update: "update mode: the current table", complete: "complete mode: the current table", append: "append mode: the newest rows" };

/**
 * Shows a running streaming query live in the current cell: the current result rows, its progress
 * and, with `chart`, a plotly chart of those rows, all updated in place per micro-batch. The view
 * stops updating when the query ends (its last state stays, also in nbconvert's HTML export).
 * Interrupting the kernel stops the query cleanly, as `stopOnInterrupt()` does.
 *
 * @throws OptionError (BAD_OPTION) for something else than a query, or a bad option
 * @example
 * const query = windowedQuery({ input: "results/stream/input" });
 * displayQuery(query, { chart: { x: "window_start", y: "mean_speed", color: "ride_id" } });
 */
export function displayQuery(query: StreamingQuery, options: QueryViewOptions = {}): QueryView {
  if (!(query instanceof StreamingQuery)) throw new OptionError("query", typeof query, "a StreamingQuery, e.g. readStream(source)….writeStream(options).start()");
  const keep = positiveInt("keep", options.keep, 1000, 1);
  // Rejects at once for a query that was not started: the view then says so.
  const finished = query.awaitTermination();
  const view = new LiveView({ ...options, title: options.title ?? query.name });
  const keys = query.outputKeys;
  let rows: pl.DataFrame | undefined;
  const totals = { inputRows: 0, late: 0, batches: 0 };
  view.update({ status: `running · ${modeText[query.outputMode]}` });
  const interrupt = options.stopOnInterrupt === false ? undefined : stopOnInterrupt();
  interrupt?.signal.addEventListener("abort", () => { void query.stop(); }, { once: true });
  const off = query.onBatch((output, record) => {
    rows = currentRows(rows, output, keys, keep);
    totals.batches++;
    totals.inputRows += Object.values(record.numInputRows).reduce((n, v) => n + v, 0);
    totals.late += record.rowsDroppedByWatermark;
    view.update({ table: rows, progress: queryProgressFigures(record, totals) });
  });
  const end = (status: string): void => {
    off();
    interrupt?.dispose();
    view.finish({ status, table: rows ?? pl.DataFrame({}) });
  };
  const batches = () => `${totals.batches} batch${totals.batches === 1 ? "" : "es"}`;
  const done = finished.then(
    () => end(`${interrupt?.signal.aborted ? "stopped (interrupted)" : "ended"} after ${batches()}`),
    (e: unknown) => end(`failed after ${batches()}: ${e instanceof Error ? e.message : String(e)}`),
  );
  return {
    view,
    table: () => rows ?? pl.DataFrame({}),
    detach() {
      off();
      interrupt?.dispose();
    },
    done,
  };
}

/**
 * Displays anything in the current cell: a running streaming query as a live view
 * ({@link displayQuery}), a DataFrame or Series as an HTML table, other values as their rich or
 * text form ({@link show}).
 *
 * @example
 * display(query, { chart: { x: "window_start", y: "mean_speed", color: "ride_id" } });
 * display(pl.DataFrame({ a: [1, 2] }));
 */
export function display(value: StreamingQuery, options?: QueryViewOptions): QueryView;
export function display(value: unknown, options?: ShowOptions): void;
export function display(value: unknown, options: QueryViewOptions & ShowOptions = {}): QueryView | void {
  if (value instanceof StreamingQuery) return displayQuery(value, options);
  show(value, options);
}
