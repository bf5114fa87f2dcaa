import { KafkaProducer, type KafkaOptions } from "../../kafka";
import type { EventLog } from "./types";

/** Options of {@link kafkaEventLog}: the connection (bootstrap, topic prefix…) plus these. */
export interface KafkaEventLogOptions extends KafkaOptions {
  /** Topic the events go to; default `events` (the course's), prefixed when a prefix is set. */
  topic?: string;
  /** Partitions when the topic is created; default 1 (so reading back keeps request order). */
  partitions?: number;
}

export const KAFKA_EVENT_LOG_DEFAULTS = { topic: "events", partitions: 1 } as const;

/**
 * An {@link EventLog} that sends each event as JSON to a Kafka topic (key = user), creating the
 * topic when missing; `append` resolves once the broker acknowledged the event.
 *
 * @example
 * ```ts
 * const log = await kafkaEventLog({ topic: "events" });
 * const api = await startGameApi(log);
 * ```
 */
export async function kafkaEventLog(options: KafkaEventLogOptions = {}): Promise<EventLog & { topic: string }> {
  const { topic: name = KAFKA_EVENT_LOG_DEFAULTS.topic, partitions = KAFKA_EVENT_LOG_DEFAULTS.partitions, ...kafka } = options;
  const producer = await KafkaProducer.connect({ ...kafka, partitions });
  const topic = producer.topic(name);
  return {
    topic,
    append: async (event) => void (await producer.send(name, [{ key: event.user, value: JSON.stringify(event) }])),
    close: () => producer.close(),
  };
}
