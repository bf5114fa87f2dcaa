/**
 * A live view: one place in a notebook cell that is drawn again in place as data arrives. It holds
 * two outputs updated by display id: a panel (title, status, progress figures, the current rows as
 * a table) and, with a `chart` option, a plotly chart of those rows. Redraws are throttled; the last
 * state is always drawn (a timer catches up when updates stop), and `finish()` draws it for good.
 *
 * While it updates, the chart is HTML only: JupyterLab's plotly extension draws a figure once and
 * ignores later updates of the same output, its HTML renderer draws each update (the first one
 * brings plotly.js to the page). The last drawing adds plotly's MIME type, so a saved notebook shows
 * it in JupyterLab even untrusted, and its HTML (plotly.js inlined once per session) is what
 * nbconvert's export shows.
 */
import pl from "nodejs-polars";
import { OptionError } from "../errors";
import { positiveInt } from "../options";
import { columnFigure, resolveColumnChart, type ColumnChart } from "../report/column-chart";
import { claimPlotlyJs, claimPlotlyJsOnPage, describeFigure, figureBundle } from "../report/display";
import { figureHtml } from "../report/html";
import { LiveOutput, type DisplayWriter } from "./channel";
import { escapeHtml, frameHtml } from "./frame-html";
import { Throttle } from "./throttle";

/** Options of {@link liveView} (and of `display(query, options)`). */
export interface LiveViewOptions {
  /** Heading of the view; default none (`display(query)`: the query's name). */
  title?: string;
  /** Rows of the table shown (head and tail around `…` beyond that); default 10. */
  rows?: number;
  /** A chart of the current rows, redrawn with them: `{ x, y, color?, type?: "line" | "bar" | "scatter" }`. */
  chart?: ColumnChart;
  /** Minimum wall milliseconds between two redraws; default 500 (0: every update). */
  everyMs?: number;
  /** Where the outputs go; default tslab's display channel of the current cell. */
  write?: DisplayWriter;
  /** Time source in ms (default Date.now); tests pass a fake. */
  now?: () => number;
}

/** What a view shows; each update replaces the fields it gives. */
export interface LiveState {
  /** The current result rows. */
  table?: pl.DataFrame;
  /** One line: what is going on (`running`, `stopped after 23 batches`, an error). */
  status?: string;
  /** Figures shown as `label value` pairs above the table, e.g. `{ batch: 12, "input rows": 480 }`. */
  progress?: Record<string, string | number>;
}

export const LIVE_VIEW_DEFAULTS = { rows: 10, everyMs: 500 } as const;

/** A notebook output updated in place; see {@link liveView}. */
export class LiveView {
  private readonly panel: LiveOutput;
  /** The chart's spec (validated) and the output it is drawn in, with a `chart` option. */
  private readonly chart: { spec: ColumnChart; out: LiveOutput } | undefined;
  private readonly title: string | undefined;
  private readonly rows: number;
  private readonly throttle: Throttle;
  private state: Required<Pick<LiveState, "status" | "progress">> & Pick<LiveState, "table"> = { status: "waiting for data", progress: {} };
  private finished = false;
  private draws = 0;

  constructor(options: LiveViewOptions = {}) {
    if (options === null || typeof options !== "object") throw new OptionError("options", options, "an object such as { rows: 10, chart: { x, y } }");
    if (options.title !== undefined && typeof options.title !== "string") throw new OptionError("title", options.title, "a string");
    if (options.write !== undefined && typeof options.write !== "function") throw new OptionError("write", typeof options.write, "a function receiving the display bundle");
    this.rows = positiveInt("rows", options.rows, LIVE_VIEW_DEFAULTS.rows, 2);
    const everyMs = positiveInt("everyMs", options.everyMs, LIVE_VIEW_DEFAULTS.everyMs, 0);
    this.throttle = new Throttle(everyMs, options.now ?? Date.now, () => this.draw(false));
    const spec = options.chart === undefined ? undefined : resolveColumnChart(options.chart);
    this.title = options.title;
    this.panel = new LiveOutput(options.write);
    this.chart = spec === undefined ? undefined : { spec, out: new LiveOutput(options.write) };
    this.throttle.fire();
  }

  /** Times the view was drawn (the first display included). */
  get drawCount(): number {
    return this.draws;
  }

  /** True once {@link finish} was called: later updates are ignored. */
  get isFinished(): boolean {
    return this.finished;
  }

  /** Replaces what the view shows (the fields given); redraws now, or within `everyMs`. */
  update(state: LiveState): void {
    if (this.finished) return;
    this.merge(state);
    this.throttle.request();
  }

  /** Draws the final state and stops updating; the chart's HTML then carries plotly.js if no chart of this kernel session did yet. */
  finish(state: LiveState = {}): void {
    if (this.finished) return;
    this.merge(state);
    this.finished = true;
    this.throttle.stop();
    this.draw(true);
  }

  private merge(state: LiveState): void {
    if (state === null || typeof state !== "object") throw new OptionError("state", state, "an object such as { table, status, progress }");
    if (state.table !== undefined) this.state.table = state.table;
    if (state.status !== undefined) this.state.status = state.status;
    if (state.progress !== undefined) this.state.progress = state.progress;
  }

  private draw(final: boolean): void {
    this.draws++;
    const { table, status, progress } = this.state;
    const figures = Object.entries(progress);
    const head = [
      this.title === undefined ? "" : `<strong>${escapeHtml(this.title)}</strong> `,
      `<span class="streamlab-live-status">${escapeHtml(status)}</span>`,
    ].join("");
    const stats = figures.length === 0 ? "" : `<div class="streamlab-live-progress">${figures.map(([k, v]) => `<span style="margin-right:1.2em">${escapeHtml(k)} <b>${escapeHtml(format(v))}</b></span>`).join(" ")}</div>`;
    const rows = table === undefined ? "" : frameHtml(table, { maxRows: this.rows });
    const text = [
      `${this.title === undefined ? "" : `${this.title}: `}${status}`,
      ...(figures.length === 0 ? [] : [figures.map(([k, v]) => `${k} ${format(v)}`).join("  ")]),
      ...(table === undefined ? [] : [table.toString()]),
    ].join("\n");
    this.panel.draw({ data: { "text/html": `<div class="streamlab-live">${head}${stats}${rows}</div>`, "text/plain": text }, metadata: {} });
    if (this.chart !== undefined) {
      const fig = columnFigure(table ?? EMPTY, this.chart.spec);
      const id = `${this.chart.out.id}-chart`;
      this.chart.out.draw(final
        ? figureBundle(fig, { includePlotlyJs: claimPlotlyJs(), id, waitForLoad: true })
        : { data: { "text/html": figureHtml(fig, { includePlotlyJs: claimPlotlyJsOnPage(), id, waitForLoad: true }), "text/plain": describeFigure(fig) }, metadata: {} });
    }
  }
}

const EMPTY = pl.DataFrame({});
const format = (v: string | number): string => (typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: 1 }) : v);

/**
 * A live view in the current cell: call `update({ table, status, progress })` as data arrives and
 * `finish()` at the end. `display(query)` builds one for a streaming query; use this one for
 * anything else that produces rows over time.
 *
 * @example
 * const view = liveView({ title: "Sales per 5 time units", chart: { x: "window_start", y: "total", type: "bar" } });
 * view.update({ table: pl.DataFrame(windows), progress: { "sales read": 120 } });
 * view.finish({ status: "done" });
 */
export function liveView(options: LiveViewOptions = {}): LiveView {
  return new LiveView(options);
}
