/**
 * One typed place for the connection: bootstrap servers (option, preset, env, default), the course's
 * `LastnameFirstname` topic prefix and client id.
 */
import { OptionError } from "../errors";
import { positiveInt } from "../options";
import { KAFKA_DEFAULTS, KAFKA_PRESETS, logLevelOption, parseBootstrap, type KafkaOptions } from "./options";
import { validateTopic } from "./topics";
import type { KafkaConfig } from "./types";

/**
 * The course's topic prefix: last name then first name, as typed (`Doe` + `John` → `DoeJohn`).
 *
 * @example
 * topicPrefixFor("John", "Doe"); // "DoeJohn"
 */
export function topicPrefixFor(firstName: string, lastName: string): string {
  const prefix = `${String(lastName).trim()}${String(firstName).trim()}`;
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(prefix)) {
    throw new OptionError("firstName/lastName", { firstName, lastName }, "letters, digits, '.', '_' or '-' only (Kafka topic names allow no others); give an ASCII spelling or an explicit topicPrefix");
  }
  return prefix;
}

/**
 * Resolves and validates the Kafka options. Bootstrap servers come from `bootstrap`, else `preset`,
 * else env `KAFKA_BOOTSTRAP_SERVERS`, else `localhost:9092`.
 *
 * @example
 * const config = kafkaConfig({ firstName: "John", lastName: "Doe" });
 * config.topicPrefix; // "DoeJohn"
 * kafkaConfig({ preset: "course" }).bootstrap; // "kafka.kafka.svc.cluster.local:9092"
 */
export function kafkaConfig(options: KafkaOptions = {}): KafkaConfig {
  if (options.bootstrap !== undefined && options.preset !== undefined) {
    throw new OptionError("preset", options.preset, "give either bootstrap or preset, not both");
  }
  if (options.preset !== undefined && !(options.preset in KAFKA_PRESETS)) {
    throw new OptionError("preset", options.preset, `one of ${Object.keys(KAFKA_PRESETS).join(", ")}`);
  }
  const env = process.env.KAFKA_BOOTSTRAP_SERVERS;
  const [source, raw] = options.bootstrap !== undefined ? ["bootstrap", options.bootstrap]
    : options.preset !== undefined ? ["preset", KAFKA_PRESETS[options.preset]]
    : env !== undefined && env.trim() !== "" ? ["KAFKA_BOOTSTRAP_SERVERS", env]
    : ["bootstrap", KAFKA_DEFAULTS.bootstrap];
  const brokers = parseBootstrap(raw, source);

  if ((options.firstName === undefined) !== (options.lastName === undefined)) {
    const missing = options.firstName === undefined ? "firstName" : "lastName";
    throw new OptionError(missing, undefined, "give both firstName and lastName (the topic prefix is LastnameFirstname), or a topicPrefix");
  }
  let topicPrefix: string | undefined;
  if (options.topicPrefix !== undefined) topicPrefix = validateTopic(options.topicPrefix, "topicPrefix");
  else if (options.firstName !== undefined && options.lastName !== undefined) topicPrefix = topicPrefixFor(options.firstName, options.lastName);

  const clientId = options.clientId ?? topicPrefix ?? KAFKA_DEFAULTS.clientId;
  if (typeof clientId !== "string" || clientId.trim() === "") throw new OptionError("clientId", clientId, "a non-empty string");

  return {
    brokers,
    bootstrap: brokers.join(","),
    topicPrefix,
    clientId,
    connectionTimeoutMs: positiveInt("connectionTimeoutMs", options.connectionTimeoutMs, KAFKA_DEFAULTS.connectionTimeoutMs),
    connectAttempts: positiveInt("connectAttempts", options.connectAttempts, KAFKA_DEFAULTS.connectAttempts),
    retryBudgetMs: positiveInt("retryBudgetMs", options.retryBudgetMs, KAFKA_DEFAULTS.retryBudgetMs),
    logLevel: logLevelOption(options.logLevel),
  };
}

/** Options already resolved stay as they are (every helper accepts either). */
export function resolveConfig(options: KafkaOptions | KafkaConfig = {}): KafkaConfig {
  if ("brokers" in options && Array.isArray(options.brokers) && "connectAttempts" in options) return options as KafkaConfig;
  return kafkaConfig(options as KafkaOptions);
}
