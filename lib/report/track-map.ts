/**
 * A map of the GPS tracks that needs no map tiles (everything works offline): a plain
 * latitude/longitude scatter with equal aspect, one panel per area the rides were recorded in
 * (the course's sample holds rides from several cities, far too far apart for one panel).
 */
import pl from "nodejs-polars";
import { OptionError } from "../errors";
import { baseLayout, plotlyDate, plotlyNumber, PLOTLY_CONFIG, requireColumns, rowsByKey, values } from "./frames";
import { resolveFigureOptions, type FigureOptions } from "./options";
import type { PlotlyFigure, PlotlyTrace } from "./types";

const HINT = 'the locations of the simple query\'s output, e.g. readParquetOutput("results/stream/output/simple/locations"), or the joined output';

/** Options of {@link trackFigure}. */
export interface TrackFigureOptions extends FigureOptions {
  /** Column naming the ride; default `ride_id` when present, else `uuid` (the joined output has only `uuid`). */
  rideColumn?: string;
  /** Column ordering the fixes; default `timestamp` when present, else `loc_timestamp`. */
  timeColumn?: string;
  /** Rides whose first fixes are closer than this share a panel; default 50 km. */
  areaKm?: number;
  /** Panels per row; default 3. */
  columns?: number;
}

/** One panel of the map: rides recorded close to each other. */
interface TrackArea {
  /** Mean latitude/longitude of the area's fixes. */
  lat: number;
  lon: number;
  rides: string[];
}

const EARTH_KM = 6371;
const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Great-circle distance in km. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const a = Math.sin(rad(lat2 - lat1) / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** "37.77°N 122.42°W" */
export function formatLatLon(lat: number, lon: number): string {
  return `${Math.abs(lat).toFixed(2)}°${lat >= 0 ? "N" : "S"} ${Math.abs(lon).toFixed(2)}°${lon >= 0 ? "E" : "W"}`;
}

function pick(frame: pl.DataFrame, option: string, given: string | undefined, candidates: readonly string[]): string {
  if (given !== undefined) {
    if (!frame.columns.includes(given)) throw new OptionError(option, given, `a column of the frame (${frame.columns.join(", ")})`);
    return given;
  }
  const found = candidates.find((c) => frame.columns.includes(c));
  if (found === undefined) throw new OptionError(option, undefined, `a column of the frame naming it (tried ${candidates.join(", ")}; the frame has ${frame.columns.join(", ")})`);
  return found;
}

/**
 * The GPS tracks of the rides as a plotly figure: one trace per ride (longitude → x, latitude → y,
 * fixes in time order), in one panel per area; each panel keeps equal distances on both axes
 * (a degree of longitude is cos(latitude) times a degree of latitude). No map tiles, no network:
 * it draws the same offline, in JupyterLab, in an exported notebook and in the HTML report.
 * Rows without coordinates (an outer join's unmatched accelerometer rows) are left out, and a fix
 * that appears several times (the joined output repeats it per matched row) is drawn once.
 *
 * @param locations rows with `latitude`, `longitude`, a ride column and a time column
 * @throws OptionError (BAD_OPTION) when a column is missing or an option is out of range
 * @example
 * const locations = readParquetOutput("results/stream/output/simple/locations");
 * showFigure(trackFigure(locations));
 * trackFigure(locations).data.length; // one trace per ride
 */
export function trackFigure(locations: pl.DataFrame, options: TrackFigureOptions = {}): PlotlyFigure {
  requireColumns(locations, "locations", ["latitude", "longitude"], HINT);
  const o = resolveFigureOptions(options, "GPS tracks");
  const ride = pick(locations, "rideColumn", options.rideColumn, ["ride_id", "uuid"]);
  const time = pick(locations, "timeColumn", options.timeColumn, ["timestamp", "loc_timestamp"]);
  const areaKm = options.areaKm ?? 50;
  if (typeof areaKm !== "number" || !(areaKm > 0)) throw new OptionError("areaKm", areaKm, "a distance in km above 0");
  const columns = options.columns ?? 3;
  if (!Number.isInteger(columns) || columns < 1) throw new OptionError("columns", columns, "a whole number of 1 or more");

  const fixes = locations
    .select(ride, time, "latitude", "longitude")
    .filter(pl.col("latitude").isNotNull().and(pl.col("longitude").isNotNull()))
    .unique({ subset: [ride, time], keep: "first", maintainOrder: true })
    .sort([ride, time]);
  const [ids, times, lats, lons] = [ride, time, "latitude", "longitude"].map((c) => values(fixes, c));
  const groups = [...rowsByKey(ids)];

  // Greedy areas: a ride joins the first area whose first ride started within areaKm of its own start.
  const areas: (TrackArea & { anchor: [number, number]; sumLat: number; sumLon: number; n: number })[] = [];
  const areaOf = new Map<string, number>();
  for (const [id, rows] of groups) {
    const lat0 = lats[rows[0]] as number;
    const lon0 = lons[rows[0]] as number;
    let k = areas.findIndex((a) => haversineKm(a.anchor[0], a.anchor[1], lat0, lon0) <= areaKm);
    if (k < 0) k = areas.push({ lat: 0, lon: 0, rides: [], anchor: [lat0, lon0], sumLat: 0, sumLon: 0, n: 0 }) - 1;
    const area = areas[k];
    area.rides.push(id);
    for (const i of rows) { area.sumLat += lats[i] as number; area.sumLon += lons[i] as number; area.n++; }
    areaOf.set(id, k);
  }
  for (const a of areas) { a.lat = a.sumLat / a.n; a.lon = a.sumLon / a.n; }
  // Busiest area first.
  const order = areas.map((_, k) => k).sort((a, b) => areas[b].rides.length - areas[a].rides.length);
  const panelOf = new Map(order.map((k, p) => [k, p]));

  const data: PlotlyTrace[] = groups.map(([id, rows]) => {
    const p = panelOf.get(areaOf.get(id)!)!;
    const suffix = p === 0 ? "" : String(p + 1);
    return {
      type: "scatter",
      mode: "lines+markers",
      name: id.slice(0, o.idLength),
      x: rows.map((i) => plotlyNumber(lons[i])),
      y: rows.map((i) => plotlyNumber(lats[i])),
      customdata: rows.map((i) => [plotlyDate(times[i])]),
      xaxis: `x${suffix}`,
      yaxis: `y${suffix}`,
      marker: { size: 5 },
      hovertemplate: `ride ${id.slice(0, o.idLength)}<br>%{y:.5f}, %{x:.5f}<br>%{customdata[0]}<extra></extra>`,
    };
  });

  const panels = Math.max(1, order.length);
  const perRow = Math.min(columns, panels);
  const rowsOfPanels = Math.ceil(panels / perRow);
  const height = options.height ?? Math.max(o.height, 380 * rowsOfPanels + 80);
  const layout = baseLayout(o.title, height, data.length === 0, "run the simple query on the replayed stream");
  // Gaps in pixels, as paper fractions: room for the axis titles and the panel labels.
  const plotHeight = height - 110;
  const xGap = 0.06;
  const yGap = Math.min(0.3, 90 / plotHeight);
  const annotations: Record<string, unknown>[] = (layout.annotations as Record<string, unknown>[] | undefined) ?? [];
  order.forEach((k, p) => {
    const a = areas[k];
    const col = p % perRow;
    const row = Math.floor(p / perRow);
    const w = (1 - xGap * (perRow - 1)) / perRow;
    const h = (1 - yGap * (rowsOfPanels - 1)) / rowsOfPanels;
    const x0 = col * (w + xGap);
    const y1 = 1 - row * (h + yGap);
    const suffix = p === 0 ? "" : String(p + 1);
    layout[`xaxis${suffix}`] = { domain: [x0, x0 + w], anchor: `y${suffix}`, title: { text: "longitude" }, tickformat: ".3f", nticks: 4 };
    // Equal distances: y pixels per degree = x pixels per degree / cos(latitude).
    layout[`yaxis${suffix}`] = { domain: [y1 - h, y1], anchor: `x${suffix}`, scaleanchor: `x${suffix}`, scaleratio: 1 / Math.cos(rad(a.lat)), title: { text: "latitude" }, tickformat: ".3f", nticks: 4 };
    annotations.push({ text: `${formatLatLon(a.lat, a.lon)} · ${a.rides.length} ride${a.rides.length === 1 ? "" : "s"}`, showarrow: false, xref: "paper", yref: "paper", x: x0 + w / 2, y: y1, xanchor: "center", yanchor: "bottom", font: { size: 12 } });
  });
  if (annotations.length > 0) layout.annotations = annotations;
  return { data, layout, config: { ...PLOTLY_CONFIG } };
}

