import { writeFrames } from "../../kafka/frame-writer";
import { KafkaProducer } from "../../kafka/producer";
import { failpoint } from "../failpoints";
import type { BatchOutput, SinkOpenContext, StreamSink } from "../types";
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
 * `uuid`), value = the row as JSON (timestamps as ISO-8601 UTC strings; the frame writer,
 * lib/kafka/frame-writer.ts, as the replay's Kafka sink). The topic is created on
 * open when missing; `write` resolves once the broker acknowledged every message of the batch
 * (idempotent producer, acks from all in-sync replicas).
 *
 * In a checkpointed query each batch goes out in one Kafka transaction that also commits the batch
 * id as the offset of a marker group (`streamlab-sink-<checkpoint id>`) on the topic's partition 0:
 * the write and its record are one atomic step. A restart first fences the dead run's producer
 * (same transactional id: its open transaction is aborted, a committing one completes), then reads
 * the marker and skips the batches it covers. Consumers reading committed messages (kafkajs's default, Spark's
 * `kafka.isolation.level=read_committed`) see every result exactly once.
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
  /** Checkpointed: the marker group, and the last batch id a transaction committed (-1: none). */
  let txn: { group: string; lastWritten: number } | undefined;
  const connect = (transactionalId?: string) => KafkaProducer.connect({ bootstrap: o.bootstrap, clientId: "streamlab-query", retryBudgetMs: o.retryBudgetMs, createTopics: true, partitions: o.partitions, ...(transactionalId === undefined ? {} : { transactionalId }) });
  return {
    name: o.name,
    topic: o.topic,
    spec: { kind: "kafka", topic: o.topic, key: o.key, bootstrap: o.bootstrap, batchId: o.batchId },
    async open(context?: SinkOpenContext) {
      const cp = context?.checkpoint;
      if (cp === undefined) {
        producer = await connect();
        return;
      }
      producer = await connect(`streamlab-${cp.id}-${o.topic}`);
      try {
        await producer.ensureTopic(o.topic);
        // Fence the dead run first: its transaction is then committed or aborted, and the marker final.
        await producer.fence();
        const group = `streamlab-sink-${cp.id}`;
        txn = { group, lastWritten: ((await producer.committedOffset(group, o.topic, 0)) ?? 0) - 1 };
      } catch (e) {
        await producer.close();
        producer = undefined;
        throw e;
      }
    },
    async write(output: BatchOutput) {
      if (output.frame.height === 0) return;
      if (producer === undefined) producer = await connect();
      // Written by a run that stopped before its checkpoint recorded the commit: not again.
      if (txn !== undefined && output.batchId <= txn.lastWritten) return;
      const frame = wantsBatchId(o.batchId, output.mode) ? withBatchId(output.frame, output.batchId) : output.frame;
      const transaction = txn === undefined ? undefined : {
        marker: { group: txn.group, topic: o.topic, partition: 0, offset: output.batchId + 1 },
        beforeCommit: () => failpoint("kafka-before-commit", output.batchId, true),
      };
      const reports = await writeFrames(producer, o.topic, frame, { ...(o.key === undefined ? {} : { keyField: o.key }), ...(transaction === undefined ? {} : { transaction }) });
      if (txn !== undefined) txn.lastWritten = output.batchId;
      messages += reports.length;
    },
    async close() {
      await producer?.close();
      producer = undefined;
    },
    stats: () => ({ messages }),
  };
}
