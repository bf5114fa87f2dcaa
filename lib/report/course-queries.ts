/**
 * The course's three queries on the file stream WHILE a replay writes it, ending by themselves
 * once the replay has ended: each source polls one last time after the end, then reports itself
 * exhausted, so the engine flushes every open window and unmatched join row (semantics.md, "At the
 * end of a bounded input") and the query ends. `trigger: "once"` cannot do this (it reads what is
 * there when it starts) and `stop()` would drop the open state.
 */
import { rmSync } from "node:fs";
import * as path from "node:path";
import { OptionError } from "../errors";
import type { Table } from "../dataset/types";
import type { Duration } from "../stream/options";
import { awaitQueries, COURSE_OUTPUTS, COURSE_QUERY_DEFAULTS, streamJoin, summarizeCourseQuery, windowedSpeeds, type CourseQueryKind, type CourseQuerySummary } from "../stream/queries";
import type { StreamingQuery } from "../stream/query";
import { parquetSink } from "../stream/sinks/parquet";
import { fileStreamSource } from "../stream/sources/fileStream";
import { readStream } from "../stream/stream-frame";
import type { ProgressRecord, StreamSource } from "../stream/types";
import { window } from "../stream/window";

/** Options of {@link startCourseQueries}; the query parameters default to the course's. */
export interface CourseQueriesOptions {
  /** The file stream's root (holding `locations/`, `accelerations/`); default `results/stream/input`. */
  input?: string;
  /** Output root: `simple/{locations,accelerations}`, `windowed/`, `stream-joined/`; default `results/stream/output`. */
  output?: string;
  /** The end of the input: when it settles (e.g. the replay's promise), the queries drain, flush and end. Default: run until stopped. */
  until?: Promise<unknown>;
  /** Watermark delay on `timestamp` (windowed, joined); default `"30 seconds"`. */
  watermark?: Duration;
  /** Window size (windowed); default `"15 seconds"`. */
  window?: Duration;
  /** Join time bound (joined); default `"1.5 seconds"`. */
  within?: Duration;
  /**
   * Checkpoint root: each query keeps its progress in `<checkpoint>/<query>`. Default
   * `<output>/../checkpoints` (`results/stream/checkpoints`); `false`: none.
   */
  checkpoint?: string | false;
  /**
   * Continue from the checkpoints (a run that was interrupted, with the replay resumed too:
   * `replay({ resume: true })`). Default false: a fresh run deletes them first, as the replay's
   * file sink empties the input and the parquet sinks their folders.
   */
  resume?: boolean;
  /** Aborting it stops every query after its batch in progress (no flush). */
  signal?: AbortSignal;
  /** Called after every micro-batch with its progress record and the query's name (`simple-locations`, `windowed`, `joined`, …). */
  onProgress?: (progress: ProgressRecord, query: string) => void;
}

/** The three running queries. */
export interface CourseQueries {
  /** The streaming queries of each course query (the simple query runs one per table). */
  readonly queries: Record<CourseQueryKind, StreamingQuery[]>;
  /** Output folders: `simple` → the two table folders; `windowed`, `joined` → one folder. */
  readonly outputs: { simple: Record<Table, string>; windowed: string; joined: string };
  /** Resolves with each query's summary once all ended; rejects with the first failure. */
  awaitTermination(): Promise<Record<CourseQueryKind, CourseQuerySummary>>;
  /** Stops all after the batch in progress (no flush) and resolves with the summaries. */
  stop(): Promise<Record<CourseQueryKind, CourseQuerySummary>>;
  summaries(): Record<CourseQueryKind, CourseQuerySummary>;
}

/**
 * Wraps a source so that it is exhausted once `ended()` was true before a poll that found nothing
 * new: everything the replay wrote before its end has then been read.
 */
export function untilEnded(source: StreamSource, ended: () => boolean): StreamSource {
  let drained = false;
  return {
    name: source.name,
    async poll(signal) {
      const endedBefore = ended(); // checked before listing, so no file renamed after it is missed
      const chunks = await source.poll(signal);
      if (endedBefore && chunks.every((c) => c.frame.height === 0)) drained = true;
      return chunks;
    },
    exhausted: () => drained || source.exhausted(),
    skipped: () => source.skipped(),
    close: () => source.close(),
    ...(source.replayable === undefined ? {} : { replayable: source.replayable }),
  };
}

/**
 * Starts the course's simple, windowed and joined queries on the file stream (parquet output under
 * `output`), with the course's parameters; pass the replay's promise as `until` and they end by
 * themselves, with every window final, once the replay has ended. Same queries and output schemas
 * as `simpleQuery()`, `windowedQuery()` (update mode) and `joinedQuery()` (full outer).
 *
 * @example
 * const run = replay({ data: "data/bdd", sinks: new FileSink({ out: "results/stream" }), speed: 10 });
 * const queries = startCourseQueries({ until: run, onProgress: (p, q) => console.log(q, p.batchId) });
 * const [replaySummary, summaries] = await Promise.all([run, queries.awaitTermination()]);
 * summaries.windowed.outputRows; // rows written to results/stream/output/windowed
 */
export function startCourseQueries(options: CourseQueriesOptions = {}): CourseQueries {
  if (options === null || typeof options !== "object") throw new OptionError("startCourseQueries", options, "an options object, or nothing for the course's defaults");
  if (options.until !== undefined && typeof (options.until as { then?: unknown })?.then !== "function") throw new OptionError("until", typeof options.until, "a promise that settles when the input ends, e.g. the replay() promise");
  const input = options.input ?? COURSE_QUERY_DEFAULTS.input;
  const output = options.output ?? COURSE_QUERY_DEFAULTS.output;
  const watermark = options.watermark ?? COURSE_QUERY_DEFAULTS.watermark;
  const within = options.within ?? COURSE_QUERY_DEFAULTS.within;
  const size = options.window ?? COURSE_QUERY_DEFAULTS.window;
  window("timestamp", size); // validates the duration before anything starts

  let ended = false;
  // A failed replay ends the input too: the queries keep what arrived, and the caller sees the replay's error.
  options.until?.then(() => { ended = true; }, () => { ended = true; });
  const source = (table: Table): StreamSource => untilEnded(fileStreamSource({ dir: path.join(input, table), name: table, table }), () => ended);
  const checkpoint = options.checkpoint === false ? undefined : (options.checkpoint ?? path.join(path.dirname(path.resolve(output)), "checkpoints"));
  if (options.resume === true && checkpoint === undefined) throw new OptionError("resume", true, "a checkpoint to resume from (checkpoint: false keeps none)");
  const write = (name: string, mode: "append" | "update", dir: string) => {
    const checkpointLocation = checkpoint === undefined ? undefined : path.join(checkpoint, name);
    // A fresh run: the input and the outputs start empty, so must the checkpoints.
    if (checkpointLocation !== undefined && options.resume !== true) rmSync(checkpointLocation, { recursive: true, force: true });
    return {
      name,
      mode,
      sinks: [parquetSink({ dir })],
      checkpointLocation,
      signal: options.signal,
      onProgress: options.onProgress === undefined ? undefined : (p: ProgressRecord) => options.onProgress!(p, name),
    };
  };

  const outputs = {
    simple: { locations: path.join(output, COURSE_OUTPUTS.simple, "locations"), accelerations: path.join(output, COURSE_OUTPUTS.simple, "accelerations") },
    windowed: path.join(output, COURSE_OUTPUTS.windowed),
    joined: path.join(output, COURSE_OUTPUTS.joined),
  };
  // The plans of lib/stream/queries.ts, on sources that end with the replay.
  const simple = (["locations", "accelerations"] as const).map((t) => readStream(source(t)).writeStream(write(`simple-${t}`, "append", outputs.simple[t])).start());
  const windowed = windowedSpeeds(source("locations"), { watermark, window: size }).writeStream(write("windowed", "update", outputs.windowed)).start();
  const joined = streamJoin(source("locations"), source("accelerations"), { watermark, within, how: "full" }).writeStream(write("joined", "append", outputs.joined)).start();

  const queries: Record<CourseQueryKind, StreamingQuery[]> = { simple, windowed: [windowed], joined: [joined] };
  const summaries = (): Record<CourseQueryKind, CourseQuerySummary> => ({
    simple: summarizeCourseQuery("simple", simple, Object.values(outputs.simple)),
    windowed: summarizeCourseQuery("windowed", [windowed], [outputs.windowed]),
    joined: summarizeCourseQuery("joined", [joined], [outputs.joined]),
  });
  const all = [...simple, windowed, joined];
  return {
    queries,
    outputs,
    summaries,
    async awaitTermination() {
      await awaitQueries(all); // one failing query stops the others
      return summaries();
    },
    async stop() {
      await Promise.all(all.map((q) => q.stop()));
      return summaries();
    },
  };
}
