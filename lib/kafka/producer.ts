/**
 * An idempotent producer (acks from all in-sync replicas) that reports each message's delivery
 * (topic, partition, offset) and counts acknowledgements per topic and partition.
 */
import type { Producer } from "kafkajs";
import { kafkajs } from "./kafkajs";
import { AbortedError, KafkaError, OptionError } from "../errors";
import { positiveInt } from "../options";
import { KafkaAdmin } from "./admin";
import { createClient, retryWithin } from "./client";
import { resolveConfig } from "./config";
import { asKafkaError } from "./failures";
import { writeFrames } from "./frame-writer";
import type { FrameToMessagesOptions } from "./messages";
import type { KafkaOptions } from "./options";
import { topicName } from "./topics";
import type pl from "nodejs-polars";
import type { DeliveryReport, KafkaConfig, OutgoingMessage } from "./types";
import { kafkajsSender, platformaticSender, producerClient, type ProducerClient, type RoutedMessage, type Sender } from "./senders";

export interface ProducerOptions extends KafkaOptions {
  /** Called once per acknowledged message, like the course's send callback. */
  onDelivery?: (report: DeliveryReport) => void;
  /** Create a topic on first send when it is missing (default true, with `partitions`). */
  createTopics?: boolean;
  /** Partitions of topics the producer creates (default 3). */
  partitions?: number;
  /**
   * Makes the producer transactional ({@link KafkaProducer.sendTransaction}): a stable id per
   * writer, so that a restarted writer fences its dead predecessor and aborts its open transaction.
   */
  transactionalId?: string;
  /**
   * Connections to send on (default 1). kafkajs's idempotent producer sends one request at a time
   * per broker; with more, the partitions are spread over them (partition p always on connection
   * p mod n, so each key keeps its order and its idempotence sequence) and requests for different
   * partitions are in flight together. Not with `transactionalId` (a transaction is one producer's).
   */
  connections?: number;
  /**
   * The client for plain sends (default `platformatic`, or `STREAMLAB_KAFKA_CLIENT`): see
   * lib/kafka/senders.ts. A transactional producer always uses kafkajs.
   */
  client?: ProducerClient;
}

/** A consumer-group offset committed inside a transaction: the writer's own record of what it wrote. */
export interface TransactionMarker {
  group: string;
  topic: string;
  partition: number;
  offset: number;
}

/** Bytes of keys and values per produce request: well below the broker's default 1 MiB limit. */
export const REQUEST_BYTES = 512 * 1024;

/** Splits messages into runs of at most `maxBytes` (key + value); a larger message goes alone. */
export function chunksOfBytes<M extends { key: string | null; value: string }>(messages: M[], maxBytes: number): M[][] {
  const chunks: M[][] = [];
  let chunk: M[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = Buffer.byteLength(m.value) + (m.key === null ? 0 : Buffer.byteLength(m.key));
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

type PartitionFn = (args: { topic: string; partitionMetadata: Array<{ partitionId: number; leader: number }>; message: { key: string | null; value: string } }) => number;

/**
 * A connected producer. `send` resolves once every message is acknowledged.
 *
 * @example
 * const producer = await KafkaProducer.connect({ firstName: "John", lastName: "Doe", onDelivery: (r) => console.log(r) });
 * await producer.sendFrame("locations", frame, { keyField: "uuid" });
 * console.log(producer.stats()); // { messages: 478, "DoeJohn-locations": 478, "DoeJohn-locations[0]": 160, … }
 * await producer.close();
 */
export class KafkaProducer {
  private readonly partitioner: PartitionFn = kafkajs.Partitioners.DefaultPartitioner() as unknown as PartitionFn;
  /** Per topic, each key's partition: murmur2 once per distinct key (a replay has a few hundred rides, 200,000 rows). */
  private readonly keyPartitions = new Map<string, Map<string, number>>();
  /** Per topic, its partition layout (the promise: concurrent first sends share one lookup, and queue in call order). */
  private readonly partitionMeta = new Map<string, Promise<Array<{ partitionId: number; leader: number }>>>();
  private readonly acked = new Map<string, number>();
  private total = 0;
  private closed = false;

  /** Per connection, the end of its queue of sends: a connection sends in call order. */
  private readonly tails: Promise<unknown>[];
  private readonly senders: Sender[];

  /** `producers`: kafkajs's, for a transactional producer (one); `senders` for plain sends otherwise. */
  private constructor(readonly config: KafkaConfig, private readonly producers: Producer[], senders: Sender[], private readonly admin: KafkaAdmin, private readonly options: ProducerOptions) {
    this.senders = senders.length > 0 ? senders : producers.map(kafkajsSender);
    this.tails = this.senders.map(() => Promise.resolve());
  }

  /** The transactional producer (kafkajs). */
  private get producer(): Producer {
    return this.producers[0];
  }

  static async connect(options: ProducerOptions = {}): Promise<KafkaProducer> {
    const config = resolveConfig(options);
    const connections = positiveInt("connections", options.connections, 1);
    if (connections > 1 && options.transactionalId !== undefined) throw new OptionError("connections", connections, "1 with a transactionalId (a transaction belongs to one producer)");
    const client = options.transactionalId === undefined ? producerClient(options.client) : "kafkajs";
    const admin = await KafkaAdmin.connect(config); // probes the brokers first: BROKER_UNREACHABLE in seconds
    if (client === "platformatic") {
      const made = await Promise.allSettled(Array.from({ length: connections }, () => platformaticSender(config)));
      const senders = made.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      const failed = made.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) {
        await Promise.all(senders.map((s) => s.close()));
        await admin.close();
        throw asKafkaError(failed.reason, config);
      }
      return new KafkaProducer(config, [], senders, admin, options);
    }
    // Idempotent: a retried send never duplicates; kafkajs sets acks=-1 (all in-sync replicas) for it.
    // Bounded retries so a broker that dies mid-run ends in an error instead of a silent hang.
    const retry = retryWithin(config.retryBudgetMs);
    const kafka = createClient(config, retry.retries);
    const producers = Array.from({ length: connections }, () => kafka.producer({
      idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry,
      // Every message carries its partition (routed above): kafkajs need not hash it again.
      createPartitioner: () => ({ message }: { message: { partition?: number } }) => message.partition!,
      ...(options.transactionalId === undefined ? {} : { transactionalId: options.transactionalId }),
    }));
    try {
      await Promise.all(producers.map((p) => p.connect()));
    } catch (e) {
      await admin.close();
      await Promise.all(producers.map((p) => p.disconnect().catch(() => {})));
      throw asKafkaError(e, config);
    }
    return new KafkaProducer(config, producers, [], admin, options);
  }

  /** The full (prefixed) topic name. */
  topic(name: string): string {
    return topicName(name, this.config);
  }

  /**
   * Sends messages to one topic as one batch; resolves with one delivery report per message once
   * all are acknowledged.
   *
   * @example
   * const reports = await producer.send("events", [{ key: "user1", value: JSON.stringify({ event_type: "default" }) }]);
   * reports[0]; // { topic: "events", partition: 1, offset: 0, key: "user1" }
   */
  async send(name: string, messages: OutgoingMessage[], signal?: AbortSignal): Promise<DeliveryReport[]> {
    if (this.closed) throw new KafkaError("KAFKA", "This producer is closed; connect a new one.");
    if (signal?.aborted) throw new AbortedError("Kafka send");
    const topic = this.topic(name);
    if (messages.length === 0) return [];
    const meta = await this.partitions(topic);
    const routed = messages.map((m) => this.route(topic, meta, m));
    const n = this.senders.length;
    const groups: (typeof routed)[] = Array.from({ length: n }, () => []);
    for (const m of routed) groups[m.partition % n].push(m);
    const sent = await Promise.all(groups.map((group, i) => (group.length === 0 ? [] : this.enqueue(i, () => this.sendRouted(this.senders[i], topic, group)))));
    const reports = sent.flat();
    this.acknowledged(topic, reports);
    return reports;
  }

  /**
   * Sends messages to one topic in one Kafka transaction (needs `transactionalId`), with `marker`
   * committed in the same transaction: consumers reading committed messages (kafkajs's default,
   * `read_committed`) see all of them once the call resolves, or none if it fails. A restart reads
   * the marker back ({@link committedOffset}) to learn what was written. `beforeCommit` runs
   * between the sends and the commit (fault injection in tests).
   *
   * @example
   * await producer.sendTransaction("DoeJane-windowed", messages, { group: "streamlab-sink-…", topic: "DoeJane-windowed", partition: 0, offset: batchId + 1 });
   */
  async sendTransaction(name: string, messages: OutgoingMessage[], marker?: TransactionMarker, beforeCommit?: () => void): Promise<DeliveryReport[]> {
    if (this.closed) throw new KafkaError("KAFKA", "This producer is closed; connect a new one.");
    if (this.options.transactionalId === undefined) throw new KafkaError("KAFKA", "sendTransaction needs a transactional producer: connect with { transactionalId }.");
    const topic = this.topic(name);
    const meta = messages.length === 0 ? [] : await this.partitions(topic);
    const routed = messages.map((m) => this.route(topic, meta, m));
    let txn;
    try {
      txn = await this.producer.transaction();
    } catch (e) {
      throw asKafkaError(e, this.config, topic);
    }
    try {
      const reports = await this.sendRouted(kafkajsSender(txn), topic, routed);
      if (marker !== undefined) await txn.sendOffsets({ consumerGroupId: marker.group, topics: [{ topic: marker.topic, partitions: [{ partition: marker.partition, offset: String(marker.offset) }] }] });
      beforeCommit?.();
      await txn.commit();
      this.acknowledged(topic, reports);
      return reports;
    } catch (e) {
      await txn.abort().catch(() => {});
      throw asKafkaError(e, this.config, topic);
    }
  }

  /**
   * Takes over the transactional id: the broker fences any earlier producer with it and finishes
   * (aborts) its open transaction. kafkajs does this only when a first transaction begins, so a
   * restart calls it before reading its marker ({@link committedOffset}).
   */
  async fence(): Promise<void> {
    try {
      await (await this.producer.transaction()).abort(); // empty: nothing goes to the broker but the init
    } catch (e) {
      throw asKafkaError(e, this.config);
    }
  }

  /** The offset `group` committed on `topic`'s `partition` (a transaction marker), or null. */
  async committedOffset(group: string, topic: string, partition: number): Promise<number | null> {
    return this.admin.committedOffset(group, this.topic(topic), partition);
  }

  /** Runs `send` on connection `i` after the sends queued there before it (per-partition order across calls). */
  private enqueue<T>(i: number, send: () => Promise<T>): Promise<T> {
    const run = this.tails[i].then(send);
    this.tails[i] = run.catch(() => undefined);
    return run;
  }

  private route(topic: string, meta: Array<{ partitionId: number; leader: number }>, m: OutgoingMessage): RoutedMessage {
    return {
      key: m.key,
      value: m.value,
      ...(m.timestamp === undefined ? {} : { timestamp: String(m.timestamp) }),
      partition: m.partition ?? this.partitionOf(topic, meta, m),
    };
  }

  /** The default partitioner's choice (murmur2 of the key, as the Java client), cached per key. */
  private partitionOf(topic: string, meta: Array<{ partitionId: number; leader: number }>, m: OutgoingMessage): number {
    if (m.key === null) return this.partitioner({ topic, partitionMetadata: meta, message: { key: null, value: m.value } }); // round robin
    let keys = this.keyPartitions.get(topic);
    if (keys === undefined) this.keyPartitions.set(topic, (keys = new Map()));
    let p = keys.get(m.key);
    if (p === undefined) keys.set(m.key, (p = this.partitioner({ topic, partitionMetadata: meta, message: { key: m.key, value: m.value } })));
    return p;
  }


  /**
   * One request per chunk: a whole replayed partition can exceed the broker's message.max.bytes
   * (1 MiB by default). Chunks go out one after another, so each partition keeps its order.
   */
  private async sendRouted(sender: Sender, topic: string, routed: RoutedMessage[]): Promise<DeliveryReport[]> {
    const reports: DeliveryReport[] = [];
    for (const chunk of chunksOfBytes(routed, REQUEST_BYTES)) {
      let base;
      try {
        base = await sender.send(topic, chunk);
      } catch (e) {
        throw asKafkaError(e, this.config, topic);
      }
      // Offsets in a partition follow the order of the request: base offset + position.
      const position = new Map<number, number>();
      for (const m of chunk) {
        const i = position.get(m.partition) ?? 0;
        position.set(m.partition, i + 1);
        reports.push({ topic, partition: m.partition, offset: (base.get(m.partition) ?? NaN) + i, key: m.key });
      }
    }
    return reports;
  }

  /** Counts acknowledged messages and calls `onDelivery`. */
  private acknowledged(topic: string, reports: DeliveryReport[]): void {
    const next = new Map<number, number>();
    for (const r of reports) next.set(r.partition, (next.get(r.partition) ?? 0) + 1);
    for (const [partition, n] of next) this.count(`${topic}[${partition}]`, n);
    this.count(topic, reports.length);
    this.total += reports.length;
    if (this.options.onDelivery) for (const r of reports) this.options.onDelivery(r);
  }

  /**
   * Sends every row of a frame as a JSON message (the frame writer, lib/kafka/frame-writer.ts).
   *
   * @example
   * await producer.sendFrame("locations", frame, { keyField: "uuid" });
   */
  sendFrame(name: string, frame: pl.DataFrame, options: FrameToMessagesOptions = {}, signal?: AbortSignal): Promise<DeliveryReport[]> {
    return writeFrames(this, name, frame, { ...options, signal });
  }

  /** Creates the topic when it is missing (unless `createTopics: false`; then TOPIC_MISSING). */
  async ensureTopic(name: string): Promise<void> {
    await this.partitions(this.topic(name));
  }

  /** Ensures the topic exists (unless `createTopics: false`) and returns its partition layout. */
  private partitions(topic: string): Promise<Array<{ partitionId: number; leader: number }>> {
    let known = this.partitionMeta.get(topic);
    if (known === undefined) {
      known = (async () => {
        if (this.options.createTopics !== false) await this.admin.createTopics(topic, { partitions: this.options.partitions });
        const d = await this.admin.describeTopic(topic);
        return d.partitions.map((p) => ({ partitionId: p.partition, leader: p.leader }));
      })();
      this.partitionMeta.set(topic, known);
      known.catch(() => this.partitionMeta.delete(topic)); // a failed lookup is tried again next time
    }
    return known;
  }

  private count(key: string, n: number): void {
    this.acked.set(key, (this.acked.get(key) ?? 0) + n);
  }

  /** Acknowledged messages: `messages` in all, per topic, and per `topic[partition]`. */
  stats(): Record<string, number> {
    return { messages: this.total, ...Object.fromEntries([...this.acked].sort(([a], [b]) => a.localeCompare(b))) };
  }

  /** Disconnects (pending sends finish first); safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.senders.map((s) => s.close()));
    await this.admin.close();
  }
}
