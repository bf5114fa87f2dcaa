/**
 * Polars rows → Kafka messages: the value is the row as JSON (datetimes as ISO-8601 UTC strings,
 * other columns as they are), the key a column's value. Any client (kcat, the Java console
 * consumer, Python) reads them back.
 */
import pl from "nodejs-polars";
import { OptionError } from "../errors";
import type { OutgoingMessage } from "./types";

export interface FrameToMessagesOptions {
  /** Column whose value becomes the key (e.g. `uuid`); default none (null keys). */
  keyField?: string;
  /** Column (Datetime) whose value becomes the message's broker timestamp; default none (send time). */
  timestampField?: string;
}

/** JSON.stringify replacer: Date → ISO-8601, bigint → number (or string beyond 2^53). */
function jsonValue(_key: string, v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v;
}

/**
 * One row as the JSON text streamlab puts in a message value.
 *
 * @example
 * rowToJson({ uuid: "a", timestamp: new Date(0), speed: 1.5 });
 * // '{"uuid":"a","timestamp":"1970-01-01T00:00:00.000Z","speed":1.5}'
 */
export function rowToJson(row: Record<string, unknown>): string {
  return JSON.stringify(row, jsonValue);
}

/**
 * Turns every row of a polars frame into a message (JSON value, optional key). The values are
 * written by polars in one native call; a frame with a column type whose JSON could differ from
 * {@link rowToJson}'s goes row by row.
 *
 * @example
 * const messages = frameToMessages(frame, { keyField: "uuid" });
 * messages[0]; // { key: "0a1b…", value: '{"id":…,"uuid":"0a1b…","timestamp":"2026-11-20T10:00:00.000Z",…}' }
 */
export function frameToMessages(frame: pl.DataFrame, options: FrameToMessagesOptions = {}): OutgoingMessage[] {
  const { keyField, timestampField } = options;
  for (const [option, col] of [["keyField", keyField], ["timestampField", timestampField]] as const) {
    if (col !== undefined && !frame.columns.includes(col)) throw new OptionError(option, col, `a column of the frame (${frame.columns.join(", ")})`);
  }
  const values = jsonLines(frame);
  if (values === null) return frameToMessagesByRow(frame, options);
  const keys: unknown[] | null = keyField === undefined ? null : frame.getColumn(keyField).toArray();
  const times: unknown[] | null = timestampField === undefined ? null : frame.getColumn(timestampField).toArray();
  return values.map((value, i) => {
    const k = keys === null ? null : keys[i];
    const t = times === null ? undefined : times[i];
    return {
      key: k === null || k === undefined ? null : k instanceof Date ? k.toISOString() : String(k),
      value,
      ...(t instanceof Date ? { timestamp: t.getTime() } : {}),
    };
  });
}

/** Column types polars writes as the same JSON as {@link rowToJson} (floats may read `3.0` for `3`: the same number). */
const BULK_TYPES = new Set(["String", "Utf8", "Float64", "Float32", "Int8", "Int16", "Int32", "UInt8", "UInt16", "UInt32", "Bool", "Null", "Datetime"]);
const ISO_MS = "%Y-%m-%dT%H:%M:%S%.3fZ";
const exprs = new Map<string, pl.Expr>();
function cached(key: string, build: () => pl.Expr): pl.Expr {
  let e = exprs.get(key);
  if (e === undefined) exprs.set(key, (e = build()));
  return e;
}

/**
 * Every row's JSON value in one native call (polars writes NDJSON; datetimes first formatted as
 * ISO-8601 UTC with milliseconds, as `Date.toISOString`), or null for a frame holding a type whose
 * JSON could differ (64-bit integers, dates, lists, structs): that frame goes row by row. NaN and
 * infinite floats need no check: polars writes them as `null`, as `JSON.stringify` does.
 */
function jsonLines(frame: pl.DataFrame): string[] | null {
  if (frame.height === 0) return [];
  const columns = frame.columns;
  const dtypes = frame.dtypes;
  const formats: pl.Expr[] = [];
  for (let i = 0; i < columns.length; i++) {
    const v = dtypes[i].variant, c = columns[i];
    if (!BULK_TYPES.has(v)) return null;
    if (v === "Datetime") formats.push(cached(`iso:${c}`, () => pl.col(c).dt.strftime(ISO_MS).alias(c)));
  }
  const text = (formats.length > 0 ? frame.withColumns(...formats) : frame).writeJSON({ format: "lines" }).toString("utf8");
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.length === frame.height ? lines : null;
}

/** The per-row path: `toRecords` and {@link rowToJson}. */
function frameToMessagesByRow(frame: pl.DataFrame, options: FrameToMessagesOptions): OutgoingMessage[] {
  const { keyField, timestampField } = options;
  return frame.toRecords().map((row) => {
    const r = row as Record<string, unknown>;
    const k = keyField === undefined ? null : r[keyField];
    const t = timestampField === undefined ? undefined : r[timestampField];
    return {
      key: k === null || k === undefined ? null : k instanceof Date ? k.toISOString() : String(k),
      value: rowToJson(r),
      ...(t instanceof Date ? { timestamp: t.getTime() } : {}),
    };
  });
}
