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

/** An ISO-8601 date-time, as the per-message path recognises one; `ISO_FORMAT` parses the UTC (`Z`) ones. */
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
export const ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%.fZ";

/**
 * Values that are each a one-line JSON object, read by polars as NDJSON in one native call; null
 * when one is not (or polars refuses them), so the caller takes its per-message path. The schema
 * comes from the first `inferSchemaLength` values (`"all"`: every value).
 */
export function readJsonObjects(raws: readonly (string | null | undefined)[], inferSchemaLength: number | "all"): pl.DataFrame | null {
  for (const raw of raws) if (typeof raw !== "string" || raw.charCodeAt(0) !== 123 /* { */ || raw.includes("\n") || raw.includes("\r")) return null;
  try {
    const frame = pl.readJSON(Buffer.from(raws.join("\n")), { format: "lines", inferSchemaLength: (inferSchemaLength === "all" ? null : inferSchemaLength) as number });
    return frame.height === raws.length ? frame : null;
  } catch {
    return null;
  }
}

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
  const values = messages.length === 0 ? null : valuesInBulk(messages, parseDates);
  if (values === null) return messagesToFrameByRow(messages, parseDates);
  return pl.concat([metadataFrame(messages), values], { how: "horizontal" });
}

function metadataFrame(messages: ConsumedMessage[]): pl.DataFrame {
  const topic = messages[0].topic;
  const oneTopic = messages.every((m) => m.topic === topic);
  return pl.DataFrame([
    // One topic (the usual case): repeated natively instead of 200,000 JavaScript strings converted.
    oneTopic ? pl.Series("topic", [topic], pl.Utf8).extendConstant(topic, messages.length - 1) : pl.Series("topic", messages.map((m) => m.topic), pl.Utf8),
    pl.Series("partition", messages.map((m) => m.partition), pl.Int32),
    pl.Series("offset", messages.map((m) => m.offset), pl.Int64),
    pl.Series("key", messages.map((m) => m.key), pl.Utf8),
    pl.Series("timestamp", messages.map((m) => m.timestamp.getTime()), pl.Int64).cast(pl.Datetime("ms")),
  ]);
}

/**
 * The values' columns read by polars as NDJSON in one native call (6× faster than JSON.parse and
 * building columns per message on 200,000 BDD rows), with the same names and types as the
 * per-message path; null when it cannot promise that (a value that is not a one-line JSON object,
 * a nested object or array, an ISO-8601 time with an offset, anything polars refuses).
 */
export function valuesInBulk(messages: ConsumedMessage[], parseDates: boolean): pl.DataFrame | null {
  // A value left as text (parseJson: false) is one `value` column in the per-message path.
  if (messages.some((m) => typeof m.value === "string")) return null;
  return rawValuesInBulk(messages.map((m) => m.raw), parseDates);
}

/**
 * Messages read with `parseJson: false` whose values are JSON, as {@link messagesToFrame} makes them
 * from parsed ones: polars parses the values in one native call, and only when it cannot does
 * JavaScript parse them one by one (a JSON.parse per message first would do the work twice).
 */
export function jsonMessagesToFrame(messages: ConsumedMessage[], options: MessagesToFrameOptions = {}): pl.DataFrame {
  const parseDates = options.parseDates ?? true;
  const values = messages.length === 0 ? null : rawValuesInBulk(messages.map((m) => m.raw), parseDates);
  if (values !== null) return pl.concat([metadataFrame(messages), values], { how: "horizontal" });
  return messagesToFrameByRow(messages.map((m) => ({ ...m, value: parseJsonValue(m.raw) })), parseDates);
}

/** A message value as JSON when it parses, else its text (the consumer's `parseJson`). */
export function parseJsonValue(raw: string | null): unknown {
  if (raw === null) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** The values' columns from their JSON texts (see {@link valuesInBulk}), or null. */
function rawValuesInBulk(raws: (string | null)[], parseDates: boolean): pl.DataFrame | null {
  // Every row informs the schema: a field first met late is still a column.
  const frame = readJsonObjects(raws, "all");
  if (frame === null) return null;
  const columns = frame.columns, dtypes = frame.dtypes;
  const casts: pl.Expr[] = [];
  const renames: Record<string, string> = {};
  for (let i = 0; i < columns.length; i++) {
    const name = columns[i], v = dtypes[i].variant;
    if (v === "Struct" || v === "List" || name.includes(".")) return null;
    if ((MESSAGE_COLUMNS as readonly string[]).includes(name)) renames[name] = `value.${name}`;
    if (v === "Int64" || v === "Int32" || v === "UInt64" || v === "UInt32") casts.push(pl.col(name).cast(pl.Float64));
    else if (v === "Null") casts.push(pl.col(name).cast(pl.Utf8));
    else if (v === "String" && parseDates) {
      // Only a column whose first value is ISO-8601 can be ISO in every row: the rest are checked natively.
      const first = frame.getColumn(name).dropNulls().head(1).toArray()[0];
      if (typeof first === "string" && ISO.test(first)) {
        const col = pl.col(name);
        const notIso = frame.filter(col.isNotNull().and(col.str.contains(ISO.source).not())).height;
        if (notIso === 0) {
          if (frame.filter(col.isNotNull().and(col.str.contains("Z$").not())).height > 0) return null; // an offset: the per-message path parses it
          casts.push(col.str.strptime(pl.Datetime("ms"), ISO_FORMAT).cast(pl.Datetime("ms")));
        }
      }
    } else if (v !== "String" && v !== "Float64" && v !== "Bool") return null;
  }
  try {
    const typed = casts.length === 0 ? frame : frame.withColumns(...casts);
    return Object.keys(renames).length === 0 ? typed : typed.rename(renames);
  } catch {
    return null;
  }
}

/** The per-message path: JSON.parse'd values flattened in JavaScript (nested objects as `a.b`). */
export function messagesToFrameByRow(messages: ConsumedMessage[], parseDates = true): pl.DataFrame {
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
