/**
 * The client behind {@link KafkaProducer}'s plain (non-transactional) sends. Both keep the same
 * guarantees: an idempotent producer (retries never duplicate), acks from all in-sync replicas, one
 * request in flight per connection (so each partition keeps its order), one base offset per
 * partition in the acknowledgement.
 *
 * - `platformatic` (default): @platformatic/kafka, about 1.6× kafkajs's rows/s on the replay
 *   (bench section 2; kafkajs spends most of its time building each record's buffers).
 * - `kafkajs`: the design's client; still the one for transactions, consumers and admin requests.
 *
 * Choose with the producer's `client` option or `STREAMLAB_KAFKA_CLIENT=kafkajs|platformatic`.
 */
import type { Producer } from "kafkajs";
import { OptionError } from "../errors";
import type { KafkaConfig } from "./types";

export const PRODUCER_CLIENTS = ["platformatic", "kafkajs"] as const;
export type ProducerClient = (typeof PRODUCER_CLIENTS)[number];

/** A message whose partition is already chosen (murmur2 of the key, as the Java client). */
export interface RoutedMessage {
  key: string | null;
  value: string;
  partition: number;
  /** Broker timestamp, ms since the epoch, as a decimal string. */
  timestamp?: string;
}

/** One produce request's worth of messages → the base offset of each partition it wrote. */
export interface Sender {
  send(topic: string, messages: RoutedMessage[]): Promise<Map<number, number>>;
  close(): Promise<void>;
}

/** The `client` option, or the environment's `STREAMLAB_KAFKA_CLIENT`, or the default. */
export function producerClient(option: unknown): ProducerClient {
  const chosen = option ?? process.env.STREAMLAB_KAFKA_CLIENT ?? "platformatic";
  if (!PRODUCER_CLIENTS.includes(chosen as ProducerClient)) {
    throw new OptionError(option === undefined ? "STREAMLAB_KAFKA_CLIENT" : "client", chosen, PRODUCER_CLIENTS.join(" or "));
  }
  return chosen as ProducerClient;
}

/** kafkajs's producer (or an open transaction) as a {@link Sender}. */
export function kafkajsSender(producer: Pick<Producer, "send"> & Partial<Pick<Producer, "disconnect">>): Sender {
  return {
    async send(topic, messages) {
      const metadata = await producer.send({ topic, acks: -1, messages });
      return new Map(metadata.map((r) => [r.partition, Number(r.baseOffset)]));
    },
    close: async () => producer.disconnect?.().catch(() => {}),
  };
}

/** The shape of @platformatic/kafka's producer that streamlab uses (its types need TypeScript's nodenext resolution). */
interface PlatformaticProducer {
  initIdempotentProducer(options: object): Promise<unknown>;
  send(options: { messages: Array<{ topic: string; key?: string; value: string; partition: number; timestamp?: bigint }> }): Promise<{ offsets?: Array<{ partition: number; offset: bigint }> }>;
  close(force?: boolean): Promise<void>;
}

/**
 * An idempotent @platformatic/kafka producer. It retries a failed request every second for
 * `config.retryBudgetMs` (a broker restart is ridden out); the sequence numbers of a retried request
 * stay the same, so the broker drops a copy it already wrote.
 */
export async function platformaticSender(config: KafkaConfig): Promise<Sender> {
  // Loaded on first use: the kafkajs-only paths never pay for it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Producer: PltProducer, stringSerializers } = require("@platformatic/kafka") as { Producer: new (o: object) => PlatformaticProducer; stringSerializers: object };
  const retryDelay = 1_000;
  const producer = new PltProducer({
    clientId: config.clientId,
    bootstrapBrokers: config.brokers,
    serializers: stringSerializers,
    idempotent: true,
    acks: -1,
    autocreateTopics: false,
    connectTimeout: config.connectionTimeoutMs,
    timeout: 30_000,
    retries: Math.max(1, Math.ceil(config.retryBudgetMs / retryDelay)),
    retryDelay,
  });
  try {
    // Connects and takes a producer id now, so the first send (a replay's first release) pays neither.
    await producer.initIdempotentProducer({ idempotent: true, acks: -1 });
  } catch (e) {
    await producer.close().catch(() => {});
    throw e;
  }
  return {
    async send(topic, messages) {
      const result = await producer.send({
        messages: messages.map((m) => ({ topic, ...(m.key === null ? {} : { key: m.key }), value: m.value, partition: m.partition, ...(m.timestamp === undefined ? {} : { timestamp: BigInt(m.timestamp) }) })),
      });
      return new Map((result.offsets ?? []).map((o) => [o.partition, Number(o.offset)]));
    },
    close: () => producer.close().catch(() => {}),
  };
}
