/**
 * Batch reads: a topic from its earliest to its latest offset (high watermarks captured at the
 * start), like `spark.read.format("kafka")` or `kcat -C -o beginning -e`. Commits nothing.
 */
import type pl from "nodejs-polars";
import { KafkaError, OptionError } from "../errors";
import { KafkaAdmin } from "./admin";
import { resolveConfig } from "./config";
import { jsonMessagesToFrame, messagesToFrame, type MessagesToFrameOptions } from "./frame";
import { countOrInfinity, positiveInt } from "../options";
import type { KafkaOptions } from "./options";
import { subscribe } from "./consumer";
import { topicName } from "./topics";
import type { ConsumedMessage } from "./types";

export interface ReadTopicOptions extends KafkaOptions, MessagesToFrameOptions {
  /** Only this partition (default all). */
  partition?: number;
  /** With `partition`: the first offset (default the earliest stored). */
  offset?: number;
  /** At most this many messages (default all). */
  limit?: number;
  /** Give up when nothing arrives for this long while messages are still due (default 30000 ms). */
  idleTimeoutMs?: number;
  parseJson?: boolean;
  signal?: AbortSignal;
}

/**
 * The messages of a topic from the earliest offset (or `partition`/`offset`) to the end as it was
 * when the call started, sorted by partition then offset.
 *
 * @example
 * const messages = await readTopicMessages("events");
 * messages.length; // every event sent so far
 */
export async function readTopicMessages(name: string, options: ReadTopicOptions = {}): Promise<ConsumedMessage[]> {
  const config = resolveConfig(options);
  const limit = countOrInfinity("limit", options.limit, Infinity);
  const idleTimeoutMs = positiveInt("idleTimeoutMs", options.idleTimeoutMs, 30_000);
  if (options.offset !== undefined && options.partition === undefined) throw new OptionError("offset", options.offset, "an offset needs a partition too (offsets are per partition)");

  topicName(name, config); // a bad name fails before any network call
  const admin = await KafkaAdmin.connect(config);
  let description;
  try {
    description = await admin.describeTopic(name);
  } finally {
    await admin.close();
  }
  const { topic } = description;
  if (options.partition !== undefined && !description.partitions.some((p) => p.partition === options.partition)) {
    throw new OptionError("partition", options.partition, `topic ${topic} has partitions 0-${description.partitions.length - 1}`);
  }
  // Per partition: [start, end) as of now.
  const due = new Map(
    description.partitions
      .filter((p) => options.partition === undefined || p.partition === options.partition)
      .map((p) => [p.partition, { start: Math.max(p.low, options.offset ?? p.low), end: p.high }] as const)
      .filter(([, r]) => r.start < r.end),
  );
  if (due.size === 0 || limit === 0) return [];
  return readRanges(topic, due, { ...config, limit, idleTimeoutMs, parseJson: options.parseJson, signal: options.signal });
}

/** Messages a bounded read buffers before kafkajs pauses fetching (it drains them a fetch at a time). */
const READ_BUFFER = 50_000;

/** Per partition, the offsets to read: [start, end). */
export type OffsetRanges = Map<number, { start: number; end: number }>;

/**
 * The messages of `topic` in the given offset ranges (a checkpointed query re-reading a logged
 * batch), sorted by partition then offset. A range may end on a transaction marker (a topic written
 * in transactions): the consumer's position past it ends the range, not a message at `end - 1`.
 * Only committed messages are returned (read_committed).
 */
export async function readRanges(topic: string, ranges: OffsetRanges, options: KafkaOptions & { limit?: number; idleTimeoutMs?: number; parseJson?: boolean; signal?: AbortSignal } = {}): Promise<ConsumedMessage[]> {
  const config = resolveConfig(options);
  const limit = options.limit ?? Infinity;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const due: OffsetRanges = new Map([...ranges].filter(([, r]) => r.start < r.end));
  const out: ConsumedMessage[] = [];
  if (due.size === 0) return out;
  const startOffsets = Object.fromEntries([...due].map(([p, r]) => [p, r.start]));
  // A large buffer: the reader drains whole fetches at once, so kafkajs need not pause between them.
  const sub = await subscribe({ ...config, topics: [topic], from: "earliest", parseJson: options.parseJson, signal: options.signal, startOffsets, onlyListed: true, bufferSize: READ_BUFFER });
  const finished = () => {
    for (const [p, r] of due) if (sub.readPast(topic, p, r.end)) due.delete(p);
    return due.size === 0;
  };
  try {
    while (!finished() && out.length < limit) {
      const got = await sub.drain(limit - out.length, idleTimeoutMs, finished);
      if (got.length === 0) {
        if (sub.closed || due.size === 0) break; // aborted (return what was read), or read to the end
        const left = [...due].map(([p, r]) => `partition ${p} up to offset ${r.end - 1}`).join(", ");
        throw new KafkaError("KAFKA", `Reading ${topic} on ${config.bootstrap}: nothing arrived for ${idleTimeoutMs} ms while ${left} were still due (broker busy? raise idleTimeoutMs).`, { retriable: true, context: { broker: config.bootstrap, topic } });
      }
      for (const m of got) {
        const r = ranges.get(m.partition);
        if (r === undefined || m.offset < r.start || m.offset >= r.end) continue;
        if (out.length < limit) out.push(m);
      }
    }
  } finally {
    await sub.close();
  }
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/**
 * A topic read from the earliest to the latest offset into a polars DataFrame (columns `topic,
 * partition, offset, key, timestamp` + the JSON fields), like `spark.read.format("kafka")`.
 *
 * @example
 * const df = await readTopic("locations", { firstName: "John", lastName: "Doe" });
 * df.height; // 478 after a full replay of the course data
 * df.groupBy("uuid").agg(pl.col("partition").nUnique()); // 1 partition per ride
 */
export async function readTopic(name: string, options: ReadTopicOptions = {}): Promise<pl.DataFrame> {
  if (options.parseJson === false) return messagesToFrame(await readTopicMessages(name, options), options);
  // Values stay text until the frame is built: polars parses them all in one call.
  return jsonMessagesToFrame(await readTopicMessages(name, { ...options, parseJson: false }), options);
}
