/**
 * Every Kafka option of streamlab, its default and its validation, in one place.
 */
import { OptionError } from "../errors";
import type { KafkaLogLevel, KafkaPreset } from "./types";

/** Named clusters: the project's local broker and the course's cluster (inside its Kubernetes). */
export const KAFKA_PRESETS: Readonly<Record<KafkaPreset, string>> = {
  local: "localhost:9092",
  course: "kafka.kafka.svc.cluster.local:9092",
};

export const KAFKA_LOG_LEVELS: readonly KafkaLogLevel[] = ["nothing", "error", "warn", "info", "debug"];

export const KAFKA_DEFAULTS = {
  bootstrap: KAFKA_PRESETS.local,
  clientId: "streamlab",
  connectionTimeoutMs: 3000,
  connectAttempts: 2,
  retryBudgetMs: 60_000,
  logLevel: "error" as KafkaLogLevel,
  partitions: 3,
  replicationFactor: 1,
};

/** Where to connect and how to name topics; every field optional. */
export interface KafkaOptions {
  /** `host:port[,host:port]` or a list; default env `KAFKA_BOOTSTRAP_SERVERS`, else `localhost:9092`. */
  bootstrap?: string | string[];
  /** A named cluster instead of `bootstrap`: `"local"` or `"course"` (kafka.kafka.svc.cluster.local:9092). */
  preset?: KafkaPreset;
  /** With `lastName`: topic prefix and client id `LastnameFirstname`, as the course notebooks do. */
  firstName?: string;
  lastName?: string;
  /** An explicit topic prefix (wins over first/last name). */
  topicPrefix?: string;
  /** Client id shown in broker logs; default the topic prefix, else `streamlab`. */
  clientId?: string;
  /** TCP connect timeout per attempt (default 3000 ms). */
  connectionTimeoutMs?: number;
  /** Attempts to reach the bootstrap servers before BROKER_UNREACHABLE (default 2). */
  connectAttempts?: number;
  /**
   * Once connected, how long producers and consumers keep retrying a broker that stopped answering
   * (a restart, a network blip) before giving up with BROKER_UNREACHABLE (default 60,000 ms).
   */
  retryBudgetMs?: number;
  /** kafkajs's own logging: default `error` (transient, retried errors hidden), env `STREAMLAB_KAFKA_LOG`. */
  logLevel?: KafkaLogLevel;
}

const HOST_PORT = /^[A-Za-z0-9._\-\[\]:]+:\d{1,5}$/;

/** Splits and validates a bootstrap list; names the option in the error. */
export function parseBootstrap(value: string | string[], option = "bootstrap"): string[] {
  const list = (Array.isArray(value) ? value : String(value).split(",")).map((s) => String(s).trim()).filter((s) => s !== "");
  if (list.length === 0) throw new OptionError(option, value, "expected host:port[,host:port], e.g. localhost:9092");
  for (const b of list) {
    const port = Number(b.slice(b.lastIndexOf(":") + 1));
    if (!HOST_PORT.test(b) || port < 1 || port > 65535) throw new OptionError(option, value, `"${b}" is not host:port (e.g. localhost:9092)`);
  }
  return list;
}

/** Shared with every other options.ts (lib/options.ts); re-exported here where they first lived. */
export { positiveInt, countOrInfinity } from "../options";

export function logLevelOption(value: unknown): KafkaLogLevel {
  const v = value ?? process.env.STREAMLAB_KAFKA_LOG ?? KAFKA_DEFAULTS.logLevel;
  if (!KAFKA_LOG_LEVELS.includes(v as KafkaLogLevel)) throw new OptionError(value === undefined ? "STREAMLAB_KAFKA_LOG" : "logLevel", v, `one of ${KAFKA_LOG_LEVELS.join(", ")}`);
  return v as KafkaLogLevel;
}
