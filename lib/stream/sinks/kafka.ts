import { KafkaProducer } from "../../kafka/producer";
import type { BatchOutput, StreamSink } from "../types";
import { withBatchId } from "./parquet";
import { resolveKafkaSinkOptions, wantsBatchId, type KafkaSinkOptions } from "./options";

/** A Kafka sink that also counts what it sent. */
export interface KafkaStreamSink extends StreamSink {
  readonly topic: string;
  /** Messages acknowledged so far. */
  stats(): { messages: number };
}

/**
 * A sink sending each output row as one Kafka message: key = the group key column (`ride_id`,
 * `uuid`), value = the row as JSON (timestamps as ISO-8601 UTC strings). The topic is created on
 * open when missing; `write` resolves once the broker acknowledged every message of the batch
 * (idempotent producer, acks from all in-sync replicas).
 *
 * @param options.topic the full topic name, e.g. `DoeJane-windowed`
 * @param options.key the column whose value is the message key
 * @example
 * const sink = kafkaSink({ topic: "DoeJane-windowed", key: "ride_id" });
 * // value: {"ride_id":"…","window_start":"2020-01-01T00:00:15.000Z","window_end":"…","mean_speed":8.1,"count":5,"batch_id":3}
 */
export function kafkaSink(options: KafkaSinkOptions): KafkaStreamSink {
  const o = resolveKafkaSinkOptions(options);
  let producer: KafkaProducer | undefined;
  let messages = 0;
  return {
    name: o.name,
    topic: o.topic,
    async open() {
      producer = await KafkaProducer.connect({ bootstrap: o.bootstrap, clientId: "streamlab-query", createTopics: true, partitions: o.partitions });
    },
    async write(output: BatchOutput) {
      if (output.frame.height === 0) return;
      if (producer === undefined) producer = await KafkaProducer.connect({ bootstrap: o.bootstrap, clientId: "streamlab-query", createTopics: true, partitions: o.partitions });
      const frame = wantsBatchId(o.batchId, output.mode) ? withBatchId(output.frame, output.batchId) : output.frame;
      const reports = await producer.sendFrame(o.topic, frame, o.key === undefined ? {} : { keyField: o.key });
      messages += reports.length;
    },
    async close() {
      await producer?.close();
      producer = undefined;
    },
    stats: () => ({ messages }),
  };
}
