/**
 * Polars rows → Kafka messages: the value is the row as JSON (datetimes as ISO-8601 UTC strings,
 * other columns as they are), the key a column's value. Any client (kcat, the Java console
 * consumer, Python) reads them back.
 */
import type pl from "nodejs-polars";
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
 * Turns every row of a polars frame into a message (JSON value, optional key).
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
