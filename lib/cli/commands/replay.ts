import type { Command } from "commander";
import { AbortedError } from "../../errors";
import { REPLAY_DEFAULTS, parseSpeed, SCHEDULES, type ReplaySchedule } from "../../replay/options";
import { Replay } from "../../replay/replay";
import { formatProgress, formatSummary } from "../../replay/summary";
import type { ReplayProgress, ReplaySummary } from "../../replay/types";
import { createSink, SINK_KINDS, type SinkKind } from "../../sinks";
import { FILE_SINK_DEFAULTS } from "../../sinks/files";
import { withBrokerHint } from "../../kafka/failures";
import { choiceOption, kafkaOptionsOf, numberFlag, withInterrupt, withKafkaFlags, type KafkaFlags } from "../flags";

interface CliOptions extends KafkaFlags {
  data: string;
  sink: SinkKind;
  out: string;
  keep?: boolean;
  speed: string;
  start?: string;
  schedule: ReplaySchedule;
  loop?: boolean;
  maxEvents?: string;
  timeLimit?: string;
  resume?: boolean;
  progressLog?: string;
}

/** A live progress line on stderr, redrawn at most every 100 ms, only on a terminal. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): { onProgress?: (p: ReplayProgress) => void; clear(): void } {
  if (stream.isTTY !== true) return { clear: () => undefined };
  let last = 0;
  let shown = false;
  return {
    onProgress: (p) => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      stream.write(`\r\x1b[2K${formatProgress(p)}`);
    },
    clear: () => {
      if (shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
}

/**
 * Runs a replay with SIGINT wired to a clean stop; prints the summary on stdout, even when
 * interrupted (then throws AbortedError so the CLI exits with 130).
 */
function runReplayCommand(build: (signal: AbortSignal, onProgress?: (p: ReplayProgress) => void) => Replay): Promise<ReplaySummary> {
  return withInterrupt(async (signal) => {
    const progress = progressPrinter();
    try {
      const summary = await build(signal, progress.onProgress).run();
      progress.clear();
      console.log(formatSummary(summary));
      if (summary.stopReason === "aborted") throw new AbortedError("The replay");
      return summary;
    } finally {
      progress.clear();
    }
  });
}

export function register(program: Command): void {
  const command = program
    .command("replay")
    .description(
      "Replay a BDD-layout dataset in real time: each t=SSS.S partition (or each row, with --schedule row) is released at start + offset/speed, " +
        "stamped with timestamp = start + offset, into a file stream (<out>/input/<table>/t=SSS.S/<uuid>.parquet, written via <out>/staging/ and an atomic rename) or Kafka.",
    )
    .option("--data <dir>", "dataset folder ({locations,accelerations}/t=SSS.S/*.parquet)", REPLAY_DEFAULTS.data)
    .addOption(choiceOption("--sink <kind>", "where released rows go", SINK_KINDS).default("files"))
    .option("--out <dir>", "files sink: output folder; input/ and staging/ are cleared at start (input/ is kept with --keep or --resume)", FILE_SINK_DEFAULTS.out)
    .option("--keep", "files sink: keep what <out>/input/ holds and add to it (taken names get a -1, -2 suffix)")
    .option("--speed <n|max>", '1 = real time, 10 = ten times faster, "max" = no waiting', String(REPLAY_DEFAULTS.speed))
    .option("--start <iso>", "event time of offset 0, ISO-8601 (UTC when no zone), e.g. 2020-01-01T00:00:00Z (default: now)")
    .addOption(choiceOption("--schedule <how>", "release whole partitions at their t= time, or rows at their own offset", SCHEDULES).default(REPLAY_DEFAULTS.schedule))
    .option("--loop", "start again when the data ends, event time continuing (loop k adds k x (last partition time + one partition interval))")
    .option("--max-events <n>", "stop after n releases (batches handed to the sink)")
    .option("--time-limit <seconds>", "stop after this many seconds of wall time")
    .option(
      "--resume",
      "continue the interrupted run recorded in the progress log: skip the releases it had acknowledged, same event times; " +
        "--data, --speed, --start, --schedule, --loop left out are taken from the log (repeat --sink, --out and the Kafka flags)",
    )
    .option("--progress-log <file>", "where the run records each release every sink acknowledged (default results/replay/<sink>-progress.json)");
  withKafkaFlags(command, "kafka sink: ")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  npx streamlab replay --speed max --start 2020-01-01T00:00:00Z --out results/stream",
        "  npx streamlab replay --data ../shared/data/bdd --speed 20",
        "  npx streamlab replay --loop --time-limit 600          # ten minutes of a never-ending stream",
        "  npx streamlab replay --sink kafka --first-name John --last-name Doe --speed 10   # topics DoeJohn-locations, DoeJohn-accelerations",
        "  npx streamlab replay --sink kafka --first-name John --last-name Doe --resume     # after a crash: continue where it stopped",
        "",
        "On a terminal a progress line (partition, rows, lateness) is drawn on stderr. At the end (also after",
        "Ctrl-C, which stops cleanly: exit code 130) a summary is printed: rows, files and partitions per table,",
        "files skipped and why, release lateness p50/p99/max, and the sink's counters.",
      ].join("\n"),
    )
    .action(async (opts: CliOptions, cmd: Command) => {
      // Resuming, a flag left at its default takes the interrupted run's value from the log instead.
      const resume = opts.resume === true;
      const given = (name: keyof CliOptions): boolean => !resume || cmd.getOptionValueSource(name) !== "default";
      const speed = given("speed") ? parseSpeed(opts.speed, "--speed") : undefined;
      const maxEvents = numberFlag("--max-events", opts.maxEvents, "a whole number of 1 or more");
      const timeLimit = numberFlag("--time-limit", opts.timeLimit, "a number of seconds above 0");
      try {
        await runReplayCommand((signal, onProgress) => {
          const sink = createSink(opts.sink, { out: opts.out, keep: opts.keep === true, ...kafkaOptionsOf(opts) });
          return new Replay({
            data: given("data") ? opts.data : undefined,
            sinks: sink,
            speed,
            start: opts.start,
            schedule: given("schedule") ? opts.schedule : undefined,
            loop: opts.loop === true ? true : resume ? undefined : false,
            maxEvents,
            timeLimit,
            signal,
            onProgress,
            resume,
            progressLog: opts.progressLog,
          });
        });
      } catch (e) {
        // The progress log knows what Kafka acknowledged: --resume continues from there.
        throw withBrokerHint(e, "Once it is back, run the same command with --resume: it continues after the last release every sink acknowledged.");
      }
    });
}
