import { constants } from "node:os";
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

/**
 * The exit code of a run stopped by a signal: 128 + its number, as shells report it (Ctrl-C/SIGINT
 * 130, SIGTERM 143). `withInterrupt` notes the signal on the AbortedError; a stop without one is Ctrl-C's.
 */
export function stoppedExitCode(e: StreamlabError): number {
  const signal = e.context.signal;
  const number = typeof signal === "string" ? constants.signals[signal as NodeJS.Signals] : undefined;
  return 128 + (number ?? constants.signals.SIGINT);
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 failure, 2 bad usage, 130 Ctrl-C, 143 SIGTERM). */
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
    if (isStreamlabError(e, "ABORTED")) return stoppedExitCode(e);
    if (isStreamlabError(e)) {
      console.error(formatCliError(e));
      return e.code === "BAD_OPTION" ? 2 : 1;
    }
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    return 1;
  }
}

/**
 * A closed stdout or stderr (the CLI piped into `head`, which exits after its lines) ends the run
 * quietly with status 0, as `git log | head` does, instead of an unhandled EPIPE error and a stack
 * trace. Other stream errors are thrown as before.
 */
export function exitQuietlyOnClosedPipe(streams: NodeJS.WritableStream[] = [process.stdout, process.stderr], exit: (code: number) => void = (code) => process.exit(code)): void {
  for (const stream of streams) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
      exit(0);
    });
  }
}

/** The `streamlab` command: {@link main} on the process's arguments, then exit with its code. */
export async function run(argv: string[] = process.argv): Promise<void> {
  exitQuietlyOnClosedPipe();
  process.exit(await main(argv));
}
