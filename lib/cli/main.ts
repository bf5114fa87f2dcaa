import { Command, CommanderError } from "commander";
import { isStreamlabError, OptionError, StreamlabError } from "../errors";
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

/** `maxEvents` → `--max-events`. */
const flagOf = (option: string): string => (option.startsWith("-") ? option : `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);

/**
 * An OptionError raised by the library for a value the user gave as a flag of `command` names the
 * flag (`--window`), not the library option (`window=`). Other errors are returned unchanged.
 */
export function asCliError(e: unknown, command: Command | undefined): unknown {
  if (!(e instanceof OptionError) || command === undefined || e.option.startsWith("-")) return e;
  const flag = flagOf(e.option);
  return command.options.some((o) => o.long === flag) ? e.renamed(flag) : e;
}

/**
 * What the CLI prints for an error: `error [CODE]: message`, then each StreamlabError cause that
 * adds something (`caused by [BROKER_UNREACHABLE]: …`), so the fix the cause suggests is never lost
 * behind a generic wrapper such as "query failed".
 */
export function formatCliError(e: StreamlabError): string {
  const lines = [`error [${e.code}]: ${e.message}`];
  const seen = new Set<unknown>([e]);
  for (let c = e.cause; c instanceof StreamlabError && !seen.has(c); c = c.cause) {
    seen.add(c);
    const text = c.message;
    lines.push(lines.some((l) => l.includes(text)) ? `  caused by [${c.code}]` : `  caused by [${c.code}]: ${text}`);
  }
  return lines.join("\n");
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 failure, 2 bad usage, 130 interrupted). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let running: Command | undefined;
  program.hook("preAction", (_program, command) => {
    running = command;
  });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (caught) {
    const e = asCliError(caught, running);
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isStreamlabError(e, "ABORTED")) return 130;
    if (isStreamlabError(e)) {
      console.error(formatCliError(e));
      return e.code === "BAD_OPTION" ? 2 : 1;
    }
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    return 1;
  }
}
