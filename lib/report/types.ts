/**
 * Plotly figure specs as plain JSON: what the figure builders return, what `showFigure` displays
 * and what the HTML report embeds. Only the fields streamlab sets are typed; plotly accepts more.
 */

/** A value on a plotly axis: numbers, or dates as `"YYYY-MM-DD HH:MM:SS.sss"` strings (UTC). */
export type PlotlyValue = number | string | null;

/** One trace (a ride in the course charts; a group of rows in {@link columnFigure}). */
export interface PlotlyTrace {
  type: "scatter" | "bar";
  /** Scatter traces only. */
  mode?: "lines" | "markers" | "lines+markers";
  name: string;
  x: PlotlyValue[];
  y: PlotlyValue[];
  /** Subplot axes of the trace (`x2`, `y2`, …); the first subplot when absent. */
  xaxis?: string;
  yaxis?: string;
  legendgroup?: string;
  /** Per-point values the hover template reads (`%{customdata[0]}`). */
  customdata?: PlotlyValue[][];
  hovertemplate?: string;
  marker?: Record<string, unknown>;
  line?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A plotly figure: `Plotly.newPlot(div, fig.data, fig.layout, fig.config)`. */
export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout: Record<string, unknown>;
  config?: Record<string, unknown>;
}
