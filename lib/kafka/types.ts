/** The two named clusters a course user switches between: see {@link KAFKA_PRESETS}. */
export type KafkaPreset = "local" | "course";

/** How much of kafkajs's own logging reaches the console (default `error`, env `STREAMLAB_KAFKA_LOG`). */
export type KafkaLogLevel = "nothing" | "error" | "warn" | "info" | "debug";

/** A resolved, validated connection configuration (what {@link kafkaConfig} returns). */
export interface KafkaConfig {
  /** `host:port` list, e.g. `["localhost:9092"]`. */
  brokers: string[];
  /** The same list joined with commas, as shown in messages. */
  bootstrap: string;
  /** `LastnameFirstname` or the explicit `topicPrefix`; topic names are `<prefix>-<name>`. */
  topicPrefix?: string;
  clientId: string;
  connectionTimeoutMs: number;
  /** Connection attempts to the bootstrap servers before BROKER_UNREACHABLE. */
  connectAttempts: number;
  /** How long a connected client retries a broker that stopped answering. */
  retryBudgetMs: number;
  logLevel: KafkaLogLevel;
}

/** One message to send: `value` is already serialised (JSON text in streamlab). */
export interface OutgoingMessage {
  key: string | null;
  value: string;
  /** Broker timestamp in ms since the epoch; default the send time. */
  timestamp?: number;
  /** Explicit partition; default: the Java-compatible murmur2 hash of the key. */
  partition?: number;
}

/** The acknowledgement of one message, like the course's producer send callbacks. */
export interface DeliveryReport {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
}

/** One message read from a topic. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  /** The value parsed as JSON, or the raw text when it is not JSON (or `parseJson: false`). */
  value: unknown;
  /** The value exactly as received (UTF-8), null for a tombstone. */
  raw: string | null;
  /** The broker/producer timestamp of the message. */
  timestamp: Date;
}

/** One partition of a topic as `describeTopic` reports it. */
export interface PartitionDescription {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  /** Earliest offset still stored. */
  low: number;
  /** The offset the next message will get (high watermark). */
  high: number;
  /** `high - low`: messages currently stored. */
  messages: number;
}

export interface TopicDescription {
  topic: string;
  partitions: PartitionDescription[];
  /** Sum over the partitions. */
  messages: number;
}

/** What `createTopics` did: topics it created, and those that were already there (not an error). */
export interface CreateTopicsResult {
  created: string[];
  existing: string[];
}
