/**
 * The course's three streaming queries as one-line helpers, built on the general API
 * (readStream → withWatermark → groupBy/join → writeStream): `simpleQuery` (pass-through),
 * `windowedQuery` (mean speed per ride and event-time window) and `joinedQuery` (locations ⋈
 * accelerations on uuid within a time bound). Defaults are the course's parameters and folders.
 */
import * as path from "node:path";
import { OptionError } from "../errors";
import { oneOf, optionalString } from "../options";
import { parseDuration } from "../duration";
import type { Skipped } from "../dataset/types";
import { kafkaConfig } from "../kafka/config";
import type { KafkaOptions } from "../kafka/options";
import { topicName } from "../kafka/topics";
import type { KafkaConfig, KafkaPreset } from "../kafka/types";
import { Agg } from "./aggregate";
import { JOIN_HOWS, OUTPUT_MODES, resolveTrigger, type Duration, type JoinHow, type QueryEngine, type Trigger } from "./options";
import type { StreamingQuery } from "./query";
import { consoleSink } from "./sinks/console";
import { kafkaSink } from "./sinks/kafka";
import { parquetSink } from "./sinks/parquet";
import { fileStreamSource } from "./sources/fileStream";
import { kafkaSource } from "./sources/kafka";
import { readStream, type StreamFrame } from "./stream-frame";
import type { OutputMode, ProgressRecord, StreamSink, StreamSource } from "./types";
import { window } from "./window";

export type CourseQueryKind = "simple" | "windowed" | "joined";
export type QuerySourceKind = "files" | "kafka";
export type QuerySinkKind = "files" | "kafka" | "console";

/** Options of {@link simpleQuery}, {@link windowedQuery} and {@link joinedQuery}; all optional. */
export interface CourseQueryOptions {
  /** Where the input comes from: the replay's file stream or its Kafka topics; default `files`. */
  source?: QuerySourceKind;
  /** The file stream's root (holding `locations/` and `accelerations/`); default `results/stream/input`. */
  input?: string;
  /** Output root; each query writes under its own folder: `simple/`, `windowed/`, `stream-joined/`. Default `results/stream/output`. */
  output?: string;
  /** Where results go; default the same kind as `source` (files → parquet files, kafka → topics). */
  sink?: QuerySinkKind;
  /** Replace the sinks the `sink` option would build (e.g. `[new MemoryStreamSink()]` in a notebook). */
  sinks?: StreamSink[];
  /** Watermark delay on `timestamp`; default `"30 seconds"` (windowed and joined). */
  watermark?: Duration;
  /** Window size; default `"15 seconds"` (windowed). */
  window?: Duration;
  /** Window slide; default none (tumbling windows) (windowed). */
  slide?: Duration;
  /** Join time bound `|loc.timestamp - acc.timestamp| <= within`; default `"1.5 seconds"` (joined). */
  within?: Duration;
  /** Join type; default `"full"` (joined). */
  how?: JoinHow;
  /** Output mode; default `append` (simple, joined) or `update` (windowed). */
  mode?: OutputMode;
  /** `"default"` (as soon as new input is there), an interval such as `"1 second"`, or `"once"`; default `"default"`. */
  trigger?: Trigger;
  /** Kafka brokers `host:port[,…]`; default `preset`, else env KAFKA_BOOTSTRAP_SERVERS, else localhost:9092. */
  bootstrap?: string | string[];
  /** A named cluster instead of `bootstrap`: `"local"` or `"course"` (see KAFKA_PRESETS). */
  preset?: KafkaPreset;
  /**
   * Topic prefix: reads `<prefix>-locations`/`-accelerations`, writes `<prefix>-simple`/`-windowed`/`-joined`;
   * default `LastnameFirstname` from `firstName`/`lastName`, else none. The same rule as every Kafka helper.
   */
  topicPrefix?: string;
  /** With `lastName`: the course's topic prefix `LastnameFirstname` (as in the replay's Kafka sink). */
  firstName?: string;
  lastName?: string;
  /** How long Kafka clients retry a broker that stopped answering before BROKER_UNREACHABLE; default 60,000 ms. */
  retryBudgetMs?: number;
  /** File source: most files per micro-batch per table (Spark's `maxFilesPerTrigger`); default 1,000. */
  maxFilesPerTrigger?: number;
  /** File source: most bytes of files per micro-batch per table (Spark's `maxBytesPerTrigger`); default no bound. */
  maxBytesPerTrigger?: number;
  /** File source: a micro-batch stops reading files once it has this many rows per table; default 500,000. */
  maxRowsPerTrigger?: number;
  /** Kafka source: most messages per micro-batch per topic (Spark's `maxOffsetsPerTrigger`); default 50,000. */
  maxOffsetsPerTrigger?: number;
  /**
   * File source: the root of the dead-letter folders, `<deadLetter>/<table>/t=…/` (copies of bad files,
   * rows without an event time, each with a reason file); default each table's `<input>/<table>/_dead-letter`.
   * `false`: only count and report bad input (file and Kafka sources). The Kafka source writes to `<prefix>-dead-letter`.
   */
  deadLetter?: string | false;
  /**
   * A checkpoint root folder: each streaming query keeps its progress in `<checkpoint>/<query>`
   * (`windowed`, `joined`, `simple-locations`, `simple-accelerations`), so running the same query
   * again resumes where it stopped (file or Kafka source). Default: none.
   */
  checkpoint?: string;
  /** With trigger `"once"`: one micro-batch per partition time (`t=…`), as the replay released them; default false. */
  batchPerPartition?: boolean;
  /** `"streamlab"` (this process, default) or `"spark"`: the same query as a PySpark program run by spark-submit (docs/spark.md). */
  engine?: QueryEngine;
  /** With engine "spark": the master URL; default `"local[2]"`. */
  master?: string;
  /** Aborting it stops the query cleanly. */
  signal?: AbortSignal;
  /** Called after every micro-batch with its progress record and the name of the query that ran it. */
  onProgress?: (progress: ProgressRecord, query: string) => void;
}

export const COURSE_QUERY_DEFAULTS = {
  source: "files" as QuerySourceKind,
  input: "results/stream/input",
  output: "results/stream/output",
  watermark: "30 seconds",
  window: "15 seconds",
  within: "1.5 seconds",
  how: "full" as JoinHow,
  trigger: "default" as Trigger,
};

/** The output folder (under the output root) or topic suffix of each query. */
export const COURSE_OUTPUTS = { simple: "simple", windowed: "windowed", joined: "stream-joined" } as const;

/** Totals of a course query, for its final summary. */
export interface CourseQuerySummary {
  kind: CourseQueryKind;
  batches: number;
  inputRows: Record<string, number>;
  outputRows: number;
  rowsDroppedByWatermark: number;
  /** Files, folders or messages the sources passed over (including a missing input folder/topic). */
  skipped: Skipped[];
  /** Output folders or topics written. */
  outputs: string[];
  /** Why a query failed, when one did. */
  errors: string[];
}

/** A running course query (the simple query runs one streaming query per table). */
export interface CourseQuery {
  readonly kind: CourseQueryKind;
  readonly queries: StreamingQuery[];
  /** Output folders or topics. */
  readonly outputs: string[];
  /** Resolves with the summary when every query ended; rejects with the first query's error. */
  awaitTermination(): Promise<CourseQuerySummary>;
  /** Stops every query after its batch in progress and resolves with the summary. */
  stop(): Promise<CourseQuerySummary>;
  summary(): CourseQuerySummary;
}

const SOURCES: readonly QuerySourceKind[] = ["files", "kafka"];
const SINKS: readonly QuerySinkKind[] = ["files", "kafka", "console"];

interface Resolved {
  source: QuerySourceKind;
  sink: QuerySinkKind;
  input: string;
  output: string;
  watermark: Duration;
  window: Duration;
  slide?: Duration;
  within: Duration;
  how: JoinHow;
  trigger: Trigger;
  once: boolean;
  deadLetter: string | false | undefined;
  /** The resolved connection, when Kafka is used (or a Kafka option was given). */
  kafka?: KafkaConfig;
}

function pathOption<F extends string | undefined>(option: string, value: unknown, fallback: F): string | F {
  return optionalString(option, value, fallback, "a folder path");
}

/** Applies the course's defaults and validates every option (OptionError naming it). */
export function resolveCourseQueryOptions(kind: CourseQueryKind, o: CourseQueryOptions = {}): Resolved {
  if (o === null || typeof o !== "object") throw new OptionError(`${kind}Query`, o, "expected an options object (or nothing, for the course's defaults)");
  const source = oneOf("source", o.source, SOURCES, COURSE_QUERY_DEFAULTS.source);
  const sink = oneOf("sink", o.sink, SINKS, source);
  const watermark = o.watermark ?? COURSE_QUERY_DEFAULTS.watermark;
  parseDuration(watermark, "watermark");
  const size = o.window ?? COURSE_QUERY_DEFAULTS.window;
  window("timestamp", size, o.slide); // validates window and slide (slide <= window)
  const within = o.within ?? COURSE_QUERY_DEFAULTS.within;
  parseDuration(within, "within");
  const how = oneOf("how", o.how === ("outer" as JoinHow) ? "full" : o.how, JOIN_HOWS, COURSE_QUERY_DEFAULTS.how);
  const trigger = o.trigger ?? COURSE_QUERY_DEFAULTS.trigger;
  const once = resolveTrigger(trigger).kind === "once";
  if (o.mode !== undefined) {
    oneOf("mode", o.mode, OUTPUT_MODES, "append");
    if (kind !== "windowed" && o.mode !== "append") {
      throw new OptionError("mode", o.mode, `the ${kind} query supports only append (${kind === "simple" ? "a pass-through has no rows to update" : "a stream-stream join emits each joined row once, as Spark does"}); update and complete are for the windowed query`);
    }
  }
  const kafkaOptions: KafkaOptions = { bootstrap: o.bootstrap, preset: o.preset, topicPrefix: o.topicPrefix, firstName: o.firstName, lastName: o.lastName, retryBudgetMs: o.retryBudgetMs };
  const wantsKafka = source === "kafka" || sink === "kafka" || Object.values(kafkaOptions).some((v) => v !== undefined);
  const kafka = wantsKafka ? kafkaConfig({ ...kafkaOptions, clientId: "streamlab-query" }) : undefined; // validates host:port and the prefix
  if (typeof o.deadLetter === "string" && source === "kafka") throw new OptionError("deadLetter", o.deadLetter, "a dead-letter folder is for the file source; the Kafka source writes bad messages to <prefix>-dead-letter (or give false to only count them)");
  const deadLetter = o.deadLetter === false ? false : pathOption("deadLetter", o.deadLetter, undefined);
  if (o.sinks !== undefined && (!Array.isArray(o.sinks) || o.sinks.length === 0)) throw new OptionError("sinks", o.sinks, "expected a non-empty list of StreamSinks (or leave it out and use sink)");
  return {
    source, sink, watermark, window: size, slide: o.slide, within, how, trigger, once, kafka, deadLetter,
    input: pathOption("input", o.input, COURSE_QUERY_DEFAULTS.input),
    output: pathOption("output", o.output, COURSE_QUERY_DEFAULTS.output),
  };
}

/** `path.join`, except that a URI (`hdfs://namenode:8020/streams`, for engine "spark") keeps its `//`. */
function joinPath(base: string, ...parts: string[]): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(base) ? [base.replace(/\/+$/, ""), ...parts].join("/") : path.join(base, ...parts);
}

/** `<prefix>-<name>` by the rule every Kafka helper follows ({@link topicName}). */
function topic(r: Resolved, name: string): string {
  return topicName(name, r.kafka ?? {});
}

function source(r: Resolved, o: CourseQueryOptions, table: "locations" | "accelerations"): StreamSource {
  if (r.source === "kafka") return kafkaSource({ topic: topic(r, table), name: table, bootstrap: r.kafka?.bootstrap, retryBudgetMs: r.kafka?.retryBudgetMs, once: r.once, maxOffsetsPerTrigger: o.maxOffsetsPerTrigger, ...(r.deadLetter === false ? { deadLetter: false } : {}) });
  const deadLetter = typeof r.deadLetter === "string" ? path.join(r.deadLetter, table) : r.deadLetter;
  return fileStreamSource({ dir: joinPath(r.input, table), name: table, table, once: r.once, maxFilesPerTrigger: o.maxFilesPerTrigger, maxBytesPerTrigger: o.maxBytesPerTrigger, maxRowsPerTrigger: o.maxRowsPerTrigger, deadLetter });
}

/** The sink of one output: `sub` is the folder under the output root, `suffix` the topic suffix. */
function sink(r: Resolved, sub: string, suffix: string, key: string): { sink: StreamSink; output: string } {
  if (r.sink === "kafka") {
    const t = topic(r, suffix);
    return { sink: kafkaSink({ topic: t, key, bootstrap: r.kafka?.bootstrap, retryBudgetMs: r.kafka?.retryBudgetMs }), output: t };
  }
  if (r.sink === "console") return { sink: consoleSink({ name: `console ${sub}` }), output: "console" };
  const dir = joinPath(r.output, sub);
  return { sink: parquetSink({ dir }), output: dir };
}

/**
 * The summary of a course query run by several streaming queries: their totals added up, their
 * skipped inputs and errors listed. Shared with the report's course queries.
 */
export function summarizeCourseQuery(kind: CourseQueryKind, queries: StreamingQuery[], outputs: string[]): CourseQuerySummary {
  const s: CourseQuerySummary = { kind, batches: 0, inputRows: {}, outputRows: 0, rowsDroppedByWatermark: 0, skipped: [], outputs, errors: [] };
  for (const q of queries) {
    const t = q.totals;
    s.batches += t.batches;
    for (const [k, v] of Object.entries(t.inputRows)) s.inputRows[k] = (s.inputRows[k] ?? 0) + v;
    s.outputRows += t.outputRows;
    s.rowsDroppedByWatermark += t.rowsDroppedByWatermark;
    s.skipped.push(...q.skipped());
    if (q.exception) s.errors.push(q.exception.message);
  }
  return s;
}

/**
 * Waits for every query to end; the first failure stops the others (a half-running set of
 * queries would hide it) and is rethrown once all have ended.
 */
export async function awaitQueries(queries: StreamingQuery[]): Promise<void> {
  const results = await Promise.allSettled(queries.map((q) => q.awaitTermination().catch(async (e) => {
    await Promise.all(queries.map((other) => other.stop()));
    throw e;
  })));
  const failed = results.find((x): x is PromiseRejectedResult => x.status === "rejected");
  if (failed) throw failed.reason;
}

function courseQuery(kind: CourseQueryKind, queries: StreamingQuery[], outputs: string[]): CourseQuery {
  const summary = (): CourseQuerySummary => summarizeCourseQuery(kind, queries, outputs);
  return {
    kind,
    queries,
    outputs,
    summary,
    async awaitTermination() {
      await awaitQueries(queries);
      return summary();
    },
    async stop() {
      await Promise.all(queries.map((q) => q.stop()));
      return summary();
    },
  };
}

function writeOptions(r: Resolved, o: CourseQueryOptions, name: string, mode: OutputMode, sinks: StreamSink[]) {
  return {
    name,
    mode,
    sinks,
    trigger: r.trigger,
    batchPerPartition: o.batchPerPartition,
    checkpointLocation: o.checkpoint === undefined ? undefined : joinPath(o.checkpoint, name),
    engine: o.engine,
    master: o.master,
    signal: o.signal,
    onProgress: o.onProgress === undefined ? undefined : (p: ProgressRecord) => o.onProgress!(p, name),
  };
}

/**
 * The windowed query's plan on any locations source: watermark on `timestamp`, mean speed and
 * count per `ride_id` and window. Output columns: `ride_id, window_start, window_end, mean_speed,
 * count, batch_id`. Used by {@link windowedQuery} and the report's course queries.
 *
 * @example
 * windowedSpeeds(fileStreamSource({ dir: "results/stream/input/locations" }), { watermark: "30 seconds", window: "15 seconds" })
 *   .writeStream({ mode: "update", sinks: [new MemoryStreamSink()] }).start();
 */
export function windowedSpeeds(locations: StreamSource, p: { watermark: Duration; window: Duration; slide?: Duration }, from: (source: StreamSource) => StreamFrame = readStream): StreamFrame {
  return from(locations)
    .withWatermark("timestamp", p.watermark)
    .groupBy("ride_id", window("timestamp", p.window, p.slide))
    .agg({ mean_speed: Agg.mean("speed"), count: Agg.count("speed") });
}

/**
 * The joined query's plan on any two sources: locations ⋈ accelerations on `uuid` within `within`,
 * watermark on both. Output columns: `uuid, loc_timestamp, acc_timestamp, speed, latitude,
 * longitude, x, y, z, batch_id`. Used by {@link joinedQuery} and the report's course queries.
 *
 * @example
 * streamJoin(locationsSource, accelerationsSource, { watermark: "30 seconds", within: "1.5 seconds", how: "full" })
 * // the same query in batch: pass `read` as the last argument, then `.collect()`
 */
export function streamJoin(locations: StreamSource, accelerations: StreamSource, p: { watermark: Duration; within: Duration; how: JoinHow }, from: (source: StreamSource) => StreamFrame = readStream): StreamFrame {
  const left = from(locations).withWatermark("timestamp", p.watermark).select("uuid", "timestamp", "speed", "latitude", "longitude");
  const right = from(accelerations).withWatermark("timestamp", p.watermark).select("uuid", "timestamp", "x", "y", "z");
  return left
    .join(right, { on: "uuid", within: p.within, how: p.how, leftTimestamp: "loc_timestamp", rightTimestamp: "acc_timestamp" })
    .select("uuid", "loc_timestamp", "acc_timestamp", "speed", "latitude", "longitude", "x", "y", "z", "batch_id");
}

/**
 * The course's pass-through query: every row of `locations` and `accelerations`, unchanged, to
 * `<output>/simple/{locations,accelerations}` (one parquet file per micro-batch), or to the topic
 * `<prefix>-simple` (key = uuid) with `sink: "kafka"`. Runs one streaming query per table.
 *
 * @example
 * const q = simpleQuery({ trigger: "once" });
 * const summary = await q.awaitTermination();
 * summary.inputRows; // { locations: 478, accelerations: 23512 }
 */
export function simpleQuery(options: CourseQueryOptions = {}): CourseQuery {
  const r = resolveCourseQueryOptions("simple", options);
  const outputs: string[] = [];
  const queries = (["locations", "accelerations"] as const).map((table) => {
    const out = options.sinks === undefined ? sink(r, path.join(COURSE_OUTPUTS.simple, table), COURSE_OUTPUTS.simple, "uuid") : undefined;
    if (out && !outputs.includes(out.output)) outputs.push(out.output);
    const sinks = options.sinks ?? [out!.sink];
    return readStream(source(r, options, table)).writeStream(writeOptions(r, options, `simple-${table}`, "append", sinks));
  });
  return courseQuery("simple", queries.map((q) => q.start()), outputs);
}

/**
 * The course's windowed query: watermark `"30 seconds"` on `timestamp`, a `"15 seconds"` window
 * (sliding with `slide`), mean speed per `ride_id`, output mode `update`, to `<output>/windowed`
 * or the topic `<prefix>-windowed` (key = ride_id). Output columns:
 * `ride_id, window_start, window_end, mean_speed, count, batch_id`.
 *
 * @example
 * const q = windowedQuery({ input: "results/stream/input", trigger: "once" });
 * await q.awaitTermination();
 * readParquetOutput("results/stream/output/windowed", { latestBy: ["ride_id", "window_start"] });
 */
export function windowedQuery(options: CourseQueryOptions = {}): CourseQuery {
  const r = resolveCourseQueryOptions("windowed", options);
  const out = options.sinks === undefined ? sink(r, COURSE_OUTPUTS.windowed, "windowed", "ride_id") : undefined;
  const query = windowedSpeeds(source(r, options, "locations"), r)
    .writeStream(writeOptions(r, options, "windowed", options.mode ?? "update", options.sinks ?? [out!.sink]));
  return courseQuery("windowed", [query.start()], out ? [out.output] : []);
}

/**
 * The course's stream-stream join: locations ⋈ accelerations on `uuid` where
 * `|loc_timestamp - acc_timestamp| <= within` (default `"1.5 seconds"`), full outer by default,
 * watermark `"30 seconds"` on both, to `<output>/stream-joined` or the topic `<prefix>-joined`
 * (key = uuid). Output columns: `uuid, loc_timestamp, acc_timestamp, speed, latitude, longitude,
 * x, y, z, batch_id` (nulls on the side that found no match).
 *
 * @example
 * const q = joinedQuery({ how: "inner", trigger: "once" });
 * const { outputRows } = await q.awaitTermination();
 */
export function joinedQuery(options: CourseQueryOptions = {}): CourseQuery {
  const r = resolveCourseQueryOptions("joined", options);
  const out = options.sinks === undefined ? sink(r, COURSE_OUTPUTS.joined, "joined", "uuid") : undefined;
  const query = streamJoin(source(r, options, "locations"), source(r, options, "accelerations"), r)
    .writeStream(writeOptions(r, options, "joined", "append", options.sinks ?? [out!.sink]));
  return courseQuery("joined", [query.start()], out ? [out.output] : []);
}

/** The helper for a query kind (what the CLI calls). */
export const COURSE_QUERIES: Readonly<Record<CourseQueryKind, (options?: CourseQueryOptions) => CourseQuery>> = {
  simple: simpleQuery,
  windowed: windowedQuery,
  joined: joinedQuery,
};
