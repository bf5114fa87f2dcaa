import type { Skipped } from "../../dataset/types";
import { KafkaError } from "../../errors";
import { resolveConfig, subscribe, type KafkaSubscription } from "../../kafka";
import type { StreamSource } from "../../stream";
import { endOffsets } from "../kafka";
import { TEXT_TOPIC_SOURCE_DEFAULTS, type TextTopicSourceOptions } from "./options";
import { linesFrame } from "../../stream/sources/socket";

/** Most messages one poll hands to the engine (bounds a micro-batch). */
const MAX_POLL = 10_000;
/** Once: give up when nothing arrives for this long while messages are still due. */
const ONCE_IDLE_LIMIT_MS = 30_000;

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
  const config = resolveConfig(options.kafka ?? {});
  const name = options.topic ?? TEXT_TOPIC_SOURCE_DEFAULTS.topic;
  const once = options.once ?? TEXT_TOPIC_SOURCE_DEFAULTS.once;
  let sub: KafkaSubscription | undefined;
  // once: per partition, the offset to reach.
  let ends: Map<number, number> | undefined;
  let due: Set<number> | undefined;
  let done = false;

  return {
    name: options.name ?? TEXT_TOPIC_SOURCE_DEFAULTS.name,
    topic: name,
    async poll(signal?: AbortSignal) {
      if (done) return [];
      if (sub === undefined) {
        if (once) {
          ends = new Map([...(await endOffsets(config, name))].filter(([, o]) => o.high > o.low).map(([p, o]) => [p, o.high]));
          due = new Set(ends.keys());
          if (due.size === 0) {
            done = true;
            return [];
          }
        }
        sub = await subscribe({ ...config, topics: [name], from: "earliest", parseJson: false, signal });
      }
      // Once: wait for the due messages (an empty poll would end a `once` query early); else a short poll.
      const first = await sub.next(once ? ONCE_IDLE_LIMIT_MS : 300);
      if (first === undefined) {
        if (once && !sub.closed) throw new KafkaError("KAFKA", `Reading ${sub.topics[0]} on ${config.bootstrap}: nothing arrived for ${ONCE_IDLE_LIMIT_MS} ms while messages were still due.`, { retriable: true, context: { broker: config.bootstrap, topic: sub.topics[0] } });
        return [];
      }
      let messages = [first, ...(await sub.takeMessages({ n: MAX_POLL - 1, timeoutMs: 50 }))];
      if (ends !== undefined && due !== undefined) {
        const end = ends;
        // Past the end captured at the first poll: not this bounded run's input.
        messages = messages.filter((m) => m.offset < (end.get(m.partition) ?? 0));
        for (const m of messages) if (m.offset >= (end.get(m.partition) ?? 0) - 1) due.delete(m.partition);
        if (due.size === 0) done = true;
      }
      if (messages.length === 0) return [];
      return [{ frame: linesFrame(messages.map((m) => m.raw ?? ""), messages.map((m) => m.timestamp.getTime())) }];
    },
    exhausted: () => done,
    skipped: (): Skipped[] => [],
    async close() {
      done = true;
      await sub?.close();
    },
  };
}
