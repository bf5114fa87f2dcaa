import type { Command } from "commander";
import { AbortedError, OptionError } from "../../errors";
import { withBrokerHint } from "../../kafka/failures";
import { formatQueryProgress } from "../../stream/progress";
import { COURSE_QUERIES, COURSE_QUERY_DEFAULTS, type CourseQueryKind, type CourseQueryOptions, type CourseQuerySummary, type QuerySinkKind, type QuerySourceKind } from "../../stream/queries";
import { QUERY_ENGINES, type JoinHow, type QueryEngine } from "../../stream/options";
import type { OutputMode } from "../../stream/types";
import { choiceOption, kafkaOptionsOf, wholeNumberFlag, withInterrupt, withKafkaFlags, type KafkaFlags } from "../flags";

interface CliOptions extends KafkaFlags {
  source?: string;
  input?: string;
  output?: string;
  watermark?: string;
  window?: string;
  slide?: string;
  within?: string;
  how?: string;
  mode?: string;
  trigger?: string;
  once?: boolean;
  sink?: string;
  maxFilesPerTrigger?: string;
  maxBytesPerTrigger?: string;
  maxRowsPerTrigger?: string;
  maxOffsetsPerTrigger?: string;
  batchPerPartition?: boolean;
  checkpoint?: string;
  /** `--dead-letter <dir>` gives a folder, `--no-dead-letter` false. */
  deadLetter?: string | false;
  engine?: string;
  master?: string;
}

const KINDS = Object.keys(COURSE_QUERIES) as CourseQueryKind[];

/** CLI flags → query options; the query helpers validate each value (OptionError names the option). */
export function queryOptionsFromCli(kind: string, cli: CliOptions, signal?: AbortSignal, onProgress?: CourseQueryOptions["onProgress"]): { kind: CourseQueryKind; options: CourseQueryOptions } {
  if (!KINDS.includes(kind as CourseQueryKind)) throw new OptionError("query", kind, `expected one of ${KINDS.join(", ")}`);
  if (cli.once && cli.trigger !== undefined) throw new OptionError("--trigger", cli.trigger, "give either --trigger DUR or --once, not both");
  return {
    kind: kind as CourseQueryKind,
    options: {
      source: cli.source as QuerySourceKind | undefined,
      input: cli.input,
      output: cli.output,
      sink: cli.sink as QuerySinkKind | undefined,
      watermark: cli.watermark,
      window: cli.window,
      slide: cli.slide,
      within: cli.within,
      how: cli.how as JoinHow | undefined,
      mode: cli.mode as OutputMode | undefined,
      trigger: cli.once ? "once" : cli.trigger,
      maxFilesPerTrigger: wholeNumberFlag("--max-files-per-trigger", cli.maxFilesPerTrigger, 1),
      maxBytesPerTrigger: wholeNumberFlag("--max-bytes-per-trigger", cli.maxBytesPerTrigger, 1),
      maxRowsPerTrigger: wholeNumberFlag("--max-rows-per-trigger", cli.maxRowsPerTrigger, 1),
      maxOffsetsPerTrigger: wholeNumberFlag("--max-offsets-per-trigger", cli.maxOffsetsPerTrigger, 1),
      batchPerPartition: cli.batchPerPartition,
      checkpoint: cli.checkpoint,
      deadLetter: cli.deadLetter,
      engine: cli.engine as QueryEngine | undefined,
      master: cli.master,
      ...kafkaOptionsOf(cli),
      signal,
      onProgress,
    },
  };
}

/** The final summary the CLI prints. */
export function formatCourseSummary(s: CourseQuerySummary): string {
  const inputs = Object.entries(s.inputRows).map(([k, v]) => `${k}=${v}`).join(" ") || "-";
  const lines = [
    `query ${s.kind}: ${s.batches} batches, input rows ${inputs}, output rows ${s.outputRows}, rows dropped by the watermark ${s.rowsDroppedByWatermark}, skipped ${s.skipped.length}`,
    ...s.outputs.map((o) => `  output: ${o}`),
    ...s.skipped.map((k) => `  skipped [${k.code}] ${k.path}: ${k.reason}`),
    ...s.errors.map((e) => `  error: ${e}`),
  ];
  return lines.join("\n");
}

export function register(program: Command): void {
  const command = program
    .command("query")
    .argument("<query>", `which course query: ${KINDS.join(" | ")}`)
    .description(
      "Run one of the course's streaming queries on the replay's output (the file stream or the Kafka topics):\n" +
        "  simple    every row unchanged → <output>/simple/{locations,accelerations}/ (Kafka: <prefix>-simple)\n" +
        "  windowed  mean speed per ride_id and event-time window, watermark on timestamp, update mode → <output>/windowed/ (Kafka: <prefix>-windowed)\n" +
        "  joined    locations ⋈ accelerations on uuid within a time bound, full outer → <output>/stream-joined/ (Kafka: <prefix>-joined)\n" +
        "Prints one progress line per micro-batch and a final summary (rows dropped by the watermark, skipped files). Ctrl-C stops cleanly.",
    )
    .option("--source <kind>", "input: files (the replay's file stream) or kafka (its topics)", COURSE_QUERY_DEFAULTS.source)
    .option("--input <dir>", "file stream root holding locations/ and accelerations/", COURSE_QUERY_DEFAULTS.input)
    .option("--output <dir>", "output root; each query writes its own folder in it", COURSE_QUERY_DEFAULTS.output)
    .option("--sink <kind>", "where results go: files, kafka or console (default: same as --source)")
    .option("--watermark <duration>", "watermark delay on timestamp (windowed, joined)", COURSE_QUERY_DEFAULTS.watermark)
    .option("--window <duration>", "window size (windowed)", COURSE_QUERY_DEFAULTS.window)
    .option("--slide <duration>", "window slide, <= window (windowed; default: tumbling)")
    .option("--within <duration>", "join time bound |loc.timestamp - acc.timestamp| <= within (joined)", COURSE_QUERY_DEFAULTS.within)
    .option("--how <type>", "join type: inner, left, right or full (joined)", COURSE_QUERY_DEFAULTS.how)
    .option("--mode <mode>", "output mode: append, update or complete (default: update for windowed, append otherwise)")
    .option("--trigger <duration>", "run a micro-batch every <duration> (default: as soon as new input is there)")
    .option("--once", "process what is available now in bounded micro-batches (Spark's availableNow), flush every window, then stop")
    .option("--max-files-per-trigger <n>", "file source: most files per micro-batch per table (default 1000)")
    .option("--max-bytes-per-trigger <n>", "file source: most bytes of files per micro-batch per table (default: no bound)")
    .option("--max-rows-per-trigger <n>", "file source: a micro-batch stops reading files at this many rows per table (default 500000)")
    .option("--max-offsets-per-trigger <n>", "kafka source: most messages per micro-batch per topic (default 50000)")
    .option("--batch-per-partition", "with --once: one micro-batch per t= partition, as the replay released them")
    .option("--dead-letter <dir>", "file source: bad files (copied) and rows without an event time go to <dir>/<table>/, each with a .reason.json (default <input>/<table>/_dead-letter)")
    .option("--no-dead-letter", "only count and report bad input: no dead-letter folder (file source) or topic (kafka source)")
    .addOption(choiceOption("--engine <engine>", "streamlab (this process) or spark: the same query as a PySpark program run by spark-submit (bash scripts/spark.sh setup installs pyspark)", QUERY_ENGINES).default("streamlab"))
    .option("--master <url>", "with --engine spark: local[2] (default), spark://HOST:7077, yarn or k8s://… for a cluster")
    .option("--checkpoint <dir>", "keep the query's progress in <dir>/<query>: run the same command again to resume where it stopped (file or kafka source; the kafka sink then writes each micro-batch in one transaction)");
  // With a prefix: reads <prefix>-locations / <prefix>-accelerations, writes <prefix>-simple / -windowed / -joined.
  withKafkaFlags(command, "kafka source/sink: ")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  npx streamlab replay --data data/bdd --speed max --start 2020-01-01T00:00:00Z --out results/stream\n" +
        "  npx streamlab query windowed --once\n" +
        "  npx streamlab query joined --once --max-files-per-trigger 5000   # fewer, larger micro-batches\n" +
        "  npx streamlab query windowed --checkpoint results/checkpoints   # stopped? the same command resumes\n" +
        "  npx streamlab query windowed --once --engine spark   # the same query on Apache Spark (local[2])\n" +
        "  npx streamlab query joined --engine spark --master spark://HOST:7077   # on a Spark cluster\n" +
        "  npx streamlab query joined --how inner --within \"1 second\" --sink console\n" +
        "  npx streamlab query windowed --source kafka --topic-prefix DoeJane --window \"30 seconds\" --slide \"15 seconds\"\n" +
        "  npx streamlab query joined --source kafka --first-name Jane --last-name Doe   # reads DoeJane-locations / -accelerations, writes DoeJane-joined\n" +
        "\nDurations: \"30 seconds\", \"15s\", \"1 minute\", \"500 ms\". Exit codes: 0 done, 1 failed, 2 bad option, 130 Ctrl-C, 143 SIGTERM.",
    )
    .action(async (kind: string, cli: CliOptions) => {
      await withInterrupt(async (signal) => {
        const { options } = queryOptionsFromCli(kind, cli, signal, (p, name) => console.log(`[${name}] ${formatQueryProgress(p)}`));
        const query = COURSE_QUERIES[kind as CourseQueryKind](options);
        let summary: CourseQuerySummary;
        try {
          summary = await query.awaitTermination();
        } catch (e) {
          console.log(formatCourseSummary(query.summary()));
          throw withBrokerHint(e, cli.checkpoint !== undefined
            ? "Once it is back, run the same command again: with its --checkpoint it resumes where it stopped."
            : "Once it is back, run the command again (it starts over; with --checkpoint DIR a rerun resumes where it stopped).");
        }
        console.log(formatCourseSummary(summary));
        if (signal.aborted) throw new AbortedError(`query ${kind}`);
      });
    });
}
