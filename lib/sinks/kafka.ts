import pl from "nodejs-polars";
import { KafkaError, OptionError } from "../errors";
import { KAFKA_DEFAULTS, type KafkaOptions } from "../kafka/options";
import { positiveInt } from "../options";
import { KafkaAdmin } from "../kafka/admin";
import { resolveConfig } from "../kafka/config";
import { framesToMessages, writeMessages } from "../kafka/frame-writer";
import { KafkaProducer } from "../kafka/producer";
import { producerClient, type ProducerClient } from "../kafka/senders";
import { readTopicMessages } from "../kafka/read";
import { topicName } from "../kafka/topics";
import type { DeliveryReport, KafkaConfig, OutgoingMessage } from "../kafka/types";
import type { Table } from "../dataset/types";
import { yieldToEventLoop } from "../replay/batches";
import type { ReleaseBatch, ReplaySink, ReplaySinkOpenContext } from "../replay/types";
import { isKafkaSinkState, LandedMessages, landedRanges, type KafkaSinkState } from "./kafka-resume";

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
  /** The producer's client (default `platformatic`, or `STREAMLAB_KAFKA_CLIENT`; see lib/kafka/senders.ts). */
  client?: ProducerClient;
}

/** Rows encoded per polars call in `prepare` (a few ms each), so a release due meanwhile is not held up. */
export const ENCODE_ROWS = 4_096;

function concatOrEmpty(frames: pl.DataFrame[]): pl.DataFrame {
  return frames.length === 0 ? pl.DataFrame() : frames.length === 1 ? frames[0] : pl.concat(frames, { how: "diagonalRelaxed" });
}

export const KAFKA_REPLAY_SINK_DEFAULTS = { partitions: KAFKA_DEFAULTS.partitions, replicationFactor: KAFKA_DEFAULTS.replicationFactor, keyField: "uuid", maxInFlight: 2 };

/**
 * Publishes the replay to Kafka: rows of `locations` go to `<prefix>-locations`, rows of
 * `accelerations` to `<prefix>-accelerations` (created at open when missing). Each row is one
 * message: key = its `uuid`, value = the row as JSON with `timestamp` as an ISO-8601 UTC string
 * (the frame writer, lib/kafka/frame-writer.ts).
 * One send per released moment, on an idempotent producer (acks from all in-sync replicas);
 * `write` resolves only once Kafka acknowledged every message of the batch, and at most
 * `maxInFlight` batches are sent at once, so a slow broker slows the replay instead of filling memory.
 *
 * `checkpoint()` is the next offset of every topic partition; a resumed replay hands it back to
 * `open({ resume })`, which reads what landed beyond it (the release in flight when the previous
 * run died) and leaves those messages out when that release is sent again (see kafka-resume.ts).
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
  /** One producer per table: an acknowledgement of one table's release never delays the other's. */
  private producers: Record<Table, KafkaProducer> | undefined;
  /** Per table, sends in flight and the releases waiting for one to finish. */
  private readonly inFlight: Record<Table, number> = { locations: 0, accelerations: 0 };
  private inFlightPeak = 0;
  private readonly queue: Record<Table, Array<() => void>> = { locations: [], accelerations: [] };
  private batches = 0;
  private closed = false;
  /** Next offset per partition, per topic: where the topics ended at open, moved on by every acknowledgement. */
  private readonly next = new Map<string, Map<number, number>>();
  private landed: LandedMessages | undefined;
  private readonly client: ProducerClient;
  /** Messages encoded by `prepare`, per batch, until `write` sends them. */
  private readonly prepared = new WeakMap<ReleaseBatch, OutgoingMessage[]>();

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
    this.client = producerClient(sinkOptions.client);
  }

  /** Broker and topics: a resumed replay must publish to the same ones. */
  get destination(): string {
    return `${this.config.bootstrap} ${this.topics.locations},${this.topics.accelerations}`;
  }

  /**
   * Connects (BROKER_UNREACHABLE within seconds if no broker answers), creates missing topics and
   * notes where each partition ends. Resuming, it reads back what landed after the recorded offsets.
   */
  async open(context: ReplaySinkOpenContext = {}): Promise<void> {
    if (this.producers) return;
    const admin = await KafkaAdmin.connect(this.config);
    try {
      const { created } = await admin.createTopics(Object.values(this.topics), { partitions: this.options.partitions, replicationFactor: this.options.replicationFactor });
      for (const topic of Object.values(this.topics)) {
        // A topic just created is empty (and asking its offsets this early only meets leader elections).
        if (created.includes(topic)) {
          this.next.set(topic, new Map(Array.from({ length: this.options.partitions }, (_, p) => [p, 0])));
        } else {
          const d = await admin.describeTopic(topic);
          this.next.set(topic, new Map(d.partitions.map((p) => [p.partition, p.high])));
        }
      }
    } finally {
      await admin.close();
    }
    const state = context.resume?.state;
    if (isKafkaSinkState(state)) await this.readLanded(state);
    // Each table on its own connections, one per partition: requests for different partitions are
    // in flight together (kafkajs's idempotent producer sends one at a time per connection).
    const connect = () => KafkaProducer.connect({ ...this.config, createTopics: false, connections: this.options.partitions, client: this.client, onDelivery: this.sinkOptions.onDelivery });
    const made = await Promise.allSettled([connect(), connect()]);
    const failed = made.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      for (const r of made) if (r.status === "fulfilled") await r.value.close();
      throw failed.reason;
    }
    const [locations, accelerations] = made.map((r) => (r as PromiseFulfilledResult<KafkaProducer>).value);
    this.producers = { locations, accelerations };
  }

  /**
   * Encodes the batch's messages ahead of its due moment (the replay calls this when it reads the
   * partition), in slices of {@link ENCODE_ROWS} rows with `pause` between them: a release that falls
   * due meanwhile goes out first, and `write()` then only sends.
   */
  async prepare(batch: ReleaseBatch, pause: () => Promise<void> = yieldToEventLoop): Promise<void> {
    if (this.prepared.has(batch)) return;
    await pause();
    const frame = this.keyedFrame(batch);
    const messages: OutgoingMessage[] = [];
    for (let at = 0; at < frame.height; at += ENCODE_ROWS) {
      if (at > 0) await pause();
      for (const m of framesToMessages(frame.height <= ENCODE_ROWS ? frame : frame.slice(at, ENCODE_ROWS), { keyField: this.options.keyField })) messages.push(m);
    }
    this.prepared.set(batch, messages);
  }

  /** Sends the batch's rows (encoded by `prepare`, or now); resolves when every message is acknowledged. */
  async write(batch: ReleaseBatch): Promise<void> {
    const producer = this.producers?.[batch.table];
    if (!producer || this.closed) throw new KafkaError("KAFKA", `The Kafka sink is ${this.closed ? "closed" : "not open"}: call open() first.`, { context: { broker: this.config.bootstrap } });
    const topic = this.topics[batch.table];
    const messages = this.prepared.get(batch) ?? framesToMessages(this.keyedFrame(batch), { keyField: this.options.keyField });
    this.prepared.delete(batch);
    const landed = this.landed;
    const reports = await writeMessages(producer, topic, messages, {
      ...(landed === undefined ? {} : { unsent: (m: OutgoingMessage[]) => landed.take(topic, batch.dueOffset, m) }),
      slot: () => this.acquire(batch.table),
    });
    if (reports.length === 0) return;
    const next = this.next.get(topic) ?? new Map<number, number>();
    for (const r of reports) if (Number.isInteger(r.offset) && r.offset >= (next.get(r.partition) ?? 0)) next.set(r.partition, r.offset + 1);
    this.next.set(topic, next);
    this.batches++;
  }

  /**
   * The batch as one frame with the key column: the replay's whole-batch frame (no polars call per
   * file), else the files' frames concatenated. A file without the key column is an OptionError
   * naming it (the concatenation would give its rows null keys).
   */
  private keyedFrame(batch: ReleaseBatch): pl.DataFrame {
    const key = this.options.keyField;
    const nonEmpty = () => batch.files.filter((f) => f.frame.height > 0);
    const frame = batch.frame ?? concatOrEmpty(nonEmpty().map((f) => f.frame));
    // Only when the key column is missing or has nulls: find a file without it (a polars call per file).
    if (frame.height > 0 && (!frame.columns.includes(key) || frame.getColumn(key).nullCount() > 0)) {
      const lacking = nonEmpty().find((f) => !f.frame.columns.includes(key));
      if (lacking) throw new OptionError("keyField", key, `a column of ${lacking.path} (${lacking.frame.columns.join(", ")})`);
    }
    return frame;
  }

  /** Next offset of every topic partition once all sent so far is acknowledged (the progress log stores it). */
  checkpoint(): KafkaSinkState {
    return { offsets: Object.fromEntries([...this.next].map(([topic, parts]) => [topic, Object.fromEntries([...parts].map(([p, n]) => [String(p), n]))])) };
  }

  /** Reads the messages beyond the recorded offsets: those of the release in flight when the interrupted run died. */
  private async readLanded(state: KafkaSinkState): Promise<void> {
    const landed = new LandedMessages();
    const { partitions: _p, replicationFactor: _r, keyField: _k, maxInFlight: _m, onDelivery: _d, client: _c, ...connection } = this.sinkOptions;
    for (const topic of Object.values(this.topics)) {
      for (const range of landedRanges(topic, state.offsets[topic], this.next.get(topic) ?? new Map())) {
        const got = await readTopicMessages(topic, { ...connection, partition: range.partition, offset: range.from, parseJson: false });
        landed.add(topic, got.filter((m) => m.offset < range.to).map((m) => ({ key: m.key, value: m.raw })));
      }
    }
    if (landed.size > 0) this.landed = landed;
  }

  /** Waits until fewer than `maxInFlight` of the table's batches are sending; returns the release. */
  private async acquire(table: Table): Promise<() => void> {
    while (this.inFlight[table] >= this.options.maxInFlight) await new Promise<void>((r) => this.queue[table].push(r));
    this.inFlight[table]++;
    this.inFlightPeak = Math.max(this.inFlightPeak, this.inFlight.locations + this.inFlight.accelerations);
    return () => this.release(table);
  }

  private release(table: Table): void {
    this.inFlight[table]--;
    this.queue[table].shift()?.();
  }

  /** Waits for the sends in flight, then disconnects; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const table of ["locations", "accelerations"] as const) while (this.inFlight[table] > 0) await new Promise<void>((r) => this.queue[table].push(r));
    await Promise.all(Object.values(this.producers ?? {}).map((p) => p.close()));
  }

  /**
   * `batches` sent, `inFlightPeak` (most batches sending at once), `messages` acknowledged, per topic
   * and per `topic[partition]`; resumed, `alreadyDelivered`: messages found in Kafka and not sent again.
   */
  stats(): Record<string, number> {
    const resumed: Record<string, number> = this.landed ? { alreadyDelivered: this.landed.skipped } : {};
    const per = Object.values(this.producers ?? {}).map((p) => p.stats());
    const merged: Record<string, number> = { messages: 0 };
    for (const stats of per) for (const [k, v] of Object.entries(stats)) merged[k] = (merged[k] ?? 0) + v;
    return { batches: this.batches, inFlightPeak: this.inFlightPeak, ...resumed, ...merged };
  }
}
