/** Bench infrastructure around the broker: reachability, topics, reading a topic with timestamps. */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type { Kafka as KafkaClient } from "kafkajs";
import { kafkajs } from "../../lib/kafka/kafkajs";
import { NotMeasured } from "./proc";
import { ROOT } from "./python";

const { Kafka, logLevel } = kafkajs;

export const BOOTSTRAP = process.env.KAFKA_BOOTSTRAP_SERVERS ?? "localhost:9092";

export function brokerReachable(bootstrap = BOOTSTRAP, timeoutMs = 2000): Promise<boolean> {
  const [host, port] = bootstrap.split(",")[0].split(":");
  return new Promise((resolve) => {
    const s = net.connect({ host, port: Number(port) });
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(timeoutMs, () => done(false));
    s.on("connect", () => done(true));
    s.on("error", () => done(false));
  });
}

export async function requireBroker(): Promise<void> {
  if (!(await brokerReachable())) throw new NotMeasured(`no Kafka broker at ${BOOTSTRAP} (start one with npm run kafka:start)`);
}

function client(): KafkaClient {
  return new Kafka({ clientId: "streamlab-bench", brokers: BOOTSTRAP.split(","), logLevel: logLevel.NOTHING });
}

/** Creates the topics (fresh names per run, so no deletion is needed); existing ones are kept. */
export async function createTopics(names: string[], partitions: number): Promise<void> {
  const admin = client().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(names: string[]): Promise<void> {
  const admin = client().admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const gone = names.filter((n) => existing.has(n));
    if (gone.length) await admin.deleteTopics({ topics: gone, timeout: 10_000 });
  } catch { /* best effort cleanup */ } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function topicCount(topic: string): Promise<number> {
  const admin = client().admin();
  await admin.connect();
  try {
    const offs = await admin.fetchTopicOffsets(topic);
    return offs.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

export interface Msg { key: string | null; value: string; timestamp: number; partition: number; offset: number }

/** Every message of a topic, earliest to the end as of the call, with its (CreateTime) timestamp. */
export async function readAll(topic: string, timeoutMs = 120_000): Promise<Msg[]> {
  const kafka = client();
  const admin = kafka.admin();
  await admin.connect();
  const offs = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const end = new Map(offs.map((o) => [o.partition, Number(o.high)]));
  const total = offs.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  const out: Msg[] = [];
  if (total === 0) return out;
  const consumer = kafka.consumer({ groupId: `streamlab-bench-read-${process.pid}-${Date.now()}`, maxBytes: 50 * 1024 * 1024 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new NotMeasured(`reading ${topic}: got ${out.length} of ${total} messages in ${timeoutMs / 1000} s`)), timeoutMs);
      consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            if (Number(m.offset) < (end.get(batch.partition) ?? 0)) {
              out.push({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? "", timestamp: Number(m.timestamp), partition: batch.partition, offset: Number(m.offset) });
            }
          }
          if (out.length >= total) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/**
 * The classpath of the broker's own jars (`.kafka/libs/*`), fetched with `scripts/kafka.sh install`
 * when missing (a broker found already running may come from another checkout), or NotMeasured.
 */
export function kafkaClasspath(): string {
  const libs = path.join(ROOT, ".kafka", "libs");
  const installed = () => existsSync(libs) && readdirSync(libs).some((f) => f.startsWith("kafka-tools-"));
  if (!installed()) spawnSync("bash", [path.join(ROOT, "scripts", "kafka.sh"), "install"], { stdio: ["ignore", "ignore", "inherit"] });
  if (!installed()) throw new NotMeasured("the Kafka jars could not be fetched into .kafka/libs (bash scripts/kafka.sh install says why)");
  return `${libs}/*`;
}
