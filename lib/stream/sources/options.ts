import * as path from "node:path";
import { OptionError } from "../../errors";
import { oneOf, optionalBoolean, optionalString, positiveInt, positiveNumber, requireString } from "../../options";
import { FILE_FORMATS, type FileFormat, type FileSchema } from "./fileFormats";
import { TABLES, type Table } from "../../dataset/types";
import { parseDuration } from "../../duration";
import { systemClock, type Clock } from "../../replay/clock";

/** Options of {@link fileStreamSource}. */
export interface FileStreamSourceOptions {
  /** The table folder the replay writes, e.g. `results/stream/input/locations`. */
  dir: string;
  /** The input's name inside the query; default the folder's name (`locations`). */
  name?: string;
  /**
   * The BDD table whose schema each file must have; default the folder's name when it is
   * `locations` or `accelerations` (parquet without `schema` only), else no table check (only a
   * Datetime `timestamp` is required).
   */
  table?: Table;
  /**
   * Bounded mode (the `once` trigger, Spark's availableNow): the files present at the first poll
   * are read, oldest first, in polls of at most `maxFilesPerTrigger` files, and the source is
   * exhausted after the last of them. Default false: keep watching the folder for new files.
   */
  once?: boolean;
  /**
   * Most files one poll (so one micro-batch) reads, as Spark's `maxFilesPerTrigger`. Default 1,000:
   * large enough that the per-batch cost is small, small enough that memory stays bounded.
   */
  maxFilesPerTrigger?: number;
  /** Most bytes of files one poll reads (at least one file), as Spark's `maxBytesPerTrigger`. Default: no bound. */
  maxBytesPerTrigger?: number;
  /**
   * A poll stops reading files once it has read about this many rows (in steps that grow from one file), so a
   * stream of large files stays bounded too. Default 500,000.
   */
  maxRowsPerTrigger?: number;
  /**
   * The folder bad input goes to, with the reason: a copy of each file skipped (unreadable, empty,
   * wrong schema, no Datetime `timestamp`) and, as `<name>.rows.parquet`, the rows of an otherwise
   * good file that have no event time; each beside a `<name>.reason.json`. Default
   * `<dir>/_dead-letter`: next to the input it came from (a `_` name the source never reads as a
   * partition, as Spark's `_spark_metadata`). `false`: only count and report them (`skipped()`).
   * Files are copied, never moved: the input stays as the replay wrote it, so a checkpointed query
   * can re-read it and other queries reading the same folder see the same files.
   */
  deadLetter?: string | false;
  /**
   * The files' format (Spark's `format(...)`): `"parquet"` (default, what the replay writes),
   * `"json"` (one JSON object per line; `.json`, `.jsonl`, `.ndjson`) or `"csv"` (a header line; `.csv`).
   * A text `timestamp` column (ISO-8601 UTC) becomes the Datetime event time.
   */
  format?: FileFormat;
  /**
   * The columns and types every file must have (Spark's `.schema(...)`), e.g.
   * `{ uuid: pl.Utf8, timestamp: pl.Datetime("ms"), speed: pl.Float64 }`: values are converted to
   * these types and other columns dropped; a file without one of them, or with a value that does not
   * convert, is skipped, reported and dead-lettered like a bad parquet file. Default: none (as read).
   */
  schema?: FileSchema;
}

export interface ResolvedFileStreamSourceOptions {
  dir: string;
  name: string;
  table: Table | undefined;
  once: boolean;
  maxFilesPerTrigger: number;
  maxBytesPerTrigger: number;
  maxRowsPerTrigger: number;
  deadLetter: string | false;
  format: FileFormat;
  schema: FileSchema | undefined;
}

/** Options of {@link kafkaSource}. */
export interface KafkaSourceOptions {
  /** The topic to read, e.g. `DoeJane-locations`. */
  topic: string;
  /** The input's name inside the query; default the topic name without its `<prefix>-`. */
  name?: string;
  /** Broker list `host:port[,host:port]`; default the project's Kafka config (localhost:9092). */
  bootstrap?: string;
  /**
   * Bounded mode (the `once` trigger): read from the earliest offset up to the high watermarks
   * captured when the source opens, then report exhausted. Default false: keep reading.
   */
  once?: boolean;
  /** How long the consumer retries a broker that stopped answering (default 60,000 ms; see KafkaOptions). */
  retryBudgetMs?: number;
  /** Consumer group id; default a fresh `streamlab-query-<topic>-<random>` (always from the earliest offset). */
  groupId?: string;
  /** Fields parsed back to polars Datetime("ms") from ISO-8601 strings; default `["timestamp"]`. */
  timestampFields?: string[];
  /** Longest a poll waits for new messages, in ms; default 1000. */
  pollTimeoutMs?: number;
  /** Most messages one poll (so one micro-batch) takes, as Spark's `maxOffsetsPerTrigger`; default 50,000. */
  maxOffsetsPerTrigger?: number;
  /**
   * The topic bad messages are written to, with the reason (a value that is not a JSON object, or
   * that lacks the event-time field `timestampFields[0]`): default `<prefix>-dead-letter` (the topic's
   * prefix, e.g. `DoeJane-dead-letter`; `dead-letter` without one); `false`: only count and report them.
   */
  deadLetter?: string | false;
}

export const FILE_SOURCE_DEFAULTS = { once: false, maxFilesPerTrigger: 1000, maxBytesPerTrigger: Infinity, maxRowsPerTrigger: 500_000, deadLetterFolder: "_dead-letter" } as const;
export const KAFKA_SOURCE_DEFAULTS = { once: false, timestampFields: ["timestamp"], pollTimeoutMs: 1000, maxOffsetsPerTrigger: 50_000 } as const;

export function resolveFileStreamSourceOptions(o: FileStreamSourceOptions): ResolvedFileStreamSourceOptions {
  if (o === null || typeof o !== "object") throw new OptionError("fileStreamSource", o, 'expected an options object such as { dir: "results/stream/input/locations" }');
  const dir = requireString("dir", o.dir, '"results/stream/input/locations"');
  const base = path.basename(path.resolve(dir));
  if (o.table !== undefined && !TABLES.includes(o.table)) throw new OptionError("table", o.table, `expected one of ${TABLES.join(", ")}`);
  // The folder-name default is for the replay's parquet files; JSON/CSV and schema'd input carry their own types.
  const table = o.table ?? ((o.format ?? "parquet") === "parquet" && o.schema === undefined ? (TABLES as readonly string[]).find((t) => t === base) as Table | undefined : undefined);
  return {
    dir,
    name: optionalString("name", o.name, base, '"locations"'),
    table,
    once: optionalBoolean("once", o.once, FILE_SOURCE_DEFAULTS.once),
    maxFilesPerTrigger: positiveInt("maxFilesPerTrigger", o.maxFilesPerTrigger, FILE_SOURCE_DEFAULTS.maxFilesPerTrigger),
    maxBytesPerTrigger: o.maxBytesPerTrigger === Infinity ? Infinity : positiveInt("maxBytesPerTrigger", o.maxBytesPerTrigger, FILE_SOURCE_DEFAULTS.maxBytesPerTrigger),
    maxRowsPerTrigger: o.maxRowsPerTrigger === Infinity ? Infinity : positiveInt("maxRowsPerTrigger", o.maxRowsPerTrigger, FILE_SOURCE_DEFAULTS.maxRowsPerTrigger),
    deadLetter: resolveDeadLetterFolder(dir, o.deadLetter),
    format: oneOf("format", o.format, FILE_FORMATS, "parquet"),
    schema: resolveSchema(o.schema),
  };
}

function resolveSchema(schema: unknown): FileSchema | undefined {
  if (schema === undefined) return undefined;
  const example = 'expected column name → polars type, e.g. { uuid: pl.Utf8, timestamp: pl.Datetime("ms"), speed: pl.Float64 }';
  if (schema === null || typeof schema !== "object" || Object.keys(schema).length === 0) throw new OptionError("schema", schema, example);
  for (const [column, type] of Object.entries(schema)) {
    if (type === null || typeof type !== "object" || typeof (type as { variant?: unknown }).variant !== "string") throw new OptionError(`schema.${column}`, String(type), example);
  }
  return schema as FileSchema;
}

/** The dead-letter folder of a file source on `dir`; refuses one the source would read as input. */
function resolveDeadLetterFolder(dir: string, value: unknown): string | false {
  if (value === false) return false;
  const folder = optionalString("deadLetter", value, path.join(dir, FILE_SOURCE_DEFAULTS.deadLetterFolder), '"results/stream/input/locations/_dead-letter" (or false)');
  const rel = path.relative(path.resolve(dir), path.resolve(folder));
  const first = rel.split(path.sep)[0];
  // Inside the input folder, only a hidden or `_` name is never listed as a partition.
  if (rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel) && !first.startsWith("_") && !first.startsWith("."))) {
    throw new OptionError("deadLetter", value, `expected a folder outside the input folder ${dir}, or in it under a name starting with "_" (the default is ${path.join(dir, FILE_SOURCE_DEFAULTS.deadLetterFolder)}); else the source would read the dead letters as input`);
  }
  return folder;
}

export interface ResolvedKafkaSourceOptions {
  topic: string;
  retryBudgetMs: number | undefined;
  name: string;
  bootstrap: string | undefined;
  once: boolean;
  groupId: string | undefined;
  timestampFields: string[];
  pollTimeoutMs: number;
  maxOffsetsPerTrigger: number;
  deadLetter: string | false;
}

export function resolveKafkaSourceOptions(o: KafkaSourceOptions): ResolvedKafkaSourceOptions {
  if (o === null || typeof o !== "object") throw new OptionError("kafkaSource", o, 'expected an options object such as { topic: "DoeJane-locations" }');
  const topic = requireString("topic", o.topic, '"DoeJane-locations"');
  const pollTimeoutMs = positiveNumber("pollTimeoutMs", o.pollTimeoutMs, KAFKA_SOURCE_DEFAULTS.pollTimeoutMs, "expected a positive number of milliseconds");
  const timestampFields = o.timestampFields ?? [...KAFKA_SOURCE_DEFAULTS.timestampFields];
  if (!Array.isArray(timestampFields) || timestampFields.some((f) => typeof f !== "string")) throw new OptionError("timestampFields", o.timestampFields, "expected a list of field names");
  return {
    topic,
    name: optionalString("name", o.name, topic.replace(/^.*-/, ""), '"locations"'),
    bootstrap: optionalString("bootstrap", o.bootstrap, undefined, '"localhost:9092"'),
    once: optionalBoolean("once", o.once, KAFKA_SOURCE_DEFAULTS.once),
    groupId: optionalString("groupId", o.groupId, undefined, '"my-query"'),
    timestampFields,
    pollTimeoutMs,
    maxOffsetsPerTrigger: positiveInt("maxOffsetsPerTrigger", o.maxOffsetsPerTrigger, KAFKA_SOURCE_DEFAULTS.maxOffsetsPerTrigger),
    retryBudgetMs: o.retryBudgetMs === undefined ? undefined : positiveInt("retryBudgetMs", o.retryBudgetMs, 1),
    deadLetter: o.deadLetter === false ? false : optionalString("deadLetter", o.deadLetter, topic.includes("-") ? `${topic.replace(/-[^-]*$/, "")}-dead-letter` : "dead-letter", '"DoeJane-dead-letter"'),
  };
}

/** Options of {@link rateSource} (Spark's `format("rate")`). */
export interface RateSourceOptions {
  /** Rows generated per second of wall-clock time; default 1. */
  rowsPerSecond?: number;
  /** Time to ramp up to `rowsPerSecond` (whole seconds, e.g. `"5 seconds"`), as Spark's `rampUpTime`; default 0. */
  rampUpTime?: string | number;
  /** The input's name inside the query; default `rate`. */
  name?: string;
  /** Stop after this many rows (the source is then exhausted, so the query ends); default: never. */
  totalRows?: number;
  /** Time source (tests pass a FakeClock); default the system clock. */
  clock?: Clock;
}

export interface ResolvedRateSourceOptions {
  rowsPerSecond: number;
  rampUpSeconds: number;
  name: string;
  totalRows: number;
  clock: Clock;
}

export const RATE_SOURCE_DEFAULTS = { rowsPerSecond: 1, rampUpTime: 0, name: "rate", totalRows: Infinity } as const;

export function resolveRateSourceOptions(o: RateSourceOptions = {}): ResolvedRateSourceOptions {
  if (o === null || typeof o !== "object") throw new OptionError("rateSource", o, "expected an options object such as { rowsPerSecond: 10 }");
  const rampUpMs = parseDuration(o.rampUpTime ?? RATE_SOURCE_DEFAULTS.rampUpTime, "rampUpTime");
  if (rampUpMs % 1000 !== 0) throw new OptionError("rampUpTime", o.rampUpTime, 'expected whole seconds, e.g. "5 seconds" (rows are generated per second)');
  const clock = o.clock ?? systemClock;
  if (typeof clock.now !== "function") throw new OptionError("clock", String(clock), "expected a Clock with now()");
  return {
    rowsPerSecond: positiveInt("rowsPerSecond", o.rowsPerSecond, RATE_SOURCE_DEFAULTS.rowsPerSecond),
    rampUpSeconds: rampUpMs / 1000,
    name: optionalString("name", o.name, RATE_SOURCE_DEFAULTS.name, '"rate"'),
    totalRows: o.totalRows === Infinity ? Infinity : positiveInt("totalRows", o.totalRows, RATE_SOURCE_DEFAULTS.totalRows),
    clock,
  };
}

/** Options of {@link socketSource}: where the line server listens (Spark's `socketTextStream(host, port)`). */
export interface SocketSourceOptions {
  /** Default localhost. */
  host?: string;
  /** Default 9999 (the lecture's `nc -lk 9999`). */
  port?: number;
  /** The input's name in the query; default `lines`. */
  name?: string;
}

export const SOCKET_SOURCE_DEFAULTS = { host: "localhost", port: 9999, name: "lines" } as const;

/** A TCP port (0–65535), default 9999. */
export function resolvePort(port: unknown): number {
  const p = port ?? SOCKET_SOURCE_DEFAULTS.port;
  if (typeof p !== "number" || !Number.isInteger(p) || p < 0 || p > 65_535) throw new OptionError("port", port, "expected a TCP port from 0 to 65535");
  return p;
}
