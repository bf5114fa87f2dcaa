/**
 * The replay's progress log: one small JSON file saying which releases every sink has
 * acknowledged, and with which settings the run started, so `resume` can continue after the last
 * acknowledged release with the same event times.
 *
 * It is rewritten after each release (lib/files/atomic.ts: a write to a temp file, then a rename:
 * a killed process leaves either the old log or the new one, never half of one). It is not
 * fsync'ed: it survives a crashed or killed replay, not a power cut.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { OptionError, SinkError } from "../errors";
import { writeFileAtomicSync } from "../files/atomic";
import { TABLES, type Table } from "../dataset/types";
import type { ReplaySchedule, ReplaySpeed, ResolvedReplayOptions } from "./options";
import { checkSinks, latestMark } from "./resume";
import type { ReplaySink, ReplayStopReason } from "./types";

export const PROGRESS_LOG_VERSION = 1;

/** Folder of the default progress logs (relative to the working directory, like `results/stream`). */
export const PROGRESS_LOG_DIR = "results/replay";

/**
 * One release, identified so that releases can be ordered as the replay sends them: by due
 * moment, then table (locations first), then loop and source partition time (releases of one
 * table due at the same moment, cut from different partitions with `schedule: "row"`).
 */
export interface ReleaseMark {
  table: Table;
  /** Partition folder the batch is written under (shifted by the loop). */
  partition: string;
  loop: number;
  /** Simulated seconds at which it is due (includes the loop shift). */
  dueOffset: number;
  /** Time of the source partition, before the loop shift. */
  time: number;
}

/** A sink as the log records it. */
export interface SinkRecord {
  name: string;
  /** `sink.destination`, or null for a sink without one (memory). */
  destination: string | null;
  /** `sink.checkpoint()` after the last acknowledged release, or null. */
  state: unknown;
}

/** The content of the progress log file. */
export interface ReplayProgressLog {
  version: typeof PROGRESS_LOG_VERSION;
  /** Absolute dataset folder. */
  data: string;
  /** Fingerprint of the dataset's partitions and file names (see `datasetFingerprint`). */
  dataset: string;
  /** Event time of offset 0, epoch ms, and the same as ISO-8601 for people reading the file. */
  startMs: number;
  start: string;
  speed: ReplaySpeed;
  schedule: ReplaySchedule;
  loop: boolean;
  sinks: SinkRecord[];
  /** Releases every sink acknowledged, over the first run and every resume. */
  released: number;
  /** The last of them (every release ordered at or before it is acknowledged); null before the first. */
  last: ReleaseMark | null;
  /** The last acknowledged release of each table, and how many it had (for people reading the file). */
  tables: Partial<Record<Table, ReleaseMark & { releases: number }>>;
  /** "running" while a run is going (or after it was killed), else why it ended. */
  stopReason: ReplayStopReason | "running";
  createdAt: string;
  updatedAt: string;
}

/**
 * The default log of a run into these sinks: `results/replay/<sink names>-progress.json`, e.g.
 * `results/replay/files-progress.json`, so a file-stream replay and a Kafka replay running side by
 * side keep separate logs.
 */
export function defaultProgressLog(sinks: readonly Pick<ReplaySink, "name">[]): string {
  const names = sinks.map((s) => s.name.replace(/[^A-Za-z0-9_.-]+/g, "_")).join("+") || "replay";
  return path.resolve(PROGRESS_LOG_DIR, `${names}-progress.json`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isMark = (v: unknown): v is ReleaseMark =>
  isObject(v) && TABLES.includes(v.table as Table) && typeof v.partition === "string" && Number.isInteger(v.loop) && typeof v.dueOffset === "number" && typeof v.time === "number";

/** What is wrong with a parsed log, or undefined when it has every field with the right type. */
function problemOf(log: unknown): string | undefined {
  if (!isObject(log)) return "it is not a JSON object";
  if (log.version !== PROGRESS_LOG_VERSION) return `its version is ${JSON.stringify(log.version)}, this streamlab reads version ${PROGRESS_LOG_VERSION}`;
  const checks: [string, boolean][] = [
    ["data", typeof log.data === "string"],
    ["dataset", typeof log.dataset === "string"],
    ["startMs", typeof log.startMs === "number" && Number.isFinite(log.startMs)],
    ["speed", log.speed === "max" || (typeof log.speed === "number" && log.speed > 0)],
    ["schedule", log.schedule === "partition" || log.schedule === "row"],
    ["loop", typeof log.loop === "boolean"],
    ["sinks", Array.isArray(log.sinks) && log.sinks.every((s) => isObject(s) && typeof s.name === "string" && (s.destination === null || typeof s.destination === "string"))],
    ["released", Number.isInteger(log.released) && (log.released as number) >= 0],
    ["last", log.last === null || isMark(log.last)],
  ];
  const bad = checks.filter(([, ok]) => !ok).map(([k]) => k);
  return bad.length === 0 ? undefined : `field(s) ${bad.join(", ")} missing or invalid`;
}

/**
 * Reads a progress log; undefined when the file does not exist.
 * @throws OptionError (`progressLog`) when the file is not a progress log, saying to start over
 */
export async function readProgressLog(file: string): Promise<ReplayProgressLog | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new OptionError("progressLog", file, `a readable replay progress log (${(e as Error).message})`, e);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new OptionError("progressLog", file, `a replay progress log, but it is not JSON (${(e as Error).message}); delete it and start over without --resume`, e);
  }
  const problem = problemOf(parsed);
  if (problem !== undefined) throw new OptionError("progressLog", file, `a replay progress log, but ${problem}; delete it and start over without --resume`);
  return parsed as ReplayProgressLog;
}

/**
 * Replaces the log atomically (lib/files/atomic.ts: a hidden temp file in the same folder, renamed
 * over the log).
 * @throws SinkError (`SINK_IO`) naming the file when it cannot be written
 */
export async function writeProgressLog(file: string, log: ReplayProgressLog): Promise<void> {
  // Synchronous on purpose: a few hundred bytes right after a release, when the next one is
  // furthest away; the async calls' thread-pool round trips cost about three times as much
  // (+45 % instead of +25 % on a row-scheduled replay of 16,662 releases at speed max).
  writeFileAtomicSync(file, `${JSON.stringify(log, null, 2)}\n`, {
    sync: false,
    explain: (e) => `cannot write the replay's progress log: ${(e as Error).message}. Check the folder's permissions, or choose another file with --progress-log (progressLog).`,
  });
}

/** Creates the log's folder. @throws SinkError naming it */
export async function prepareProgressLogDir(file: string): Promise<void> {
  const dir = path.dirname(file);
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new SinkError(dir, `cannot create the folder of the replay's progress log: ${(e as Error).message}. Check its permissions, or choose another file with --progress-log (progressLog).`, e);
  }
}

/** The log of a fresh run, before its first release. */
export function freshLog(o: ResolvedReplayOptions, data: string, dataset: string, startMs: number, sinks: SinkRecord[]): ReplayProgressLog {
  const now = new Date().toISOString();
  return {
    version: PROGRESS_LOG_VERSION,
    data,
    dataset,
    startMs,
    start: new Date(startMs).toISOString(),
    speed: o.speed,
    schedule: o.schedule,
    loop: o.loop,
    sinks,
    released: 0,
    last: null,
    tables: {},
    stopReason: "running",
    createdAt: now,
    updatedAt: now,
  };
}

/** The sinks as the log records them, with their current checkpoints. */
export function sinkRecords(sinks: readonly ReplaySink[]): SinkRecord[] {
  return sinks.map((s) => ({ name: s.name, destination: s.destination ?? null, state: s.checkpoint?.() ?? null }));
}

/**
 * Keeps the log of one run: `acknowledge()` after each release every sink acknowledged, `finish()`
 * at the end. Each call rewrites the file (a few hundred bytes).
 */
export class ProgressTracker {
  constructor(readonly file: string, private log: ReplayProgressLog) {}

  /** The log as last written. */
  get current(): ReplayProgressLog {
    return this.log;
  }

  /** Writes the log as it is (the start of a fresh run). */
  save(sinks: readonly ReplaySink[]): Promise<void> {
    this.log = { ...this.log, sinks: sinkRecords(sinks), updatedAt: new Date().toISOString() };
    return writeProgressLog(this.file, this.log);
  }

  /** Records releases acknowledged by every sink, in the order they were sent. */
  acknowledge(marks: readonly ReleaseMark[], sinks: readonly ReplaySink[]): Promise<void> {
    if (marks.length === 0) return Promise.resolve();
    const tables = { ...this.log.tables };
    for (const m of marks) tables[m.table] = { ...m, releases: (tables[m.table]?.releases ?? 0) + 1 };
    this.log = { ...this.log, released: this.log.released + marks.length, last: latestMark([...marks, ...(this.log.last ? [this.log.last] : [])]) ?? null, tables, stopReason: "running" };
    return this.save(sinks);
  }

  /** Records why the run ended. */
  finish(stopReason: ReplayStopReason, sinks: readonly ReplaySink[]): Promise<void> {
    this.log = { ...this.log, stopReason };
    return this.save(sinks);
  }
}

/**
 * The log of an interrupted replay into these sinks (stopped by an interrupt, a kernel restart, a
 * crash or `kill -9` before its end), or undefined when the last run completed, ended by its time
 * or event limit, went elsewhere, or there is none: what a notebook checks to decide between
 * `resume: true` and a fresh run.
 *
 * @example
 * const sink = new FileSink({ out: "results/stream" });
 * const resume = (await interruptedReplay(sink)) !== undefined;
 * await replay({ data: "data/bdd", sinks: sink, resume });
 */
export async function interruptedReplay(sinks: ReplaySink | readonly ReplaySink[], progressLog?: string): Promise<ReplayProgressLog | undefined> {
  const list = Array.isArray(sinks) ? (sinks as readonly ReplaySink[]) : [sinks as ReplaySink];
  const log = await readProgressLog(path.resolve(progressLog ?? defaultProgressLog(list))).catch(() => undefined);
  if (log === undefined || (log.stopReason !== "running" && log.stopReason !== "aborted") || log.released === 0) return undefined;
  try {
    checkSinks(list, log.sinks, "");
  } catch {
    return undefined; // the log is another destination's
  }
  return log;
}
