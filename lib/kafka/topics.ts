/** Topic names: Kafka's naming rule checked locally, and the `<prefix>-<name>` convention. */
import { KafkaError } from "../errors";
import type { KafkaConfig } from "./types";

const LEGAL = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * Throws INVALID_TOPIC unless `topic` is a legal Kafka topic name (1-249 of `[a-zA-Z0-9._-]`, not
 * `.` or `..`); checked before any network call.
 *
 * @example
 * validateTopic("DoeJohn-locations"); // returns it
 * validateTopic("my topic");          // throws KafkaError INVALID_TOPIC
 */
export function validateTopic(topic: unknown, option = "topic"): string {
  if (typeof topic !== "string" || !LEGAL.test(topic) || topic === "." || topic === "..") {
    const why = typeof topic !== "string" ? "it is not a string"
      : topic.length === 0 ? "it is empty"
      : topic.length > 249 ? `it is ${topic.length} characters long (max 249)`
      : topic === "." || topic === ".." ? `"${topic}" is reserved`
      : `it contains ${JSON.stringify([...topic].filter((c) => !/[A-Za-z0-9._-]/.test(c)).join(""))}`;
    throw new KafkaError("INVALID_TOPIC", `Invalid topic name ${JSON.stringify(topic)} (${option}): ${why}. A topic name is 1-249 letters, digits, '.', '_' or '-'.`, { context: { topic: String(topic), option } });
  }
  return topic;
}

/**
 * The full topic name: `name` prefixed with `<prefix>-` when a prefix is configured and `name` does
 * not carry it already; validated.
 *
 * @example
 * topicName("locations", kafkaConfig({ firstName: "John", lastName: "Doe" })); // "DoeJohn-locations"
 * topicName("DoeJohn-locations", kafkaConfig({ topicPrefix: "DoeJohn" }));      // unchanged
 * topicName("events", kafkaConfig());                                            // "events"
 */
export function topicName(name: string, config: Pick<KafkaConfig, "topicPrefix">): string {
  validateTopic(name);
  const p = config.topicPrefix;
  return validateTopic(p === undefined || name.startsWith(`${p}-`) ? name : `${p}-${name}`);
}
