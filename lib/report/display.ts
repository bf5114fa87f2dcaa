/**
 * Showing a plotly figure in a tslab notebook. One display output carries two MIME types:
 * `application/vnd.plotly.v1+json`, which JupyterLab draws with the plotly lab extension, and a
 * `text/html` fallback that draws with plotly.js itself, which is what nbconvert's HTML export (and
 * a JupyterLab without the extension) shows. plotly.js is inlined into the first figure of a kernel
 * session only: later figures of the same page reuse `window.Plotly`. No CDN: it works offline.
 */
import { kernelWriter, type DisplayBundle } from "../display/channel";
import { OptionError } from "../errors";
import { figureHtml } from "./html";
import type { PlotlyFigure } from "./types";

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

export type { DisplayBundle } from "../display/channel";

/** Options of {@link showFigure}. */
export interface ShowFigureOptions {
  /**
   * When to inline plotly.js into the HTML fallback: `"once"` per kernel session (default),
   * `"always"` (e.g. after clearing the output of the first chart), `"never"`.
   */
  plotlyJs?: "once" | "always" | "never";
  /** Where the bundle goes; default tslab's display channel. Tests pass a function that collects it. */
  write?: (bundle: DisplayBundle) => void;
}

let plotlyJsShown = false;
/** A live chart sent plotly.js to the frontend's page (JupyterLab keeps it as window.Plotly). */
let plotlyJsOnPage = false;

/** One line describing the figure, the text/plain part of the display. */
export function describeFigure(fig: PlotlyFigure): string {
  const title = (fig.layout.title as { text?: string } | undefined)?.text ?? "plotly figure";
  const names = fig.data.map((t) => t.name);
  const shown = names.slice(0, 5).join(", ") + (names.length > 5 ? ", …" : "");
  return `${title}: ${fig.data.length} trace${fig.data.length === 1 ? "" : "s"}${names.length > 0 ? ` (${shown})` : ""}`;
}

/**
 * The display bundle of a figure: plotly's MIME type, the HTML fallback and a text line.
 *
 * @example
 * figureBundle(fig, { includePlotlyJs: false }).data["text/plain"]; // "Mean speed per ride…: 35 traces (…)"
 */
export function figureBundle(fig: PlotlyFigure, options: { includePlotlyJs: boolean; id?: string; waitForLoad?: boolean }): DisplayBundle {
  if (fig === null || typeof fig !== "object" || !Array.isArray(fig.data) || fig.layout === null || typeof fig.layout !== "object") {
    throw new OptionError("fig", typeof fig, "a plotly figure { data: [...], layout: {...} }, e.g. speedFigure(windowed)");
  }
  return {
    data: {
      [PLOTLY_MIME]: { data: fig.data, layout: fig.layout, config: fig.config ?? {} },
      "text/html": figureHtml(fig, { includePlotlyJs: options.includePlotlyJs, id: options.id, waitForLoad: options.waitForLoad }),
      "text/plain": describeFigure(fig),
    },
    metadata: {},
  };
}

/**
 * Displays a plotly figure in the current notebook cell, so that it draws in JupyterLab (plotly
 * extension), in nbconvert's HTML export and offline. The first call of a kernel session inlines
 * plotly.js (~11 MB, once); restart the kernel or pass `plotlyJs: "always"` to inline it again.
 *
 * @throws ToolError (TOOL_MISSING) outside a tslab notebook cell
 * @example
 * import { readParquetOutput, speedFigure, showFigure } from "streamlab";
 * showFigure(speedFigure(readParquetOutput("results/stream/output/windowed")));
 * // (the chart) — as text: "Mean speed per ride and event-time window: 35 traces (0a1b2c3d, …)"
 */
export function showFigure(fig: PlotlyFigure, options: ShowFigureOptions = {}): void {
  const mode = options.plotlyJs ?? "once";
  if (!["once", "always", "never"].includes(mode)) throw new OptionError("plotlyJs", mode, 'one of "once", "always", "never"');
  if (options.write !== undefined && typeof options.write !== "function") throw new OptionError("write", typeof options.write, "a function receiving the display bundle");
  const write = options.write ?? kernelWriter("showFigure");
  const includePlotlyJs = mode === "always" || (mode === "once" && !plotlyJsShown);
  write(figureBundle(fig, { includePlotlyJs }));
  if (includePlotlyJs) plotlyJsShown = true;
}

/**
 * True when no figure of this kernel session has inlined plotly.js yet; marks it inlined, so the
 * caller must inline it now (a live chart's last drawing does).
 */
export function claimPlotlyJs(): boolean {
  if (plotlyJsShown) return false;
  plotlyJsShown = true;
  return true;
}

/**
 * True the first time in a kernel session: the caller (a live chart, drawn by the frontend's HTML
 * renderer while it updates) must inline plotly.js so the page gets `window.Plotly`.
 */
export function claimPlotlyJsOnPage(): boolean {
  if (plotlyJsOnPage) return false;
  plotlyJsOnPage = true;
  return true;
}

/** Forgets that plotly.js was inlined, so the next {@link showFigure} inlines it again (tests, new pages). */
export function resetPlotlyJs(): void {
  plotlyJsShown = false;
  plotlyJsOnPage = false;
}
