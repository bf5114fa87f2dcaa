/**
 * A figure as an HTML fragment that draws itself with plotly.js: the text/html half of a notebook
 * display and the body of the HTML report. plotly.js is inlined (never a CDN), so the result opens
 * offline.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { ToolError } from "../errors";
import type { PlotlyFigure } from "./types";

let plotlySource: string | undefined;

/** Path of the plotly.js bundle (the `plotly.js-dist` dependency). */
export function plotlyJsPath(): string {
  try {
    return require.resolve("plotly.js-dist/plotly.js");
  } catch (e) {
    throw new ToolError("plotly.js-dist", "the package is not installed; run npm ci in the project folder.", e);
  }
}

/** The plotly.js source (~11 MB), read once per process. */
export function plotlyJsSource(): string {
  plotlySource ??= readFileSync(plotlyJsPath(), "utf8");
  return plotlySource;
}

/** A `<script>` element with `js` inside; `</script` in the code would end the element early. */
export function scriptTag(js: string): string {
  return `<script type="text/javascript">${js.replace(/<\/(script)/gi, "<\\/$1")}</script>`;
}

/** JSON safe to place inside a `<script>` element (no `<`, no line separators that end JS strings). */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Options of {@link figureHtml}. */
export interface FigureHtmlOptions {
  /** Inline plotly.js before the chart (once per page is enough: later charts reuse `window.Plotly`). Default false. */
  includePlotlyJs?: boolean;
  /** The element id of the chart; default a random `streamlab-fig-<hex>`. */
  id?: string;
  /**
   * When plotly.js is not loaded yet, draw once the page has loaded instead of giving up: for a
   * chart whose plotly.js comes later on the page (a live chart drawn before a later cell inlined it).
   */
  waitForLoad?: boolean;
}

/**
 * The figure as HTML: a `<div class="streamlab-figure">` and a script that calls `Plotly.newPlot`
 * on it, with plotly.js inlined before it when `includePlotlyJs` is set. When plotly.js is not on
 * the page, the div says so instead of staying blank.
 *
 * @example
 * const html = figureHtml(speedFigure(windowed), { includePlotlyJs: true });
 * fs.writeFileSync("chart.html", `<!doctype html><meta charset="utf-8"><body>${html}</body>`);
 */
export function figureHtml(fig: PlotlyFigure, options: FigureHtmlOptions = {}): string {
  const id = options.id ?? `streamlab-fig-${randomBytes(6).toString("hex")}`;
  const height = typeof fig.layout.height === "number" ? fig.layout.height : 480;
  const draw = [
    "(function () {",
    `  var el = document.getElementById(${jsonForScript(id)});`,
    "  var draw = function () {",
    "    if (!window.Plotly) { el.textContent = 'plotly.js is not loaded on this page: run the notebook from its first chart cell (it inlines plotly.js), or open results/report.html.'; return; }",
    `    window.Plotly.newPlot(el, ${jsonForScript(fig.data)}, ${jsonForScript(fig.layout)}, ${jsonForScript(fig.config ?? {})});`,
    "  };",
    options.waitForLoad === true ? "  if (window.Plotly || document.readyState === 'complete') draw(); else window.addEventListener('load', draw);" : "  draw();",
    "})();",
  ].join("\n");
  const lib = options.includePlotlyJs === true ? scriptTag(plotlyJsSource()) : "";
  return `${lib}<div id="${id}" class="streamlab-figure" style="width:100%;height:${height}px;"></div>${scriptTag(draw)}`;
}
