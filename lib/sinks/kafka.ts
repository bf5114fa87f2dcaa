import { KafkaError, OptionError } from "../errors";
import { KAFKA_DEFAULTS, type KafkaOptions } from "../kafka/options";
import { positiveInt } from "../options";
import { KafkaAdmin } from "../kafka/admin";
import { resolveConfig } from "../kafka/config";
import { frameToMessages } from "../kafka/messages";
import { KafkaProducer } from "../kafka/producer";
import { topicName } from "../kafka/topics";
import type { DeliveryReport, KafkaConfig, OutgoingMessage } from "../kafka/types";
import type { Table } from "../dataset/types";
import type { ReleaseBatch, ReplaySink } from "../replay/types";

/** Options of the replay's Kafka sink (plus the connection options of {@link KafkaOptions}). */
export interface KafkaReplaySinkOptions extends KafkaOptions {
  /** Partitions of the topics the sink creates when missing (default 3). */
  partitions?: number;
  /** Replication factor of the topics it creates (default 1, the local broker has one node). */
  replicationFactor?: number;
  /** Column used as the message key (default `uuid`: a ride always lands in one partition). */
  keyField?: string;
  /** Batches being sent at once when writes overlap (default 2); more callers wait. */
  maxInFlight?: number;
  /** Called for every acknowledged message (topic, partition, offset, key), like the course's send callback. */
  onDelivery?: (report: DeliveryReport) => void;
}

export const KAFKA_REPLAY_SINK_DEFAULTS = { partitions: KAFKA_DEFAULTS.partitions, replicationFactor: KAFKA_DEFAULTS.replicationFactor, keyField: "uuid", maxInFlight: 2 };

/**
 * Publishes the replay to Kafka: rows of `locations` go to `<prefix>-locations`, rows of
 * `accelerations` to `<prefix>-accelerations` (created at open when missing). Each row is one
 * message: key = its `uuid`, value = the row as JSON with `timestamp` as an ISO-8601 UTC string.
 * One send per released moment, on an idempotent producer (acks from all in-sync replicas);
 * `write` resolves only once Kafka acknowledged every message of the batch, and at most
 * `maxInFlight` batches are sent at once, so a slow broker slows the replay instead of filling memory.
 *
 * @example
 * const sink = new KafkaSink({ firstName: "John", lastName: "Doe" });
 * const summary = await replay({ data: "data/bdd", sinks: sink, speed: 10 });
 * sink.stats(); // { batches: 68, messages: 23990, "DoeJohn-locations": 478, "DoeJohn-locations[0]": 152, … }
 */
export class KafkaSink implements ReplaySink {
  readonly name = "kafka";
  readonly config: KafkaConfig;
  /** Topic per table, e.g. `{ locations: "DoeJohn-locations", accelerations: "DoeJohn-accelerations" }`. */
  readonly topics: Record<Table, string>;
  private readonly options: Required<Pick<KafkaReplaySinkOptions, "partitions" | "replicationFactor" | "keyField" | "maxInFlight">>;
  private producer: KafkaProducer | undefined;
  private inFlight = 0;
  private inFlightPeak = 0;
  private readonly queue: Array<() => void> = [];
  private batches = 0;
  private closed = false;

  constructor(private readonly sinkOptions: KafkaReplaySinkOptions = {}) {
    this.config = resolveConfig(sinkOptions);
    this.options = {
      partitions: positiveInt("partitions", sinkOptions.partitions, KAFKA_REPLAY_SINK_DEFAULTS.partitions),
      replicationFactor: positiveInt("replicationFactor", sinkOptions.replicationFactor, KAFKA_REPLAY_SINK_DEFAULTS.replicationFactor),
      keyField: sinkOptions.keyField ?? KAFKA_REPLAY_SINK_DEFAULTS.keyField,
      maxInFlight: positiveInt("maxInFlight", sinkOptions.maxInFlight, KAFKA_REPLAY_SINK_DEFAULTS.maxInFlight),
    };
    if (typeof this.options.keyField !== "string" || this.options.keyField === "") throw new OptionError("keyField", sinkOptions.keyField, "a column name, e.g. uuid");
    this.topics = { locations: topicName("locations", this.config), accelerations: topicName("accelerations", this.config) };
  }

  /** Connects (BROKER_UNREACHABLE within seconds if no broker answers) and creates missing topics. */
  async open(): Promise<void> {
    if (this.producer) return;
    const admin = await KafkaAdmin.connect(this.config);
    try {
      await admin.createTopics(Object.values(this.topics), { partitions: this.options.partitions, replicationFactor: this.options.replicationFactor });
    } finally {
      await admin.close();
    }
    this.producer = await KafkaProducer.connect({ ...this.config, createTopics: false, onDelivery: this.sinkOptions.onDelivery });
  }

  /** Sends the batch's rows as one batch; resolves when every message is acknowledged. */
  async write(batch: ReleaseBatch): Promise<void> {
    const producer = this.producer;
    if (!producer || this.closed) throw new KafkaError("KAFKA", `The Kafka sink is ${this.closed ? "closed" : "not open"}: call open() first.`, { context: { broker: this.config.bootstrap } });
    const topic = this.topics[batch.table];
    const messages: OutgoingMessage[] = [];
    for (const file of batch.files) {
      if (file.frame.height === 0) continue;
      if (!file.frame.columns.includes(this.options.keyField)) throw new OptionError("keyField", this.options.keyField, `a column of ${file.path} (${file.frame.columns.join(", ")})`);
      for (const m of frameToMessages(file.frame, { keyField: this.options.keyField })) messages.push(m);
    }
    if (messages.length === 0) return;
    await this.acquire();
    try {
      await producer.send(topic, messages);
      this.batches++;
    } finally {
      this.release();
    }
  }

  private async acquire(): Promise<void> {
    while (this.inFlight >= this.options.maxInFlight) await new Promise<void>((r) => this.queue.push(r));
    this.inFlight++;
    this.inFlightPeak = Math.max(this.inFlightPeak, this.inFlight);
  }

  private release(): void {
    this.inFlight--;
    this.queue.shift()?.();
  }

  /** Waits for the sends in flight, then disconnects; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.inFlight > 0) await new Promise<void>((r) => this.queue.push(r));
    await this.producer?.close();
  }

  /** `batches` sent, `inFlightPeak` (most batches sending at once), `messages` acknowledged, per topic and per `topic[partition]`. */
  stats(): Record<string, number> {
    return { batches: this.batches, inFlightPeak: this.inFlightPeak, ...(this.producer?.stats() ?? { messages: 0 }) };
  }
}
