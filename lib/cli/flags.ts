/**
 * Flags shared by the commands, declared once so that they read and behave the same everywhere:
 * - numbers (`numberFlag`, `wholeNumberFlag`, `secondsFlag`) whose errors name the flag;
 * - the Kafka connection flags of every command that talks to Kafka (`topics`, `produce`,
 *   `consume`, `replay --sink kafka`, `query --source/--sink kafka`): bootstrap from `--bootstrap`,
 *   else `--preset`, else env KAFKA_BOOTSTRAP_SERVERS, else localhost:9092; topic prefix from
 *   `--topic-prefix`, else `--first-name` + `--last-name` (LastnameFirstname), else none;
 * - Ctrl-C as an AbortSignal (`withInterrupt`).
 */
import { Option, type Command } from "commander";
import { OptionError } from "../errors";
import { KAFKA_PRESETS, type KafkaOptions } from "../kafka/options";
import type { KafkaPreset } from "../kafka/types";

/** The flags as commander parses them. */
export interface KafkaFlags {
  bootstrap?: string;
  preset?: KafkaPreset;
  topicPrefix?: string;
  firstName?: string;
  lastName?: string;
}

/**
 * Adds `--bootstrap`, `--preset`, `--topic-prefix`, `--first-name`, `--last-name` to `cmd`.
 * @param scope prefixed to each help text, e.g. `"kafka sink: "` when only some runs use Kafka
 */
export function withKafkaFlags(cmd: Command, scope = ""): Command {
  const presets = Object.entries(KAFKA_PRESETS).map(([k, v]) => `${k} = ${v}`).join(", ");
  return cmd
    .option("--bootstrap <host:port>", `${scope}bootstrap server(s), comma-separated (default: env KAFKA_BOOTSTRAP_SERVERS, else localhost:9092)`)
    .addOption(new Option("--preset <name>", `${scope}a named cluster instead of --bootstrap (${presets})`).choices(Object.keys(KAFKA_PRESETS)))
    .option("--topic-prefix <prefix>", `${scope}prefix topic names as <prefix>-<name> (default: no prefix; names already carrying it stay as they are)`)
    .option("--first-name <name>", `${scope}with --last-name: the course's prefix LastnameFirstname (e.g. Doe + John = DoeJohn)`)
    .option("--last-name <name>", `${scope}see --first-name`);
}

/** The flags as {@link KafkaOptions} (kafkaConfig validates them and names the flag in errors). */
export function kafkaOptionsOf(flags: KafkaFlags): KafkaOptions {
  return { bootstrap: flags.bootstrap, preset: flags.preset, topicPrefix: flags.topicPrefix, firstName: flags.firstName, lastName: flags.lastName };
}

/**
 * A number typed on the command line, or undefined when the flag was not given; the library then
 * checks its range (and its errors name the flag too, see `asCliError` in main.ts).
 */
export function numberFlag(flag: string, raw: string | undefined, expected = "a number"): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n)) throw new OptionError(flag, raw, expected);
  return n;
}

/** A whole number >= `min` typed on the command line, or undefined when the flag was not given. */
export function wholeNumberFlag(flag: string, raw: string | undefined, min: number): number | undefined {
  const n = numberFlag(flag, raw, `a whole number >= ${min}`);
  if (n !== undefined && (!Number.isInteger(n) || n < min)) throw new OptionError(flag, raw, `a whole number >= ${min}`);
  return n;
}

/** A number of seconds above 0 typed on the command line, or undefined when the flag was not given. */
export function secondsFlag(flag: string, raw: string | undefined): number | undefined {
  const n = numberFlag(flag, raw, "a number of seconds above 0");
  if (n !== undefined && n <= 0) throw new OptionError(flag, raw, "a number of seconds above 0");
  return n;
}

/**
 * Runs `task` with an AbortSignal that Ctrl-C (SIGINT) aborts, so a long run stops cleanly instead
 * of killing the process; the handler is removed on every path (success, error, abort).
 *
 * @example
 * await withInterrupt((signal) => generateDataset({ ...options, signal }));
 */
export async function withInterrupt<T>(task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once("SIGINT", onSigint);
  try {
    return await task(controller.signal);
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
}
