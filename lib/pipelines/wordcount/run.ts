import { OptionError } from "../../errors";
import { resolveConfig, topicName, type KafkaOptions } from "../../kafka";
import { consoleSink, kafkaSink, socketSource, type StreamingQuery, type StreamSink } from "../../stream";
import { WORD_COUNT_DEFAULTS } from "./options";
import { wordCount } from "./query";
import { textTopicSource } from "./topic-source";

/** Options of {@link startWordCountPipeline}. */
export interface WordCountPipelineOptions {
  /** Where lines come from: a Kafka topic or a TCP socket; default `topic`. */
  source?: "topic" | "socket";
  /** Input topic (source `topic`); default `lines`. */
  input?: string;
  /** Socket to read (source `socket`); default localhost:9999. */
  host?: string;
  port?: number;
  /** Output topic of the counts (key = word, value = `{"word","count","batch_id"}`); default `word-counts`. */
  output?: string;
  mode?: "update" | "complete";
  /** Topic source: read what is in the topic now, then stop; default false (run until stopped). */
  once?: boolean;
  /** Also print each micro-batch; default false. */
  console?: boolean;
  /** Extra sinks (a memory sink in a notebook). */
  sinks?: StreamSink[];
  kafka?: KafkaOptions;
  signal?: AbortSignal;
}

/**
 * The word count pipeline wired end to end: lines from a topic or a socket → running counts to
 * an output topic (and optionally the console).
 *
 * @example
 * ```ts
 * const { query, outputTopic } = startWordCountPipeline({ source: "topic", input: "lines", mode: "complete", once: true });
 * await query.awaitTermination();
 * ```
 */
export function startWordCountPipeline(options: WordCountPipelineOptions = {}): { query: StreamingQuery; outputTopic: string } {
  const kind = options.source ?? "topic";
  if (kind !== "topic" && kind !== "socket") throw new OptionError("source", options.source, 'expected "topic" or "socket"');
  const config = resolveConfig(options.kafka ?? {});
  const outputTopic = topicName(options.output ?? WORD_COUNT_DEFAULTS.output, config);
  const source = kind === "topic" ? textTopicSource({ topic: options.input, kafka: config, once: options.once }) : socketSource({ host: options.host, port: options.port });
  const sinks: StreamSink[] = [kafkaSink({ topic: outputTopic, key: "word", bootstrap: config.bootstrap }), ...(options.console ? [consoleSink()] : []), ...(options.sinks ?? [])];
  return { query: wordCount(source, { mode: options.mode, sinks, signal: options.signal }), outputTopic };
}
