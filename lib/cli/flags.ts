/**
 * Flags shared by the commands, declared once so that they read and behave the same everywhere:
 * - numbers (`numberFlag`, `wholeNumberFlag`, `secondsFlag`) whose errors name the flag;
 * - the Kafka connection flags of every command that talks to Kafka (`topics`, `produce`,
 *   `consume`, `replay --sink kafka`, `query --source/--sink kafka`): bootstrap from `--bootstrap`,
 *   else `--preset`, else env KAFKA_BOOTSTRAP_SERVERS, else localhost:9092; topic prefix from
 *   `--topic-prefix`, else `--first-name` + `--last-name` (LastnameFirstname), else none;
 * - flags that take one of a fixed list of values (`choiceOption`), whose errors read like every other
 *   bad value (`error [BAD_OPTION]: Invalid option --sink "s3": expected one of files, kafka.`, exit 2);
 * - Ctrl-C (and SIGTERM) as an AbortSignal (`withInterrupt`).
 */
import { Option, type Command } from "commander";
import { isStreamlabError, OptionError } from "../errors";
import { KAFKA_PRESETS, type KafkaOptions } from "../kafka/options";
import type { KafkaPreset } from "../kafka/types";

/** The flags as commander parses them. */
export interface KafkaFlags {
  bootstrap?: string;
  preset?: KafkaPreset;
  topicPrefix?: string;
  firstName?: string;
  lastName?: string;
  retryBudget?: string;
}

/**
 * Adds `--bootstrap`, `--preset`, `--topic-prefix`, `--first-name`, `--last-name` to `cmd`.
 * @param scope prefixed to each help text, e.g. `"kafka sink: "` when only some runs use Kafka
 */
export function withKafkaFlags(cmd: Command, scope = ""): Command {
  const presets = Object.entries(KAFKA_PRESETS).map(([k, v]) => `${k} = ${v}`).join(", ");
  return cmd
    .option("--bootstrap <host:port>", `${scope}bootstrap server(s), comma-separated (default: env KAFKA_BOOTSTRAP_SERVERS, else localhost:9092)`)
    .addOption(choiceOption("--preset <name>", `${scope}a named cluster instead of --bootstrap (${presets})`, Object.keys(KAFKA_PRESETS)))
    .option("--topic-prefix <prefix>", `${scope}prefix topic names as <prefix>-<name> (default: no prefix; names already carrying it stay as they are)`)
    .option("--first-name <name>", `${scope}with --last-name: the course's prefix LastnameFirstname (e.g. Doe + John = DoeJohn)`)
    .option("--last-name <name>", `${scope}see --first-name`)
    .option("--retry-budget <s>", `${scope}keep retrying a broker that stopped answering for <s> seconds before BROKER_UNREACHABLE (default 60)`);
}

/**
 * A flag whose value must be one of `choices` (listed in the help like commander's `.choices()`); any
 * other value throws an OptionError naming the flag, so it is reported like every other bad value
 * instead of in commander's own format. Chain `.default(…)` as usual.
 *
 * @example
 * cmd.addOption(choiceOption("--format <fmt>", "how to print", ["value", "key", "pretty"]).default("value"));
 */
export function choiceOption(flags: string, description: string, choices: readonly string[]): Option {
  const option = new Option(flags, description).choices(choices);
  const flag = option.long ?? option.name();
  return option.argParser((raw: string) => {
    if (!choices.includes(raw)) throw new OptionError(flag, raw, `expected one of ${choices.join(", ")}`);
    return raw;
  });
}

/** The flags as {@link KafkaOptions} (kafkaConfig validates them and names the flag in errors). */
export function kafkaOptionsOf(flags: KafkaFlags): KafkaOptions {
  const seconds = numberFlag("--retry-budget", flags.retryBudget, "a number of seconds > 0");
  if (seconds !== undefined && !(seconds > 0)) throw new OptionError("--retry-budget", flags.retryBudget, "a number of seconds > 0");
  return {
    bootstrap: flags.bootstrap, preset: flags.preset, topicPrefix: flags.topicPrefix, firstName: flags.firstName, lastName: flags.lastName,
    ...(seconds === undefined ? {} : { retryBudgetMs: Math.round(seconds * 1000) }),
  };
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

/** The signals {@link withInterrupt} turns into a clean stop. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * Runs `task` with an AbortSignal that Ctrl-C (SIGINT) or SIGTERM aborts, so a long run stops
 * cleanly instead of killing the process; the handlers are removed on every path (success, error,
 * abort). A command that was stopped prints its summary, then throws AbortedError; this notes the
 * signal on it (`context.signal`), so the CLI exits with 130 after Ctrl-C and 143 after SIGTERM.
 *
 * @example
 * await withInterrupt((signal) => generateDataset({ ...options, signal }));
 */
export async function withInterrupt<T>(task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => controller.abort(signal);
  for (const s of STOP_SIGNALS) process.once(s, onSignal);
  try {
    return await task(controller.signal);
  } catch (e) {
    const reason: unknown = controller.signal.reason;
    if (isStreamlabError(e, "ABORTED") && controller.signal.aborted && typeof reason === "string") e.context.signal ??= reason;
    throw e;
  } finally {
    for (const s of STOP_SIGNALS) process.removeListener(s, onSignal);
  }
}
