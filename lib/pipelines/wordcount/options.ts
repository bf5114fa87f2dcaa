import { OptionError } from "../../errors";
import type { KafkaOptions } from "../../kafka";
import type { OutputMode, StreamSink } from "../../stream";

// The socket source is the engine's (lib/stream/sources/socket.ts); the word count re-exports its options.
export { SOCKET_SOURCE_DEFAULTS, resolvePort, type SocketSourceOptions } from "../../stream/sources/options";

/** Options of {@link textTopicSource}. */
export interface TextTopicSourceOptions {
  /** Topic of text lines (one line per message value); default `lines`. */
  topic?: string;
  /** Connection (bootstrap, topic prefix); default the project's Kafka config. */
  kafka?: KafkaOptions;
  /** Read up to the end as of the first poll, then be exhausted (the `once` trigger); default false. */
  once?: boolean;
  /** The input's name in the query; default `lines`. */
  name?: string;
}

export const TEXT_TOPIC_SOURCE_DEFAULTS = { topic: "lines", once: false, name: "lines" } as const;

/** Options of {@link wordCount}. */
export interface WordCountOptions {
  /** `update`: the words whose count changed in each micro-batch; `complete`: all counts each time. Default `update`. */
  mode?: Extract<OutputMode, "update" | "complete">;
  /** Where the counts go, e.g. `kafkaSink({ topic: "word-counts", key: "word" })` or a memory sink. */
  sinks: StreamSink[];
  /** `"once"` to stop when a bounded source is exhausted; default `"default"` (run until stopped). */
  trigger?: "once" | "default";
  signal?: AbortSignal;
}

export const WORD_COUNT_DEFAULTS = { mode: "update", trigger: "default", output: "word-counts" } as const;

export function resolveMode(mode: unknown): "update" | "complete" {
  const m = mode ?? WORD_COUNT_DEFAULTS.mode;
  if (m !== "update" && m !== "complete") throw new OptionError("mode", mode, 'expected "update" or "complete" (a running count without a window has no final rows for "append")');
  return m;
}
