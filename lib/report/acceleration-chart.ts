/**
 * Acceleration magnitude against speed, from the stream-stream join's output.
 */
import type pl from "nodejs-polars";
import { baseLayout, plotlyNumber, PLOTLY_CONFIG, requireColumns, rowsByKey, values } from "./frames";
import { resolveFigureOptions, type FigureOptions } from "./options";
import type { PlotlyFigure, PlotlyTrace } from "./types";

const COLUMNS = ["uuid", "speed", "x", "y", "z"] as const;
const HINT = 'the joined query\'s output, e.g. readParquetOutput("results/stream/output/stream-joined")';

/** sqrt(x² + y² + z²), or null when a component is missing. */
export function accelerationMagnitude(x: unknown, y: unknown, z: unknown): number | null {
  const [a, b, c] = [plotlyNumber(x), plotlyNumber(y), plotlyNumber(z)];
  return a === null || b === null || c === null ? null : Math.sqrt(a * a + b * b + c * c);
}

/**
 * A scatter of the acceleration magnitude sqrt(x² + y² + z²) against the speed of the GPS fix each
 * accelerometer row was joined with: one trace per ride (`uuid`), one point per joined row. Rows
 * of the outer join that found no match (a null speed or a null x/y/z) have nothing to plot and
 * are left out.
 *
 * @param joined the joined query's output: `uuid, speed, x, y, z` (and the rest of its columns)
 * @throws OptionError (BAD_OPTION) when `joined` is not a frame with those columns
 * @example
 * const joined = readParquetOutput("results/stream/output/stream-joined");
 * showFigure(accelerationFigure(joined));
 */
export function accelerationFigure(joined: pl.DataFrame, options?: FigureOptions): PlotlyFigure {
  requireColumns(joined, "joined", COLUMNS, HINT);
  const o = resolveFigureOptions(options, "Acceleration magnitude against speed");
  const sorted = joined.columns.includes("acc_timestamp") ? joined.sort(["uuid", "acc_timestamp"]) : joined.sort("uuid");
  const [ids, speed, x, y, z] = ["uuid", "speed", "x", "y", "z"].map((c) => values(sorted, c));
  const data: PlotlyTrace[] = [];
  for (const [ride, rows] of rowsByKey(ids)) {
    const xs: number[] = [];
    const ys: number[] = [];
    for (const i of rows) {
      const v = plotlyNumber(speed[i]);
      const m = accelerationMagnitude(x[i], y[i], z[i]);
      if (v === null || m === null) continue;
      xs.push(v);
      ys.push(m);
    }
    if (xs.length === 0) continue;
    data.push({
      type: "scatter",
      mode: "markers",
      name: ride.slice(0, o.idLength),
      x: xs,
      y: ys,
      marker: { size: 4, opacity: 0.5 },
      hovertemplate: `ride ${ride.slice(0, o.idLength)}<br>speed %{x:.2f} m/s<br>|a| %{y:.3f}<extra></extra>`,
    });
  }
  const layout = baseLayout(o.title, o.height, data.length === 0, "run the joined query on the replayed stream");
  layout.xaxis = { title: { text: "speed of the GPS fix (m/s)" }, rangemode: "tozero" };
  layout.yaxis = { title: { text: "acceleration magnitude √(x²+y²+z²)" } };
  return { data, layout, config: { ...PLOTLY_CONFIG } };
}
