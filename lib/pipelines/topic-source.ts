import type pl from "nodejs-polars";
import type { Skipped } from "../dataset/types";
import { KafkaError } from "../errors";
import { positiveInt } from "../options";
import { resolveConfig, subscribe, type ConsumedMessage, type KafkaConfig, type KafkaOptions, type KafkaSubscription } from "../kafka";
import type { StreamSource } from "../stream";
import { endOffsets } from "./kafka";

/** Most messages one poll hands to the engine (bounds a micro-batch). */
const MAX_POLL = 10_000;
/** Once: give up when nothing arrives for this long while messages are still due. */
const ONCE_IDLE_LIMIT_MS = 30_000;

/** What a poll's messages become: the rows, and the messages that are not rows, with why. */
export interface TopicRows {
  frame: pl.DataFrame | null;
  skipped: Skipped[];
}

/** Options of {@link topicSource}. */
export interface TopicSourceOptions {
  /** The topic (prefixed by the connection's topic prefix, as everywhere). */
  topic: string;
  /** The input's name in the query. */
  name: string;
  /** Connection (bootstrap, topic prefix); default the project's Kafka config. */
  kafka?: KafkaOptions | KafkaConfig;
  /** Read up to the end as of the first poll, then be exhausted (the `once` trigger); default false. */
  once?: boolean;
  /**
   * Be exhausted after this many messages (rows or not), also while more arrive: a live run that
   * knows how many its input will hold (a store selling a known number of sales). Default no limit.
   */
  limit?: number;
  /** One poll's messages → rows; called once per poll. */
  rows(messages: ConsumedMessage[]): TopicRows;
}

/**
 * A topic of the pipelines' own message formats (text lines, sales) as a query input. It reads
 * from the earliest offset with its own throwaway group and commits nothing, so every run sees the
 * whole topic. With `once`, it reads up to the end as of the first poll, then is exhausted; with
 * `limit`, after that many messages. What `rows` passes over is reported by `skipped()`; `read` is
 * the number of messages handed to the query so far (rows and skipped).
 *
 * @example
 * ```ts
 * const lines = topicSource({ topic: "lines", name: "lines", once: true, rows: (ms) => ({ frame: linesFrame(ms.map((m) => m.raw ?? ""), ms.map((m) => m.timestamp.getTime())), skipped: [] }) });
 * ```
 */
export function topicSource(options: TopicSourceOptions): StreamSource & { readonly topic: string; readonly read: number } {
  const config = resolveConfig(options.kafka ?? {});
  const name = options.topic;
  const once = options.once ?? false;
  const limit = positiveInt("limit", options.limit, Infinity);
  let read = 0;
  const skips: Skipped[] = [];
  let sub: KafkaSubscription | undefined;
  // once: per partition, the offset to reach.
  let ends: Map<number, number> | undefined;
  let due: Set<number> | undefined;
  let done = false;

  return {
    name: options.name,
    topic: name,
    get read() {
      return read;
    },
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
      if (read + messages.length >= limit) {
        messages = messages.slice(0, limit - read);
        done = true;
      }
      read += messages.length;
      if (messages.length === 0) return [];
      const { frame, skipped } = options.rows(messages);
      skips.push(...skipped);
      return frame === null || frame.height === 0 ? [] : [{ frame }];
    },
    exhausted: () => done,
    skipped: (): Skipped[] => [...skips],
    async close() {
      done = true;
      await sub?.close();
    },
  };
}
