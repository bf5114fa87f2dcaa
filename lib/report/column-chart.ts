/**
 * A chart of any frame by column names: x, y and an optional column whose values split the rows
 * into traces (one line or bar group per value). What a live query view draws.
 */
import type pl from "nodejs-polars";
import { OptionError } from "../errors";
import { baseLayout, plotlyDate, plotlyNumber, PLOTLY_CONFIG, requireColumns, rowsByKey, values } from "./frames";
import { FIGURE_DEFAULTS } from "./options";
import type { PlotlyFigure, PlotlyTrace, PlotlyValue } from "./types";

/** Which columns a {@link columnFigure} draws, and how. */
export interface ColumnChart {
  /** Column on the x axis (numbers, dates or text). */
  x: string;
  /** Column on the y axis (numbers). */
  y: string;
  /** Column whose values split the rows into traces, one per value (e.g. `ride_id`); default one trace. */
  color?: string;
  /** `line` (lines and markers, rows sorted by x), `bar` or `scatter` (markers); default `line`. */
  type?: "line" | "bar" | "scatter";
  /** Chart title; default `<y> by <x>`. */
  title?: string;
  /** Height in pixels; default 480. */
  height?: number;
  /** Characters of a trace name shown in the legend (longer ones are cut); default 12. */
  labelLength?: number;
}

const TYPES = ["line", "bar", "scatter"] as const;

/** Validates a chart spec; throws OptionError naming the field (`chart.x`, …). */
export function resolveColumnChart(chart: ColumnChart, option = "chart"): Required<Omit<ColumnChart, "color">> & { color?: string } {
  if (chart === null || typeof chart !== "object") throw new OptionError(option, chart, 'an object such as { x: "window_start", y: "mean_speed", color: "ride_id" }');
  for (const k of ["x", "y"] as const) if (typeof chart[k] !== "string" || chart[k] === "") throw new OptionError(`${option}.${k}`, chart[k], "a column name");
  if (chart.color !== undefined && (typeof chart.color !== "string" || chart.color === "")) throw new OptionError(`${option}.color`, chart.color, "a column name, or nothing for one trace");
  const type = chart.type ?? "line";
  if (!TYPES.includes(type)) throw new OptionError(`${option}.type`, type, `one of ${TYPES.join(", ")}`);
  const height = chart.height ?? FIGURE_DEFAULTS.height;
  if (typeof height !== "number" || !Number.isFinite(height) || height < 100) throw new OptionError(`${option}.height`, height, "a number of pixels of 100 or more");
  const labelLength = chart.labelLength ?? 12;
  if (!Number.isInteger(labelLength) || labelLength < 1) throw new OptionError(`${option}.labelLength`, labelLength, "a whole number of 1 or more");
  const title = chart.title ?? `${chart.y} by ${chart.x}`;
  if (typeof title !== "string") throw new OptionError(`${option}.title`, title, "a string");
  return { x: chart.x, y: chart.y, color: chart.color, type, height, labelLength, title };
}

const axisValue = (v: unknown): PlotlyValue => (v instanceof Date ? plotlyDate(v) : typeof v === "number" ? plotlyNumber(v) : v === null || v === undefined ? null : String(v));

/**
 * The frame's `y` against its `x`, one trace per value of `color` (in order of first appearance).
 * Line charts draw each trace's points sorted by x.
 *
 * @throws OptionError (BAD_OPTION) for a bad spec, or a frame without those columns
 * @example
 * columnFigure(windowed, { x: "window_start", y: "mean_speed", color: "ride_id" }).data.length; // one trace per ride
 * columnFigure(totals, { x: "window_start", y: "total", type: "bar", title: "Sales per 5 time units" });
 */
export function columnFigure(frame: pl.DataFrame, chart: ColumnChart): PlotlyFigure {
  const c = resolveColumnChart(chart);
  if (frame !== null && typeof frame === "object" && frame.width === 0) return emptyFigure(c); // no rows yet, not even columns
  requireColumns(frame, "frame", [c.x, c.y, ...(c.color === undefined ? [] : [c.color])], "the columns the chart option names");
  const xs = values(frame, c.x);
  const ys = values(frame, c.y);
  const groups = c.color === undefined ? new Map([[c.y, xs.map((_, i) => i)]]) : rowsByKey(values(frame, c.color));
  const data: PlotlyTrace[] = [];
  for (const [key, rows] of groups) {
    const order = c.type === "line" ? [...rows].sort((a, b) => Number(xs[a] instanceof Date ? (xs[a] as Date).getTime() : xs[a]) - Number(xs[b] instanceof Date ? (xs[b] as Date).getTime() : xs[b])) : rows;
    const name = key.length > c.labelLength ? `${key.slice(0, c.labelLength - 1)}…` : key;
    const trace: PlotlyTrace = { type: c.type === "bar" ? "bar" : "scatter", name, x: order.map((i) => axisValue(xs[i])), y: order.map((i) => plotlyNumber(ys[i])) };
    if (c.type !== "bar") trace.mode = c.type === "line" ? "lines+markers" : "markers";
    data.push(trace);
  }
  const layout = chartLayout(c, frame.height === 0);
  if (c.type === "bar" && c.color !== undefined) layout.barmode = "group";
  return { data, layout, config: { ...PLOTLY_CONFIG } };
}

function chartLayout(c: ReturnType<typeof resolveColumnChart>, empty: boolean): Record<string, unknown> {
  const layout = baseLayout(c.title, c.height, empty, "the chart fills in as data arrives");
  layout.legend = { title: { text: c.color ?? "" } };
  layout.xaxis = { title: { text: c.x } };
  layout.yaxis = { title: { text: c.y } };
  return layout;
}

function emptyFigure(c: ReturnType<typeof resolveColumnChart>): PlotlyFigure {
  return { data: [], layout: chartLayout(c, true), config: { ...PLOTLY_CONFIG } };
}
