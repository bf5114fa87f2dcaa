/**
 * The whole course pipeline in one call (what `npm start` runs): replay a dataset into the file
 * stream while the three queries run on it, read their outputs back, chart them and write the
 * HTML report.
 */
import * as path from "node:path";
import type pl from "nodejs-polars";
import { OptionError } from "../errors";
import { interruptedReplay } from "../replay/progress-log";
import { replay } from "../replay/replay";
import type { ReplaySpeed } from "../replay/options";
import { formatSummary } from "../replay/summary";
import type { ReplayProgress, ReplaySummary } from "../replay/types";
import { FileSink } from "../sinks/files";
import type { CourseQueryKind, CourseQuerySummary } from "../stream/queries";
import { readParquetOutput } from "../stream/sinks/read";
import type { ProgressRecord } from "../stream/types";
import { accelerationFigure } from "./acceleration-chart";
import { startCourseQueries, type CourseQueries } from "./course-queries";
import { writeReport } from "./report";
import { latestWindows, speedFigure } from "./speed-chart";
import { trackFigure } from "./track-map";
import type { PlotlyFigure } from "./types";

/** Options of {@link runCoursePipeline}; every field has the default `npm start` uses. */
export interface CoursePipelineOptions {
  /** Dataset folder (BDD layout). Default `data/bdd`. */
  data?: string;
  /** File-stream folder: the replay writes `<out>/input`, the queries `<out>/output`. Default `results/stream`. */
  out?: string;
  /** Replay speed: 1 = real time, 10 = ten times faster, "max" = no waiting. Default "max". */
  speed?: ReplaySpeed;
  /** Event time of offset 0 (ISO-8601 or Date). Default: now. */
  start?: string | Date;
  /** Stop the replay after this many seconds of wall time (the queries then drain and flush). Default: none. */
  timeLimit?: number;
  /** Watermark delay (windowed, joined). Default `"30 seconds"`. */
  watermark?: string;
  /** Window size (windowed). Default `"15 seconds"`. */
  window?: string;
  /** Join time bound (joined). Default `"1.5 seconds"`. */
  within?: string;
  /**
   * Continue an interrupted run (Ctrl-C, a crash, a kernel restart): the replay after its last
   * acknowledged release (its progress log), the queries from their checkpoints
   * (`<out>/checkpoints`); nothing is cleared. Default false: a fresh run. `"auto"`: resume when
   * the last run into `<out>` was interrupted ({@link interruptedReplay}), else start fresh.
   */
  resume?: boolean | "auto";
  /** Aborting it stops the replay and the queries cleanly (no flush). */
  signal?: AbortSignal;
  onReplayProgress?: (progress: ReplayProgress) => void;
  onQueryProgress?: (progress: ProgressRecord, query: string) => void;
}

export const COURSE_PIPELINE_DEFAULTS = { data: "data/bdd", out: "results/stream", speed: "max" as ReplaySpeed } as const;

/** What {@link runCoursePipeline} resolves to. */
export interface CoursePipelineResult {
  replay: ReplaySummary;
  queries: Record<CourseQueryKind, CourseQuerySummary>;
  /** The queries' output folders. */
  outputs: CourseQueries["outputs"];
}

/**
 * Replays `data` into the file stream `<out>/input` while the course's simple, windowed and joined
 * queries run on it (output in `<out>/output`); once the replay has ended the queries read what is
 * left, flush every open window and unmatched join row, and end. Resolves with both summaries.
 *
 * @throws OptionError for a bad option; the replay's errors (e.g. NO_DATA for a missing dataset); QueryError when a query fails
 * @example
 * const result = await runCoursePipeline({ data: "data/bdd", speed: "max" });
 * console.log(formatPipelineSummary(result));
 * result.queries.windowed.rowsDroppedByWatermark; // 0 at speed "max"
 */
export async function runCoursePipeline(options: CoursePipelineOptions = {}): Promise<CoursePipelineResult> {
  if (options === null || typeof options !== "object") throw new OptionError("runCoursePipeline", options, "an options object, or nothing for the defaults");
  const data = options.data ?? COURSE_PIPELINE_DEFAULTS.data;
  const out = options.out ?? COURSE_PIPELINE_DEFAULTS.out;
  const sink = new FileSink({ out });
  const resume = options.resume === "auto" ? (await interruptedReplay(sink)) !== undefined : options.resume === true;
  // A fresh run clears <out>/input before the queries first look at it: they must not read a previous run's files.
  if (!resume) await sink.open();
  const run = replay({ data, sinks: sink, speed: options.speed ?? COURSE_PIPELINE_DEFAULTS.speed, start: options.start, timeLimit: options.timeLimit, resume, signal: options.signal, onProgress: options.onReplayProgress });
  const queries = startCourseQueries({
    input: path.join(out, "input"), output: path.join(out, "output"), until: run,
    watermark: options.watermark, window: options.window, within: options.within,
    checkpoint: path.join(out, "checkpoints"), resume,
    signal: options.signal, onProgress: options.onQueryProgress,
  });
  const [replaySummary, summaries] = await Promise.all([run.catch(async (e) => { await queries.stop(); throw e; }), queries.awaitTermination()]);
  return { replay: replaySummary, queries: summaries, outputs: queries.outputs };
}

/** The query outputs the charts read. */
export interface CourseOutputs {
  /** The windowed output, latest row per (ride_id, window_start). */
  windowed: pl.DataFrame;
  /** The joined output. */
  joined: pl.DataFrame;
  /** The simple query's locations. */
  locations: pl.DataFrame;
}

/**
 * Reads the three queries' parquet output back (`readParquetOutput`), windows reduced to their
 * latest value.
 *
 * @param output the output root; default `results/stream/output`
 * @throws DataError (NO_DATA) when a query wrote nothing there yet
 * @example
 * const { windowed, joined, locations } = readCourseOutputs("results/stream/output");
 */
export function readCourseOutputs(output = "results/stream/output"): CourseOutputs {
  return {
    windowed: latestWindows(readParquetOutput(path.join(output, "windowed"))),
    joined: readParquetOutput(path.join(output, "stream-joined")),
    locations: readParquetOutput(path.join(output, "simple", "locations")),
  };
}

/** The three charts of the course. */
export interface CourseFigures {
  speed: PlotlyFigure;
  acceleration: PlotlyFigure;
  tracks: PlotlyFigure;
}

/**
 * The three charts from the query outputs: mean speed per ride over time, acceleration magnitude
 * against speed, the GPS tracks.
 *
 * @example
 * const figs = courseFigures(readCourseOutputs());
 * showFigure(figs.speed);
 */
export function courseFigures(outputs: CourseOutputs): CourseFigures {
  return { speed: speedFigure(outputs.windowed), acceleration: accelerationFigure(outputs.joined), tracks: trackFigure(outputs.locations) };
}

const int = (n: number): string => n.toLocaleString("en-US");

/**
 * The final results summary: the replay's (rows per table, lateness, skipped files, sink), then one
 * line per query (batches, input rows, output rows, rows dropped by the watermark, output folder)
 * and the files the queries skipped.
 *
 * @example
 * console.log(formatPipelineSummary(await runCoursePipeline()));
 */
export function formatPipelineSummary(result: CoursePipelineResult): string {
  const lines = [formatSummary(result.replay), "", "Queries (file stream → parquet):"];
  lines.push(`  ${"query".padEnd(9)} ${"batches".padStart(7)}  ${"input rows".padEnd(36)} ${"output rows".padStart(11)}  ${"dropped by watermark".padStart(20)}  output`);
  for (const [kind, s] of Object.entries(result.queries) as [CourseQueryKind, CourseQuerySummary][]) {
    const input = Object.entries(s.inputRows).map(([k, v]) => `${k}=${int(v)}`).join(" ");
    lines.push(`  ${kind.padEnd(9)} ${int(s.batches).padStart(7)}  ${input.padEnd(36)} ${int(s.outputRows).padStart(11)}  ${int(s.rowsDroppedByWatermark).padStart(20)}  ${s.outputs.join(", ")}`);
  }
  const skipped = Object.values(result.queries).flatMap((s) => s.skipped);
  const unique = [...new Map(skipped.map((k) => [`${k.code} ${k.path}`, k])).values()];
  lines.push(unique.length === 0 ? "  skipped by the queries: none" : `  skipped by the queries: ${unique.length}`);
  for (const k of unique) lines.push(`    [${k.code}] ${k.reason}`);
  const errors = Object.values(result.queries).flatMap((s) => s.errors);
  for (const e of errors) lines.push(`  error: ${e}`);
  return lines.join("\n");
}

/**
 * Writes the HTML report of a pipeline run: its summary and the three charts, plotly.js inlined.
 * Resolves with the report's absolute path.
 *
 * @param file default `results/report.html`
 * @example
 * const result = await runCoursePipeline();
 * console.log(await writeCourseReport(result)); // /…/results/report.html
 */
export async function writeCourseReport(result: CoursePipelineResult, file?: string): Promise<string> {
  const figs = courseFigures(readCourseOutputs(path.dirname(result.outputs.windowed)));
  return writeReport({
    title: "streamlab: the course pipeline",
    summary: formatPipelineSummary(result),
    sections: [
      { title: "Mean speed per ride over time", description: "The windowed query: mean GPS speed of each ride per event-time window (the latest value of each window).", figure: figs.speed },
      { title: "Acceleration magnitude against speed", description: "The joined query: each accelerometer row with the GPS fixes of the same ride within the join's time bound; |a| = √(x²+y²+z²).", figure: figs.acceleration },
      { title: "GPS tracks", description: "The simple query's locations: one panel per area the rides were recorded in, equal distances on both axes. Drag to zoom into a track.", figure: figs.tracks },
    ],
  }, file);
}
