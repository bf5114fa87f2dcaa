/**
 * Small helpers the figure builders share: checking an input frame's columns, turning polars
 * values into plotly values, grouping rows by ride.
 */
import type pl from "nodejs-polars";
import { OptionError } from "../errors";
import type { PlotlyValue } from "./types";

/**
 * Throws an OptionError naming `argument` unless `frame` is a polars DataFrame holding `columns`.
 * `hint` tells the user where such a frame comes from.
 */
export function requireColumns(frame: pl.DataFrame, argument: string, columns: readonly string[], hint: string): void {
  const isFrame = frame !== null && typeof frame === "object" && Array.isArray((frame as { columns?: unknown }).columns) && typeof frame.getColumn === "function";
  if (!isFrame) throw new OptionError(argument, typeof frame, `a polars DataFrame with the columns ${columns.join(", ")} (${hint})`);
  const missing = columns.filter((c) => !frame.columns.includes(c));
  if (missing.length > 0) {
    throw new OptionError(argument, `a frame with columns ${frame.columns.join(", ")}`, `a polars DataFrame with the columns ${columns.join(", ")}; ${missing.join(", ")} missing (${hint})`);
  }
}

/** Plotly reads `"YYYY-MM-DD HH:MM:SS.sss"` as a date; it has no time zones, so UTC is written without a suffix. */
export function plotlyDate(value: unknown): PlotlyValue {
  if (value === null || value === undefined) return null;
  const d = value instanceof Date ? value : new Date(value as number);
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace("T", " ").replace("Z", "");
}

/** A number or null (polars gives null for missing values; NaN is missing too). */
export function plotlyNumber(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** Row indices per key, keys in order of first appearance, rows in frame order. */
export function rowsByKey(keys: readonly unknown[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    if (k === null || k === undefined) return;
    const key = String(k);
    const rows = groups.get(key);
    if (rows) rows.push(i);
    else groups.set(key, [i]);
  });
  return groups;
}

/** The column's values as a JS array. */
export function values(frame: pl.DataFrame, column: string): unknown[] {
  return frame.getColumn(column).toArray() as unknown[];
}

/** Layout bits every chart shares: title, size, legend titled "ride", an empty-data notice. */
export function baseLayout(title: string, height: number, empty: boolean, emptyHint: string): Record<string, unknown> {
  const layout: Record<string, unknown> = {
    title: { text: title },
    height,
    margin: { l: 60, r: 20, t: 60, b: 50 },
    hovermode: "closest",
    legend: { title: { text: "ride" } },
  };
  if (empty) {
    layout.annotations = [{ text: `No rows yet: ${emptyHint}`, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { size: 14 } }];
  }
  return layout;
}

/** The plotly config of every streamlab chart: responsive, no plotly.com link (works offline). */
export const PLOTLY_CONFIG: Readonly<Record<string, unknown>> = { responsive: true, displaylogo: false, showLink: false };
