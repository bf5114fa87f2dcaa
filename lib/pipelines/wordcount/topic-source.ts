import type { StreamSource } from "../../stream";
import { topicSource } from "../topic-source";
import { TEXT_TOPIC_SOURCE_DEFAULTS, type TextTopicSourceOptions } from "./options";
import { linesFrame } from "../../stream/sources/socket";

/**
 * A topic of plain text lines (one line per message, as `kafka-console-producer` writes them) as a
 * query input: `line` and `timestamp` (the broker timestamp). It reads from the earliest offset with
 * its own throwaway group and commits nothing. With `once`, it reads up to the end as of the first
 * poll, then is exhausted.
 *
 * @example
 * ```ts
 * const lines = textTopicSource({ topic: "lines", once: true });
 * ```
 */
export function textTopicSource(options: TextTopicSourceOptions = {}): StreamSource & { readonly topic: string } {
  return topicSource({
    topic: options.topic ?? TEXT_TOPIC_SOURCE_DEFAULTS.topic,
    name: options.name ?? TEXT_TOPIC_SOURCE_DEFAULTS.name,
    kafka: options.kafka,
    once: options.once ?? TEXT_TOPIC_SOURCE_DEFAULTS.once,
    rows: (messages) => ({ frame: linesFrame(messages.map((m) => m.raw ?? ""), messages.map((m) => m.timestamp.getTime())), skipped: [] }),
  });
}
