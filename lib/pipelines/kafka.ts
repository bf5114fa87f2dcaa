/**
 * The pipelines' thin layer over lib/kafka: options, topic creation and end offsets. Everything
 * (bootstrap, topic prefix, error mapping) comes from lib/kafka, so the pipelines behave like the
 * rest of streamlab.
 */
import { KafkaAdmin, type KafkaConfig, type KafkaOptions } from "../kafka";

export type { KafkaOptions };

/** Creates the topic when missing (an existing topic keeps its partitions); returns its full (prefixed) name. */
export async function ensureTopic(kafka: KafkaOptions | KafkaConfig, name: string, partitions: number): Promise<string> {
  const admin = await KafkaAdmin.connect(kafka);
  try {
    await admin.createTopics(name, { partitions });
    return admin.topic(name);
  } finally {
    await admin.close();
  }
}

/** Per partition, the offset the next message will get (the end as of now). */
export async function endOffsets(kafka: KafkaOptions | KafkaConfig, name: string): Promise<Map<number, { low: number; high: number }>> {
  const admin = await KafkaAdmin.connect(kafka);
  try {
    const d = await admin.describeTopic(name);
    return new Map(d.partitions.map((p) => [p.partition, { low: p.low, high: p.high }]));
  } finally {
    await admin.close();
  }
}
