import type { Consumer } from "kafkajs";
import { AbortedError, OptionError } from "../errors";
import { asKafkaError, createClient, KafkaAdmin, resolveConfig, toConsumedMessage, type ConsumedMessage, type KafkaOptions } from "../kafka";

/** Options of {@link consumeInGroup}. */
export interface GroupConsumeOptions {
  /** Topic name (prefixed like every streamlab topic when `kafka` has a prefix). */
  topic: string;
  /** Consumer group: offsets are committed for it, so a restart resumes where it stopped. */
  groupId: string;
  /** Connection (bootstrap, topic prefix); default the project's Kafka config. */
  kafka?: KafkaOptions;
  /**
   * `"end"`: stop once the messages that were in the topic when the consumer started are handled
   * (headless runs and tests end on their own); `"never"`: run until `signal` aborts. Default `"end"`.
   */
  until?: "end" | "never";
  signal?: AbortSignal;
  /** Also stop (resolve) once this returns true after a handled batch: a live run that knows when its input is complete. */
  done?: () => boolean;
  /**
   * Handles one fetched batch of one partition; offsets are committed only after it resolves. It may
   * return the offset to commit (the next one to read after a restart), to keep messages whose
   * result is not yet durable (an open window) for a restart to read again; default: after the batch.
   */
  handle(messages: ConsumedMessage[]): Promise<number | void>;
}

/**
 * Consumes a topic in a consumer group, batch by batch, committing offsets after each batch is
 * handled: at-least-once delivery, so `handle` must be idempotent (a crash between handling and
 * committing re-delivers the batch). A new group starts at the earliest offset. Resolves when the
 * run ends (see `until`); rejects with {@link AbortedError} when `signal` aborts.
 */
export async function consumeInGroup(o: GroupConsumeOptions): Promise<void> {
  const config = resolveConfig(o.kafka ?? {});
  if (typeof o.groupId !== "string" || o.groupId.trim() === "") throw new OptionError("groupId", o.groupId, "expected a consumer group name");
  const until = o.until ?? "end";
  if (until !== "end" && until !== "never") throw new OptionError("until", o.until, 'expected "end" or "never"');
  if (o.signal?.aborted) throw new AbortedError(`consumer group ${o.groupId}`);

  // The end to reach: the offsets now, past what the group has already committed.
  const admin = await KafkaAdmin.connect(config);
  const topic = admin.topic(o.topic);
  const remaining = new Map<number, number>();
  try {
    const d = await admin.describeTopic(o.topic);
    const committed = await admin.kafkajs.fetchOffsets({ groupId: o.groupId, topics: [topic] });
    const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    for (const p of d.partitions) {
      const from = Math.max(done.get(p.partition) ?? -1, p.low);
      if (from < p.high) remaining.set(p.partition, p.high);
    }
  } catch (e) {
    throw asKafkaError(e, config, topic);
  } finally {
    await admin.close();
  }
  if (until === "end" && remaining.size === 0) return;

  const consumer: Consumer = createClient(config, 5).consumer({
    groupId: o.groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 1000,
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000, restartOnFailure: async () => false },
  });
  let onAbort = () => {};
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      onAbort = () => reject(new AbortedError(`consumer group ${o.groupId}`));
      o.signal?.addEventListener("abort", onAbort, { once: true });
      consumer.on(consumer.events.CRASH, (ev) => reject(ev.payload.error));
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch, heartbeat }) => {
            const messages = batch.messages.map((m) => toConsumedMessage(batch.topic, batch.partition, m));
            if (messages.length === 0) return;
            const commit = await o.handle(messages);
            const next = messages[messages.length - 1].offset + 1;
            await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(typeof commit === "number" ? commit : next) }]);
            await heartbeat();
            const end = remaining.get(batch.partition);
            if (end !== undefined && next >= end) remaining.delete(batch.partition);
            if ((until === "end" && remaining.size === 0) || o.done?.() === true) resolve();
          },
        })
        .catch(reject);
    });
  } catch (e) {
    if (e instanceof AbortedError || e instanceof OptionError) throw e;
    throw asKafkaError(e, config, topic);
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    await consumer.disconnect().catch(() => {});
  }
}
