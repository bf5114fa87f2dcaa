import { OptionError } from "../errors";
import type { ReplaySink } from "../replay/types";
import { FileSink } from "./files";
import { KafkaSink } from "./kafka";
import type { KafkaOptions } from "../kafka/options";

export * from "./files";
export * from "./memory";

/** The sinks the CLI can build by name. */
export type SinkKind = "files" | "kafka";
export const SINK_KINDS: readonly SinkKind[] = ["files", "kafka"];

/**
 * Options of `createSink`: each kind reads the fields it knows. The kafka sink takes the connection
 * options every Kafka helper takes ({@link KafkaOptions}: `bootstrap`, `preset`, `topicPrefix`,
 * `firstName` + `lastName`, …).
 */
export interface CreateSinkOptions extends KafkaOptions {
  /** files: output folder (default `results/stream`). */
  out?: string;
  /** files: append to `<out>/input/` instead of clearing it (default false). */
  keep?: boolean;
}

/**
 * Builds a replay sink by kind, as the CLI's `--sink` option names it.
 *
 * @example
 * const sink = createSink("files", { out: "results/stream" });
 * await replay({ sinks: sink, speed: "max" });
 */
export function createSink(kind: SinkKind, options: CreateSinkOptions = {}): ReplaySink {
  if (kind === "files") return new FileSink({ out: options.out, keep: options.keep });

  // ---- kafka: owned by the Kafka sink (lib/sinks/kafka.ts); replace only this branch. ----
  if (kind === "kafka") {
    const { out: _out, keep: _keep, ...kafka } = options;
    return new KafkaSink(kafka);
  }
  // ---- end kafka ----

  throw new OptionError("sink", kind, `one of ${SINK_KINDS.map((k) => `"${k}"`).join(", ")}`);
}
