import { existsSync } from "node:fs";
import type { Command } from "commander";
import { generateDataset, GENERATE_DEFAULTS } from "../../generate";
import { Replay } from "../../replay/replay";
import type { ReplaySummary } from "../../replay/types";
import { FileSink, FILE_SINK_DEFAULTS } from "../../sinks/files";
import { runReplayCommand } from "./replay";

/** Options of the main job; every field has the default the README's quick start uses. */
export interface MainJobOptions {
  /** Dataset folder; generated with the generator's defaults when missing. Default `data/bdd`. */
  data?: string;
  /** File-stream output folder. Default `results/stream`. */
  out?: string;
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
 * Step 2 of the main job: replay the dataset at speed "max" into the file stream, print the summary.
 * Later steps (queries, report) chain after it.
 */
export async function replayStep(options: Required<MainJobOptions>): Promise<ReplaySummary> {
  return runReplayCommand((signal, onProgress) => new Replay({ data: options.data, sinks: new FileSink({ out: options.out }), speed: "max", signal, onProgress }));
}

export function register(program: Command): void {
  program
    .command("main")
    .description("The main job (npm start): generate data/bdd if it is missing, replay it at full speed into the file stream results/stream, and print the summary.")
    .option("--data <dir>", "dataset folder (generated with the generator's defaults when missing)", "data/bdd")
    .option("--out <dir>", "file-stream output folder (input/ and staging/ are cleared first)", FILE_SINK_DEFAULTS.out)
    .addHelpText("after", "\nSame as: npx streamlab generate (if needed) && npx streamlab replay --speed max --out results/stream")
    .action(async (opts: Required<MainJobOptions>) => {
      await ensureDataset(opts.data);
      await replayStep(opts);
    });
}
