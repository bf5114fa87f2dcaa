import { Command, CommanderError } from "commander";
import { isStreamlabError } from "../errors";
import * as generate from "./commands/generate";
import * as replay from "./commands/replay";
import * as kafka from "./commands/kafka";
import * as query from "./commands/query";
import * as pipelines from "./commands/pipelines";
import * as mainJob from "./commands/main-job";

/** Every command module registers its sub-command(s) on the program. */
const COMMANDS = [mainJob, generate, replay, kafka, query, pipelines];

export function buildProgram(): Command {
  const program = new Command("streamlab")
    .description("Replay, publish and process real-time data streams (Kafka, parquet file streams, polars).")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  for (const command of COMMANDS) command.register(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 failure, 2 bad usage, 130 interrupted). */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isStreamlabError(e, "ABORTED")) return 130;
    if (isStreamlabError(e)) {
      console.error(`error [${e.code}]: ${e.message}`);
      return e.code === "BAD_OPTION" ? 2 : 1;
    }
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    return 1;
  }
}
