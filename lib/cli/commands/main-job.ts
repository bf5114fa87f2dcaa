import { existsSync } from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { AbortedError } from "../../errors";
import { generateDataset, GENERATE_DEFAULTS } from "../../generate";
import { REPORT_DEFAULTS } from "../../report/report";
import { formatPipelineSummary, runCoursePipeline, writeCourseReport, type CoursePipelineResult } from "../../report/pipeline";
import { parseSpeed } from "../../replay/options";
import { FILE_SINK_DEFAULTS } from "../../sinks/files";
import { withInterrupt } from "../flags";
import { progressPrinter } from "./replay";

/** Options of the main job; every field has the default the README's quick start uses. */
export interface MainJobOptions {
  /** Dataset folder; generated with the generator's defaults when missing. Default `data/bdd`. */
  data?: string;
  /** File-stream output folder (`input/` from the replay, `output/` from the queries). Default `results/stream`. */
  out?: string;
  /** The HTML report. Default `results/report.html`. */
  report?: string;
  /** Replay speed. Default "max". */
  speed?: string;
  /** Continue an interrupted run (replay progress log, query checkpoints) instead of starting over. Default false. */
  resume?: boolean;
}

/**
 * Step 1 of the main job: make sure the dataset exists (generate it with the defaults if not).
 * Returns true when it had to generate it.
 */
export async function ensureDataset(data: string, log: (line: string) => void = console.log): Promise<boolean> {
  if (existsSync(data)) return false;
  log(`${data} is missing: generating it (seed ${GENERATE_DEFAULTS.seed}, ${GENERATE_DEFAULTS.rides} rides, ${GENERATE_DEFAULTS.duration} s)...`);
  await generateDataset({ out: data });
  return true;
}

/**
 * Step 2 of the main job: replay the dataset into the file stream while the simple, windowed and
 * joined queries run on it; once the replay has ended they drain and flush. Prints the final
 * results summary. Ctrl-C stops everything cleanly (AbortedError: exit code 130).
 */
export async function pipelineStep(options: Required<Omit<MainJobOptions, "resume">> & Pick<MainJobOptions, "resume">): Promise<CoursePipelineResult> {
  return withInterrupt(async (signal) => {
    const progress = progressPrinter();
    try {
      const result = await runCoursePipeline({
        data: options.data, out: options.out, speed: parseSpeed(options.speed, "--speed"), resume: options.resume === true,
        signal, onReplayProgress: progress.onProgress,
      });
      progress.clear();
      console.log(formatPipelineSummary(result));
      if (signal.aborted) throw new AbortedError("The main job");
      return result;
    } finally {
      progress.clear();
    }
  });
}

export function register(program: Command): void {
  program
    .command("main")
    .description(
      "The main job (npm start): generate data/bdd if it is missing, replay it into the file stream results/stream while the simple, " +
        "windowed and joined queries run on it, print the results summary, and write the HTML report results/report.html.",
    )
    .option("--data <dir>", "dataset folder (generated with the generator's defaults when missing)", "data/bdd")
    .option("--out <dir>", "file-stream folder: the replay writes <out>/input (cleared first), the queries <out>/output", FILE_SINK_DEFAULTS.out)
    .option("--report <file>", "the HTML report (charts with plotly.js inlined: opens offline)", REPORT_DEFAULTS.file)
    .option("--speed <n|max>", '1 = real time, 10 = ten times faster, "max" = no waiting', "max")
    .option("--resume", "continue an interrupted run (Ctrl-C, a crash): the replay after its last acknowledged release, the queries from <out>/checkpoints")
    .addHelpText(
      "after",
      "\nSame as: npx streamlab generate (if needed), npx streamlab replay --speed max while npx streamlab query simple|windowed|joined run on\n" +
        "results/stream, then the charts (see docs/analysis.md) written to results/report.html.",
    )
    .action(async (opts: Required<Omit<MainJobOptions, "resume">> & Pick<MainJobOptions, "resume">) => {
      parseSpeed(opts.speed, "--speed"); // a bad value fails before any work
      await ensureDataset(opts.data);
      const result = await pipelineStep(opts);
      const file = await writeCourseReport(result, opts.report);
      const shown = path.relative(process.cwd(), file);
      console.log(`\nReport: ${shown.startsWith("..") ? file : shown} (open it in a browser; it works offline)`);
    });
}
