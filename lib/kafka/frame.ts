/**
 * Consumed messages → a polars DataFrame: `topic, partition, offset, key, timestamp` (the message's
 * own timestamp) then the JSON value's fields, nested objects flattened as `a.b`. A value field whose
 * name clashes with those five is kept as `value.<name>` (the BDD rows' event time is
 * `value.timestamp`). Fields holding ISO-8601 strings in every row become Datetime("ms").
 */
import pl from "nodejs-polars";
import type { ConsumedMessage } from "./types";

export const MESSAGE_COLUMNS = ["topic", "partition", "offset", "key", "timestamp"] as const;

export interface MessagesToFrameOptions {
  /** Turn all-ISO-8601 string fields into Datetime("ms") (default true). */
  parseDates?: boolean;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix === "" ? k : `${prefix}.${k}`, out);
  } else {
    out.set(prefix === "" ? "value" : prefix, value);
  }
}

function column(name: string, values: unknown[], parseDates: boolean): pl.Series {
  const present = values.filter((v) => v !== null && v !== undefined);
  const norm = values.map((v) => (v === undefined ? null : v));
  if (present.length > 0 && present.every((v) => typeof v === "number")) return pl.Series(name, norm, pl.Float64);
  if (present.length > 0 && present.every((v) => typeof v === "boolean")) return pl.Series(name, norm, pl.Bool);
  if (parseDates && present.length > 0 && present.every((v) => typeof v === "string" && ISO.test(v))) {
    return pl.Series(name, norm.map((v) => (v === null ? null : new Date(v as string)))).cast(pl.Datetime("ms"));
  }
  // Strings, and anything mixed (arrays, numbers and strings together): as JSON text / text.
  return pl.Series(name, norm.map((v) => (v === null ? null : typeof v === "string" ? v : JSON.stringify(v))), pl.Utf8);
}

/**
 * A DataFrame of consumed messages, JSON values flattened into columns.
 *
 * @example
 * const df = messagesToFrame(messages);
 * df.columns; // ["topic", "partition", "offset", "key", "timestamp", "id", "ride_id", "uuid", "value.timestamp", …]
 */
export function messagesToFrame(messages: ConsumedMessage[], options: MessagesToFrameOptions = {}): pl.DataFrame {
  const parseDates = options.parseDates ?? true;
  const fields: string[] = [];
  const seen = new Set<string>();
  const rows = messages.map((m) => {
    const flat = new Map<string, unknown>();
    flatten(m.value, "", flat);
    const renamed = new Map<string, unknown>();
    for (const [k, v] of flat) {
      const name = (MESSAGE_COLUMNS as readonly string[]).includes(k) && k !== "value" ? `value.${k}` : k;
      renamed.set(name, v);
      if (!seen.has(name)) { seen.add(name); fields.push(name); }
    }
    return renamed;
  });
  const series = [
    pl.Series("topic", messages.map((m) => m.topic), pl.Utf8),
    pl.Series("partition", messages.map((m) => m.partition), pl.Int32),
    pl.Series("offset", messages.map((m) => m.offset), pl.Int64),
    pl.Series("key", messages.map((m) => m.key), pl.Utf8),
    pl.Series("timestamp", messages.map((m) => m.timestamp.getTime()), pl.Int64).cast(pl.Datetime("ms")),
    ...fields.map((f) => column(f, rows.map((r) => r.get(f)), parseDates)),
  ];
  return pl.DataFrame(series);
}
