/**
 * The file formats of the file stream source: parquet (the replay's), newline-delimited JSON and
 * CSV, each read into a frame and, with a schema, made to match it. A file that cannot be parsed or
 * does not match throws a DataError naming it, so the source skips and dead-letters it as it does a
 * bad parquet file.
 */
import { readFileSync } from "node:fs";
import pl, { type DataType } from "nodejs-polars";
import { DataError } from "../../errors";
import { ISO_FORMAT } from "../../kafka/frame";

/** Formats a file stream source reads (Spark's `format("parquet" | "json" | "csv")`). */
export type FileFormat = "parquet" | "json" | "csv";
export const FILE_FORMATS: readonly FileFormat[] = ["parquet", "json", "csv"];

/**
 * Column name → polars type (Spark's `.schema(...)`): each file must have these columns, readable
 * as these types; the frame holds only them, in this order. Datetime columns in JSON and CSV are
 * ISO-8601 UTC strings (`2020-01-01T00:00:01.500Z`).
 */
export type FileSchema = Record<string, DataType>;

/** How a file source reads its files. */
export interface FileReadSpec {
  format: FileFormat;
  schema?: FileSchema;
}

const EXTENSIONS: Record<FileFormat, readonly string[]> = { parquet: [".parquet"], json: [".json", ".jsonl", ".ndjson"], csv: [".csv"] };

/** True for a file name the source reads in this format (hidden, `_` and temp names never). */
export function isFormatFile(name: string, format: FileFormat): boolean {
  return !name.startsWith(".") && !name.startsWith("_") && EXTENSIONS[format].some((ext) => name.endsWith(ext));
}

/** Rows used to infer JSON/CSV column types (a full scan is slow in nodejs-polars 0.24). */
const INFER_ROWS = 1000;

/** Reads one JSON-lines or CSV file; with a schema, CSV columns are read as text and converted by {@link conformToSchema}. */
export function readTextFile(file: string, format: "json" | "csv", schema: FileSchema | undefined): pl.DataFrame {
  let bytes: Buffer;
  try { bytes = readFileSync(file); } catch (e) {
    throw new DataError("BAD_FILE", file, `cannot be read (${(e as Error).message}); check its permissions.`, { cause: e });
  }
  if (bytes.length === 0 || bytes.toString("utf8").trim() === "") throw new DataError("EMPTY_FILE", file, "is empty; a writer should rename a file into place only once it is complete.");
  let frame: pl.DataFrame;
  try {
    frame = format === "json"
      ? pl.readJSON(bytes, { format: "lines", inferSchemaLength: INFER_ROWS })
      : pl.readCSV(bytes, { inferSchemaLength: schema === undefined ? INFER_ROWS : 0 });
  } catch (e) {
    const what = format === "json" ? "newline-delimited JSON (one object per line)" : "CSV with a header line";
    throw new DataError("BAD_FILE", file, `is not valid ${what}: ${(e as Error).message.split("\n")[0]}`, { cause: e });
  }
  return schema === undefined ? withParsedTimestamp(frame, file) : conformToSchema(frame, schema, file);
}

/** Without a schema, a text `timestamp` column (ISO-8601 UTC) becomes the Datetime event time. */
function withParsedTimestamp(frame: pl.DataFrame, file: string): pl.DataFrame {
  const i = frame.columns.indexOf("timestamp");
  if (i < 0 || frame.dtypes[i].variant !== "String" && frame.dtypes[i].variant !== "Utf8") return frame;
  return frame.withColumns(convert(frame, "timestamp", pl.Datetime("ms"), file));
}

/** Parses `column` into `type`, strictly: a value that does not convert is a BAD_COLUMN_TYPE naming the file and column. */
function convert(frame: pl.DataFrame, column: string, type: DataType, file: string): pl.Series {
  const source = frame.getColumn(column);
  const text = source.dtype.variant === "String" || source.dtype.variant === "Utf8";
  const bad = (why: string, cause?: unknown) => new DataError("BAD_COLUMN_TYPE", file, `column "${column}" (${source.dtype}) cannot be read as ${type}: ${why}. Fix the file, or the schema.`, { cause, context: { column } });
  let out: pl.Series;
  try {
    if (text && type.variant === "Datetime") out = frame.select(pl.col(column).str.strptime(pl.Datetime("ms"), ISO_FORMAT).cast(type).alias(column)).getColumn(column);
    else if (text && type.variant === "Bool") out = frame.select(pl.when(pl.col(column).str.toLowerCase().eq(pl.lit("true"))).then(pl.lit(true)).when(pl.col(column).str.toLowerCase().eq(pl.lit("false"))).then(pl.lit(false)).otherwise(pl.lit(null)).alias(column)).getColumn(column);
    else out = source.cast(type, true);
  } catch (e) {
    throw bad((e as Error).message.split("\n")[0], e);
  }
  // Non-strict conversions (dates, booleans) give null for a value they cannot read.
  if (out.nullCount() > source.nullCount()) throw bad(text && type.variant === "Datetime" ? "a value is not an ISO-8601 UTC time such as 2020-01-01T00:00:01.500Z" : "a value does not convert");
  return out;
}

/** The schema's columns, in its order, each converted to its type; MISSING_COLUMN / BAD_COLUMN_TYPE name what does not match. */
export function conformToSchema(frame: pl.DataFrame, schema: FileSchema, file: string): pl.DataFrame {
  const columns: pl.Series[] = [];
  for (const [name, type] of Object.entries(schema)) {
    if (!frame.columns.includes(name)) throw new DataError("MISSING_COLUMN", file, `has no column "${name}", which the schema asks for (it has ${frame.columns.map((c) => `"${c}"`).join(", ")}).`, { context: { column: name } });
    const have = frame.getColumn(name);
    columns.push(have.dtype.equals(type) ? have : convert(frame, name, type, file));
  }
  return pl.DataFrame(columns);
}
