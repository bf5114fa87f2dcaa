import path from "node:path";
import { OptionError } from "../errors";
import { oneOf, optionalBoolean, positiveInt, positiveNumber } from "../options";
import { discoverDataset, readPartition, type ReadOptions } from "../dataset";
import { WorkerReader } from "../dataset/worker-reader";
import type { DatasetScan, Partition, PartitionData } from "../dataset/types";
import { systemClock, type Clock } from "./clock";
import { defaultProgressLog } from "./progress-log";
import type { ResumableOption } from "./resume";
import type { ReplayProgress, ReplaySink } from "./types";

/** How releases are timed: by partition folder time, or by each row's own `offset`. */
export type ReplaySchedule = "partition" | "row";
export const SCHEDULES: readonly ReplaySchedule[] = ["partition", "row"];

/** 1 = real time, 10 = ten times faster, "max" = no waiting at all. */
export type ReplaySpeed = number | "max";

/** Where the replay gets its partitions; the dataset module by default, fakes in unit tests. */
export interface DatasetReader {
  discover(root: string): Promise<DatasetScan>;
  /** `pause` is awaited between files (see {@link ReadOptions}). */
  read(partition: Partition, options?: Pick<ReadOptions, "pause">): Promise<PartitionData>;
  /** Optional: starts reading a partition that `read` will ask for next (a reader working in the background). */
  prefetch?(partition: Partition): void;
  /** Optional: called once when the run ends. */
  close?(): Promise<void>;
}

/** The main-thread reader: `discoverDataset` + `readPartition` of lib/dataset (`readInWorker: false`). */
export const datasetReader: DatasetReader = { discover: (root) => discoverDataset(root), read: (p, options) => readPartition(p, options) };

/** The default reader: `discoverDataset`, and `readPartition` on a worker thread (lib/dataset/worker-reader.ts). */
export function workerDatasetReader(): DatasetReader {
  const worker = new WorkerReader();
  return { discover: (root) => discoverDataset(root), read: (p, options) => worker.read(p, options), prefetch: (p) => worker.prefetch(p), close: () => worker.close() };
}

/** Options of `replay()` / `new Replay()`. Every field is optional except `sinks`. */
export interface ReplayOptions {
  /** BDD-layout dataset folder. Default `data/bdd`. */
  data?: string;
  /** Where released rows go: one sink or several (e.g. `new FileSink()`, a Kafka sink). */
  sinks: ReplaySink | ReplaySink[];
  /** 1 = real time, 10 = ten times faster, "max" = as fast as possible. Default 1. */
  speed?: ReplaySpeed;
  /** Event time of offset 0: `timestamp = start + offset`. ISO-8601 (UTC when no zone) or Date. Default: now. */
  start?: string | Date;
  /** Start again when the data ends, event time continuing (loop k adds k × loop period). Default false. */
  loop?: boolean;
  /** Stop after this many seconds of wall time. Default: no limit. */
  timeLimit?: number;
  /** Stop after this many releases (batches handed to the sinks). Default: no limit. */
  maxEvents?: number;
  /** Release whole partitions at their `t=` time, or rows at their own `offset`. Default "partition". */
  schedule?: ReplaySchedule;
  /** Aborting it stops the run cleanly: the batch in flight completes, sinks close, a summary returns. */
  signal?: AbortSignal;
  /** Called after every release (keep it cheap: it runs on the replay's critical path). */
  onProgress?: (progress: ReplayProgress) => void;
  /** Time source. Default: the real clock. Tests pass a `FakeClock`. */
  clock?: Clock;
  /** Where partitions come from. Default: lib/dataset (`discoverDataset`, `readPartition` on a worker thread: `readInWorker`). */
  reader?: DatasetReader;
  /**
   * Decode the parquet files on a worker thread (beside the sends, never blocking a release) rather
   * than on the main thread. Same rows either way; falls back to the main thread if the worker
   * cannot run. Ignored with `reader`. Default true.
   */
  readInWorker?: boolean;
  /**
   * Continue the interrupted run recorded in `progressLog`: skip every release it had acknowledged
   * and publish the rest with the same event times. `data`, `speed`, `start`, `schedule` and `loop`
   * left out take the log's values; different ones (or other sinks) are refused. Default false.
   */
  resume?: boolean;
  /**
   * The JSON file where the run records, after each release every sink acknowledged, how far it got.
   * Default `results/replay/<sink names>-progress.json` (e.g. `files-progress.json`); false keeps none.
   */
  progressLog?: string | false;
}

export interface ResolvedReplayOptions {
  data: string;
  sinks: ReplaySink[];
  speed: ReplaySpeed;
  /** Epoch milliseconds of offset 0, or undefined for "now when the run starts". */
  startMs: number | undefined;
  loop: boolean;
  timeLimit: number | undefined;
  maxEvents: number | undefined;
  schedule: ReplaySchedule;
  signal: AbortSignal | undefined;
  onProgress: ((progress: ReplayProgress) => void) | undefined;
  clock: Clock;
  reader: DatasetReader;
  resume: boolean;
  /** Absolute path of the progress log, or undefined with `progressLog: false`. */
  progressLog: string | undefined;
  /** The options left to their default, which a resumed run takes from the progress log instead. */
  unset: ReadonlySet<ResumableOption>;
}

export const REPLAY_DEFAULTS = { data: "data/bdd", speed: 1 as ReplaySpeed, loop: false, schedule: "partition" as ReplaySchedule };

/**
 * Parses a speed as the CLI gets it: a positive number ("20", "0.5") or "max".
 *
 * @example
 * parseSpeed("20");  // 20
 * parseSpeed("max"); // "max"
 */
export function parseSpeed(value: string | number, option = "speed"): ReplaySpeed {
  if (value === "max") return "max";
  const n = typeof value === "number" ? value : value.trim() === "" ? NaN : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new OptionError(option, value, 'a number above 0 (1 = real time, 10 = ten times faster) or "max"');
  return n;
}

/**
 * Parses a start instant: a Date or an ISO-8601 string; a date-time without a zone is read as UTC.
 *
 * @example
 * parseStart("2020-01-01T00:00:00Z"); // 1577836800000
 * parseStart("2020-01-01T00:00:00");  // 1577836800000 (UTC)
 */
export function parseStart(value: string | Date, option = "start"): number {
  const expected = 'an ISO-8601 date-time such as "2020-01-01T00:00:00Z", or a Date';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new OptionError(option, String(value), expected);
    return value.getTime();
  }
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i.test(value.trim())) {
    throw new OptionError(option, value, expected);
  }
  const text = value.trim().replace(" ", "T");
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) || !text.includes("T") ? text : `${text}Z`;
  const ms = Date.parse(zoned);
  if (Number.isNaN(ms)) throw new OptionError(option, value, expected);
  return ms;
}

function isSink(s: unknown): s is ReplaySink {
  const o = s as Partial<ReplaySink> | null;
  return typeof o === "object" && o !== null && ["open", "write", "close", "stats"].every((k) => typeof (o as Record<string, unknown>)[k] === "function");
}

/** Applies the defaults and validates every option; throws OptionError (BAD_OPTION) naming the option. */
export function resolveReplayOptions(options: ReplayOptions): ResolvedReplayOptions {
  if (typeof options !== "object" || options === null) throw new OptionError("options", options, "an options object such as { sinks: new FileSink() }");
  const data = options.data ?? REPLAY_DEFAULTS.data;
  if (typeof data !== "string" || data.trim() === "") throw new OptionError("data", data, 'the path of a BDD-layout folder, e.g. "data/bdd"');
  const sinks = options.sinks === undefined ? [] : Array.isArray(options.sinks) ? options.sinks : [options.sinks];
  if (sinks.length === 0 || !sinks.every(isSink)) {
    throw new OptionError("sinks", sinks.map((s) => (isSink(s) ? s.name : typeof s)), "one or more sinks with open/write/close/stats, e.g. new FileSink({ out: \"results/stream\" })");
  }
  const names = sinks.map((s) => s.name);
  if (new Set(names).size !== names.length) throw new OptionError("sinks", names, "sinks with distinct names (the summary reports each sink under its name)");
  const speed = parseSpeed(options.speed ?? REPLAY_DEFAULTS.speed);
  const startMs = options.start === undefined ? undefined : parseStart(options.start);
  const loop = optionalBoolean("loop", options.loop, REPLAY_DEFAULTS.loop);
  const schedule = oneOf("schedule", options.schedule, SCHEDULES, REPLAY_DEFAULTS.schedule);
  const timeLimit = positiveNumber("timeLimit", options.timeLimit, undefined, "a number of seconds above 0");
  const maxEvents = positiveInt("maxEvents", options.maxEvents, undefined);
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new OptionError("signal", typeof signal, "an AbortSignal (from new AbortController().signal)");
  const onProgress = options.onProgress;
  if (onProgress !== undefined && typeof onProgress !== "function") throw new OptionError("onProgress", typeof onProgress, "a function (progress) => void");
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== "function" || typeof clock?.sleepUntil !== "function") throw new OptionError("clock", typeof clock, "a Clock with now() and sleepUntil(t, signal)");
  const readInWorker = optionalBoolean("readInWorker", options.readInWorker, true);
  const reader = options.reader ?? (readInWorker ? workerDatasetReader() : datasetReader);
  if (typeof reader?.discover !== "function" || typeof reader?.read !== "function") throw new OptionError("reader", typeof reader, "a DatasetReader with discover(root) and read(partition)");
  const resume = optionalBoolean("resume", options.resume, false);
  const log = options.progressLog;
  if (log !== undefined && log !== false && (typeof log !== "string" || log.trim() === "")) throw new OptionError("progressLog", log, 'a file path such as "results/replay/files-progress.json", or false to keep no log');
  if (resume && log === false) throw new OptionError("resume", resume, "false when progressLog is false: a run resumes from its progress log");
  const progressLog = log === false ? undefined : path.resolve(log ?? defaultProgressLog(sinks));
  const unset = new Set((["data", "speed", "start", "schedule", "loop"] as const).filter((k) => options[k] === undefined));
  return { data, sinks, speed, startMs, loop, timeLimit, maxEvents, schedule, signal, onProgress, clock, reader, resume, progressLog, unset };
}
