/**
 * A polars DataFrame or Series as an HTML table, laid out as Python polars does in notebooks: the
 * shape above, the dtype under each column name, and for long frames the first and last rows with an
 * ellipsis row between them (wide frames: the first and last columns with an ellipsis column).
 * Every value is HTML-escaped.
 */
import pl, { type DataType } from "nodejs-polars";
import { OptionError } from "../errors";
import { positiveInt } from "../options";

/** Options of {@link frameHtml}. */
export interface FrameHtmlOptions {
  /** Rows shown: a longer frame shows its first and last `maxRows / 2` rows around an ellipsis row. Default 10 (Python polars' default). */
  maxRows?: number;
  /** Columns shown: a wider frame shows its first and last columns around an ellipsis column. Default 20. */
  maxColumns?: number;
  /** Characters of a cell shown before it is cut with `…`. Default 60. */
  maxChars?: number;
}

export const FRAME_HTML_DEFAULTS = { maxRows: 10, maxColumns: 20, maxChars: 60 } as const;

const ELLIPSIS = "…";

/** `&`, `<`, `>`, `"` and `'` escaped: text safe inside an element or an attribute. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** True for a nodejs-polars DataFrame (its objects are not instances of a class). */
export function isDataFrame(value: unknown): value is pl.DataFrame {
  return value !== null && typeof value === "object" && pl.DataFrame.isDataFrame(value);
}

/** True for a nodejs-polars Series. */
export function isSeries(value: unknown): value is pl.Series {
  return value !== null && typeof value === "object" && pl.Series.isSeries(value);
}

const SHORT: Record<string, string> = {
  Int8: "i8", Int16: "i16", Int32: "i32", Int64: "i64", UInt8: "u8", UInt16: "u16", UInt32: "u32", UInt64: "u64",
  Float32: "f32", Float64: "f64", Bool: "bool", Utf8: "str", String: "str", Date: "date", Time: "time",
  Categorical: "cat", Null: "null", Object: "object", Decimal: "decimal",
};

/**
 * A dtype's short name as polars prints it under a column name: `i64`, `f64`, `str`, `bool`,
 * `datetime[ms, UTC]`, `duration[ms]`, `list[f64]`, `struct[2]`, …
 *
 * @example
 * dtypeName(pl.Datetime("ms", "UTC")); // "datetime[ms, UTC]"
 */
export function dtypeName(dtype: DataType): string {
  const d = dtype as unknown as { variant: string; timeUnit?: string; timeZone?: string; inner?: DataType[] | DataType; fields?: unknown[] };
  switch (d.variant) {
    case "Datetime": return `datetime[${d.timeUnit ?? "us"}${d.timeZone ? `, ${d.timeZone}` : ""}]`;
    case "Duration": return `duration[${d.timeUnit ?? "us"}]`;
    case "List": {
      const inner = Array.isArray(d.inner) ? d.inner[0] : d.inner;
      return `list[${inner === undefined ? "?" : dtypeName(inner)}]`;
    }
    case "Struct": return `struct[${Array.isArray(d.fields) ? d.fields.length : "?"}]`;
    default: return SHORT[d.variant] ?? d.variant.toLowerCase();
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** A JS date as polars prints a datetime: `2020-01-01 00:00:15` (milliseconds when there are some). */
function formatDate(d: Date, withTime: boolean): string {
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  if (!withTime) return date;
  const ms = d.getUTCMilliseconds();
  return `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${ms === 0 ? "" : `.${pad(ms, 3)}`}`;
}

/** The shortest decimal that reads back as the same float32 (polars shows `1.1`, not `1.100000023841858`). */
function float32Text(v: number): string {
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

function floatText(v: number, f32: boolean): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  const s = f32 ? float32Text(v) : String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** One value as text, as polars shows it in a notebook: strings quoted, floats with a decimal point, `null`. */
export function cellText(value: unknown, dtype: DataType): string {
  if (value === null || value === undefined) return "null";
  const variant = (dtype as unknown as { variant: string }).variant;
  if (typeof value === "number" && (variant === "Float64" || variant === "Float32")) return floatText(value, variant === "Float32");
  if (value instanceof Date) return formatDate(value, variant !== "Date");
  if (typeof value === "string") return variant === "Categorical" ? value : JSON.stringify(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "object") return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return String(value);
}

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}${ELLIPSIS}` : s);

/** Resolved {@link FrameHtmlOptions}, validated. */
export function resolveFrameHtmlOptions(options: FrameHtmlOptions = {}): Required<FrameHtmlOptions> {
  if (options === null || typeof options !== "object") throw new OptionError("options", options, "an object such as { maxRows: 20 }");
  return {
    maxRows: positiveInt("maxRows", options.maxRows, FRAME_HTML_DEFAULTS.maxRows, 2),
    maxColumns: positiveInt("maxColumns", options.maxColumns, FRAME_HTML_DEFAULTS.maxColumns, 2),
    maxChars: positiveInt("maxChars", options.maxChars, FRAME_HTML_DEFAULTS.maxChars, 4),
  };
}

/** Indices shown out of `n` when at most `max` fit: the first and last halves, `-1` standing for the ellipsis. */
function shownIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const head = Math.ceil(max / 2);
  const tail = Math.floor(max / 2);
  return [...Array.from({ length: head }, (_, i) => i), -1, ...Array.from({ length: tail }, (_, i) => n - tail + i)];
}

// Python polars' notebook style: cells right-aligned, long text wrapped.
const STYLE = "<style>.streamlab-frame > table > thead > tr, .streamlab-frame > table > tbody > tr { text-align: right; white-space: pre-wrap; }</style>";

/**
 * The frame as an HTML table: `<small>shape: (rows, columns)</small>`, then a table whose head has
 * the column names and, below them, their dtypes; long frames show their head and tail with a `…`
 * row between. The text of every cell is escaped.
 *
 * @param shape the shape line, e.g. `(3, 2)`; default the frame's own
 * @example
 * frameHtml(pl.DataFrame({ ride: ["a<b"], speed: [1] }));
 * // <div class="streamlab-frame">…<small>shape: (1, 2)</small><table class="dataframe">
 * // <thead><tr><th>ride</th><th>speed</th></tr><tr><td>str</td><td>f64</td></tr></thead>
 * // <tbody><tr><td>&quot;a&lt;b&quot;</td><td>1.0</td></tr></tbody></table></div>
 */
export function frameHtml(frame: pl.DataFrame, options: FrameHtmlOptions = {}, shape = `(${frame.height}, ${frame.width})`): string {
  if (!isDataFrame(frame)) throw new OptionError("frame", typeof frame, "a polars DataFrame");
  const o = resolveFrameHtmlOptions(options);
  const cols = shownIndices(frame.width, o.maxColumns);
  const rows = shownIndices(frame.height, o.maxRows);
  const head = Math.ceil(o.maxRows / 2);
  const tail = Math.floor(o.maxRows / 2);
  const long = frame.height > o.maxRows;
  // Only the rows shown are read out of polars.
  const dtypes = frame.dtypes;
  const columnValues = (c: number): unknown[] => {
    const s = frame.getColumn(frame.columns[c]);
    return long ? [...(s.head(head).toArray() as unknown[]), ...(s.tail(tail).toArray() as unknown[])] : (s.toArray() as unknown[]);
  };
  const data = new Map(cols.filter((c) => c >= 0).map((c) => [c, columnValues(c)]));
  const th = cols.map((c) => `<th>${c < 0 ? ELLIPSIS : escapeHtml(frame.columns[c])}</th>`).join("");
  const types = cols.map((c) => `<td>${c < 0 ? ELLIPSIS : escapeHtml(dtypeName(dtypes[c]))}</td>`).join("");
  let pos = 0;
  const body = rows.map((r) => {
    if (r < 0) return `<tr>${cols.map(() => `<td>${ELLIPSIS}</td>`).join("")}</tr>`;
    const at = pos++;
    return `<tr>${cols.map((c) => `<td>${c < 0 ? ELLIPSIS : escapeHtml(cut(cellText(data.get(c)![at], dtypes[c]), o.maxChars))}</td>`).join("")}</tr>`;
  }).join("");
  return `<div class="streamlab-frame">${STYLE}<small>shape: ${escapeHtml(shape)}</small><table border="1" class="dataframe"><thead><tr>${th}</tr><tr>${types}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/**
 * A Series as an HTML table: one column (its name, its dtype), shape `(length,)`.
 *
 * @example
 * seriesHtml(pl.Series("speed", [1.5, null])); // shape: (2,) … <th>speed</th> … <td>f64</td> … <td>null</td>
 */
export function seriesHtml(series: pl.Series, options: FrameHtmlOptions = {}): string {
  if (!isSeries(series)) throw new OptionError("series", typeof series, "a polars Series");
  return frameHtml(pl.DataFrame([series]), options, `(${series.length},)`);
}
