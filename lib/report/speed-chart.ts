/**
 * Mean speed per ride over time, from the windowed query's output.
 */
import type pl from "nodejs-polars";
import { baseLayout, plotlyDate, plotlyNumber, PLOTLY_CONFIG, requireColumns, rowsByKey, values } from "./frames";
import { resolveFigureOptions, type FigureOptions } from "./options";
import type { PlotlyFigure, PlotlyTrace } from "./types";

const COLUMNS = ["ride_id", "window_start", "window_end", "mean_speed", "count"] as const;
const HINT = 'the windowed query\'s output, e.g. readParquetOutput("results/stream/output/windowed")';

/**
 * The current value of each window: in update mode a window is written once per micro-batch that
 * changed it, and the row with the highest `batch_id` is the latest. A frame without `batch_id`
 * (append or complete output, or already reduced) is returned as it is.
 *
 * @example
 * latestWindows(readParquetOutput("results/stream/output/windowed")).height; // one row per (ride_id, window_start)
 */
export function latestWindows(windowed: pl.DataFrame): pl.DataFrame {
  requireColumns(windowed, "windowed", ["ride_id", "window_start"], HINT);
  if (!windowed.columns.includes("batch_id")) return windowed;
  return windowed.sort("batch_id").unique({ subset: ["ride_id", "window_start"], keep: "last", maintainOrder: true });
}

/**
 * A line chart of the mean speed (m/s) of each ride per event-time window: one trace per ride,
 * x = `window_start`, y = `mean_speed`, points in window order; the hover shows the window and the
 * number of speeds in the mean. Update-mode rows are reduced to the latest per
 * (ride_id, window_start) first ({@link latestWindows}).
 *
 * @param windowed the windowed query's output: `ride_id, window_start, window_end, mean_speed, count[, batch_id]`
 * @param options.title default "Mean speed per ride and event-time window"
 * @throws OptionError (BAD_OPTION) when `windowed` is not a frame with those columns
 * @example
 * const windowed = readParquetOutput("results/stream/output/windowed");
 * showFigure(speedFigure(windowed));
 * speedFigure(windowed).data.length; // 35: one trace per ride
 */
export function speedFigure(windowed: pl.DataFrame, options?: FigureOptions): PlotlyFigure {
  requireColumns(windowed, "windowed", COLUMNS, HINT);
  const o = resolveFigureOptions(options, "Mean speed per ride and event-time window");
  const latest = latestWindows(windowed).sort(["ride_id", "window_start"]);
  const rides = values(latest, "ride_id");
  const starts = values(latest, "window_start");
  const ends = values(latest, "window_end");
  const means = values(latest, "mean_speed");
  const counts = values(latest, "count");
  const data: PlotlyTrace[] = [];
  for (const [ride, rows] of rowsByKey(rides)) {
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name: ride.slice(0, o.idLength),
      x: rows.map((i) => plotlyDate(starts[i])),
      y: rows.map((i) => plotlyNumber(means[i])),
      customdata: rows.map((i) => [plotlyDate(ends[i]), plotlyNumber(counts[i])]),
      hovertemplate: `ride ${ride.slice(0, o.idLength)}<br>window %{x} – %{customdata[0]}<br>mean speed %{y:.2f} m/s (%{customdata[1]} fixes)<extra></extra>`,
    });
  }
  const layout = baseLayout(o.title, o.height, data.length === 0, "run the windowed query on the replayed stream");
  layout.xaxis = { title: { text: "window start (event time, UTC)" }, type: "date" };
  layout.yaxis = { title: { text: "mean speed (m/s)" }, rangemode: "tozero" };
  return { data, layout, config: { ...PLOTLY_CONFIG } };
}
