/**
 * Topic administration: create (with the prefix; "already exists" is fine), list, describe with
 * offsets, delete. A {@link KafkaAdmin} for several calls, one-shot functions for one.
 */
import type { Admin } from "kafkajs";
import { KafkaError, OptionError } from "../errors";
import { createClient, probeBrokers } from "./client";
import { resolveConfig } from "./config";
import { asKafkaError, topicMissing } from "./failures";
import { positiveInt } from "../options";
import { KAFKA_DEFAULTS, type KafkaOptions } from "./options";
import { topicName } from "./topics";
import type { CreateTopicsResult, KafkaConfig, TopicDescription } from "./types";

/** Partitions and replication of new topics. */
export interface TopicSpec {
  /** Default 3 (the local broker's default too). */
  partitions?: number;
  /** Default 1 (the local broker has one node). */
  replicationFactor?: number;
}

export interface ListTopicsOptions {
  /** Only the topics of the configured prefix (default false: all topics). */
  prefixOnly?: boolean;
  /** Include Kafka's internal topics such as `__consumer_offsets` (default false). */
  internal?: boolean;
}

/**
 * A connected admin client. Topic names are prefixed with the configured `<prefix>-`.
 *
 * @example
 * const admin = await KafkaAdmin.connect({ firstName: "John", lastName: "Doe" });
 * await admin.createTopics(["locations", "accelerations"], { partitions: 3 });
 * console.log(await admin.describeTopic("locations"));
 * await admin.close();
 */
export class KafkaAdmin {
  private closed = false;

  private constructor(readonly config: KafkaConfig, private readonly admin: Admin) {}

  /** Connects (BROKER_UNREACHABLE within seconds when no broker answers). */
  static async connect(options: KafkaOptions | KafkaConfig = {}): Promise<KafkaAdmin> {
    const config = resolveConfig(options);
    await probeBrokers(config);
    const admin = createClient(config, 3).admin();
    try {
      await admin.connect();
    } catch (e) {
      await admin.disconnect().catch(() => {});
      throw asKafkaError(e, config);
    }
    return new KafkaAdmin(config, admin);
  }

  /** The full (prefixed, validated) name of a topic. */
  topic(name: string): string {
    return topicName(name, this.config);
  }

  /**
   * Creates the topics that do not exist yet; existing ones are reported, not an error (their
   * partition count is left as it is).
   *
   * @example
   * await admin.createTopics(["locations"], { partitions: 3 }); // { created: ["DoeJohn-locations"], existing: [] }
   */
  async createTopics(names: string | string[], spec: TopicSpec = {}): Promise<CreateTopicsResult> {
    const topics = (Array.isArray(names) ? names : [names]).map((n) => this.topic(n));
    const numPartitions = positiveInt("partitions", spec.partitions, KAFKA_DEFAULTS.partitions);
    const replicationFactor = positiveInt("replicationFactor", spec.replicationFactor, KAFKA_DEFAULTS.replicationFactor);
    const existing = new Set(await this.call(() => this.admin.listTopics()));
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      try {
        await this.admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor })), waitForLeaders: false });
      } catch (e) {
        const err = asKafkaError(e, this.config, missing.join(","));
        // Another client created it in between: fine. Otherwise explain (e.g. replication > brokers).
        if (!/already exists/i.test(err.message)) throw err;
      }
      await this.waitForLeaders(missing);
    }
    return { created: missing, existing: topics.filter((t) => existing.has(t)) };
  }

  /** Waits (bounded) until every partition of the new topics has a leader, so they are usable at once. */
  private async waitForLeaders(topics: string[]): Promise<void> {
    for (let attempt = 1; attempt <= 20; attempt++) {
      const meta = await this.call(() => this.admin.fetchTopicMetadata({ topics }), topics.join(","));
      const ready = meta.topics.length === topics.length && meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return;
      await new Promise((r) => setTimeout(r, 100 * Math.min(attempt, 5)));
    }
    throw new KafkaError("KAFKA", `Topics ${topics.join(", ")} were created on ${this.config.bootstrap} but have no partition leader yet; retry in a moment (broker log: .kafka/logs/server.log).`, { retriable: true, context: { broker: this.config.bootstrap, topic: topics.join(",") } });
  }

  /** Topic names, sorted; by default without internal topics. */
  async listTopics(options: ListTopicsOptions = {}): Promise<string[]> {
    const all = await this.call(() => this.admin.listTopics());
    const p = this.config.topicPrefix;
    return all
      .filter((t) => options.internal === true || !t.startsWith("__"))
      .filter((t) => options.prefixOnly !== true || p === undefined || t.startsWith(`${p}-`))
      .sort();
  }

  /** True when the (prefixed) topic exists. */
  async topicExists(name: string): Promise<boolean> {
    const t = this.topic(name);
    return (await this.call(() => this.admin.listTopics())).includes(t);
  }

  /** Throws TOPIC_MISSING (naming the prefix) unless the topic exists; returns the full name. */
  async requireTopic(name: string): Promise<string> {
    const t = this.topic(name);
    if (!(await this.topicExists(t))) throw topicMissing(t, this.config.bootstrap, this.config.topicPrefix);
    return t;
  }

  /**
   * Partitions (leader, replicas, in-sync replicas) with their low/high offsets and message counts.
   *
   * @example
   * const d = await admin.describeTopic("locations");
   * d.messages; // 478 after a full replay
   */
  async describeTopic(name: string): Promise<TopicDescription> {
    const topic = await this.requireTopic(name);
    const meta = await this.call(() => this.admin.fetchTopicMetadata({ topics: [topic] }), topic);
    const offsets = await this.call(() => this.admin.fetchTopicOffsets(topic), topic);
    const byPartition = new Map(offsets.map((o) => [o.partition, o]));
    const partitions = (meta.topics[0]?.partitions ?? [])
      .map((p) => {
        const o = byPartition.get(p.partitionId);
        const low = Number(o?.low ?? 0);
        const high = Number(o?.high ?? 0);
        return { partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, low, high, messages: high - low };
      })
      .sort((a, b) => a.partition - b.partition);
    return { topic, partitions, messages: partitions.reduce((s, p) => s + p.messages, 0) };
  }

  /** The offset `group` committed on a topic's partition, or null when it committed none. */
  async committedOffset(group: string, name: string, partition: number): Promise<number | null> {
    const topic = this.topic(name);
    const got = await this.call(() => this.admin.fetchOffsets({ groupId: group, topics: [topic] }), topic);
    const p = got.find((t) => t.topic === topic)?.partitions.find((x) => x.partition === partition);
    const n = p === undefined ? -1 : Number(p.offset);
    return n >= 0 ? n : null;
  }

  /** Deletes the topics that exist; returns the names deleted (missing ones are skipped). */
  async deleteTopics(names: string | string[]): Promise<string[]> {
    const topics = (Array.isArray(names) ? names : [names]).map((n) => this.topic(n));
    const existing = new Set(await this.call(() => this.admin.listTopics()));
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await this.call(() => this.admin.deleteTopics({ topics: present }), present.join(","));
    return present;
  }

  /** The partition count of a topic (TOPIC_MISSING when absent). */
  async partitionCount(name: string): Promise<number> {
    return (await this.describeTopic(name)).partitions.length;
  }

  /** The raw kafkajs admin, for what the helpers do not cover. */
  get kafkajs(): Admin {
    return this.admin;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.admin.disconnect().catch(() => {});
  }

  /**
   * Runs one admin request. Right after a topic is created or deleted the broker may answer
   * "not the leader" / "leader not available" for a moment: such retriable answers are retried a few
   * times (kafkajs does not for offset requests); anything else becomes a KafkaError at once.
   */
  private async call<T>(f: () => Promise<T>, topic?: string): Promise<T> {
    if (this.closed) throw new OptionError("admin", "closed", "this KafkaAdmin is closed; connect a new one");
    for (let attempt = 1; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        const err = asKafkaError(e, this.config, topic);
        // TOPIC_MISSING here comes from kafkajs for a topic listed as existing: a fresh topic's metadata.
        const transient = (err.code === "KAFKA" && err.retriable) || err.code === "TOPIC_MISSING";
        if (!transient || attempt >= 6) throw err;
        await new Promise((r) => setTimeout(r, 150 * 2 ** (attempt - 1)));
      }
    }
  }
}

async function withAdmin<T>(options: KafkaOptions | KafkaConfig, names: string | string[], f: (a: KafkaAdmin) => Promise<T>): Promise<T> {
  const config = resolveConfig(options);
  for (const n of Array.isArray(names) ? names : [names]) topicName(n, config);
  const admin = await KafkaAdmin.connect(config);
  try {
    return await f(admin);
  } finally {
    await admin.close();
  }
}

/**
 * Creates topics (prefixed) if missing; one-shot (connects and closes).
 *
 * @example
 * await createTopics(["locations", "accelerations"], { firstName: "John", lastName: "Doe", partitions: 3 });
 */
export function createTopics(names: string | string[], options: KafkaOptions & TopicSpec = {}): Promise<CreateTopicsResult> {
  return withAdmin(options, names, (a) => a.createTopics(names, options));
}

/**
 * Lists topic names; one-shot.
 *
 * @example
 * await listTopics({ topicPrefix: "DoeJohn", prefixOnly: true }); // ["DoeJohn-accelerations", "DoeJohn-locations"]
 */
export function listTopics(options: KafkaOptions & ListTopicsOptions = {}): Promise<string[]> {
  return withAdmin(options, [], (a) => a.listTopics(options));
}

/**
 * Describes a topic's partitions and offsets; one-shot.
 *
 * @example
 * const d = await describeTopic("locations", { topicPrefix: "DoeJohn" });
 * console.table(d.partitions);
 */
export function describeTopic(name: string, options: KafkaOptions = {}): Promise<TopicDescription> {
  return withAdmin(options, name, (a) => a.describeTopic(name));
}

/**
 * Deletes topics (missing ones are skipped); one-shot.
 *
 * @example
 * await deleteTopics(["locations", "accelerations"], { topicPrefix: "DoeJohn" });
 */
export function deleteTopics(names: string | string[], options: KafkaOptions = {}): Promise<string[]> {
  return withAdmin(options, names, (a) => a.deleteTopics(names));
}
