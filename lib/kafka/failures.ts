/**
 * Client failures (kafkajs's, @platformatic/kafka's) → {@link KafkaError} with the broker, the topic and what to do. Retry logic and
 * callers branch on `code`, never on the message.
 */
import { KafkaError } from "../errors";
import type { KafkaConfig } from "./types";

/** kafkajs names a broker error `type`, @platformatic/kafka `apiId`; their retry flags differ too. */
interface KafkaJsLike { name?: string; message?: string; type?: string; apiId?: string; code?: string; retriable?: boolean; canRetry?: boolean; cause?: unknown; originalError?: unknown; errors?: unknown[] }

/**
 * The error and its causes, outermost first. Of an aggregate it follows the latest error:
 * @platformatic/kafka gives up with one error per attempt, and the last attempt says what the
 * broker's state is now (a broker shutting down answers "leader election" once, then refuses connections).
 */
function chain(e: unknown): KafkaJsLike[] {
  const out: KafkaJsLike[] = [];
  let cur: unknown = e;
  while (cur && typeof cur === "object" && out.length < 8) {
    const c = cur as KafkaJsLike;
    out.push(c);
    cur = c.cause ?? c.originalError ?? (Array.isArray(c.errors) ? c.errors[c.errors.length - 1] : undefined);
  }
  return out;
}

const UNREACHABLE = /KafkaJSConnectionError|KafkaJSBrokerNotFound|No broker available|PLT_KFK_NETWORK|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|Connection timeout|Closed connection/i;

export function unreachableMessage(bootstrap: string, detail: string): string {
  return `Kafka broker ${bootstrap} is not reachable (${detail}). Check that the broker runs: for the local one \`npm run kafka:status\` / \`npm run kafka:start\`; for another cluster set KAFKA_BOOTSTRAP_SERVERS (or the bootstrap option) to its host:port.`;
}

export function topicMissing(topic: string, bootstrap: string, prefix?: string): KafkaError {
  const hint = prefix ? ` (the configured prefix is "${prefix}": check the first/last name)` : "";
  return new KafkaError("TOPIC_MISSING", `Topic "${topic}" does not exist on ${bootstrap}${hint}. List the topics with \`npx streamlab topics list\`, or create it with \`npx streamlab topics create ${topic}\` (the replay's Kafka sink creates its topics itself).`, { context: { broker: bootstrap, topic } });
}

/**
 * Wraps any client failure in a KafkaError: BROKER_UNREACHABLE, TOPIC_MISSING, INVALID_TOPIC, or KAFKA.
 */
export function asKafkaError(e: unknown, config: Pick<KafkaConfig, "bootstrap" | "topicPrefix">, topic?: string): KafkaError {
  if (e instanceof KafkaError) return e;
  const errs = chain(e);
  const text = errs.map((x) => `${x.name ?? ""} ${x.code ?? ""} ${x.message ?? ""}`).join(" | ");
  const inner = errs[errs.length - 1];
  const detail = inner?.message ?? String(e);
  const context = { broker: config.bootstrap, ...(topic === undefined ? {} : { topic }) };
  if (UNREACHABLE.test(text)) {
    return new KafkaError("BROKER_UNREACHABLE", unreachableMessage(config.bootstrap, detail), { cause: e, retriable: true, context });
  }
  const type = errs.map((x) => x.type ?? x.apiId).find((t) => t !== undefined);
  if ((type === "UNKNOWN_TOPIC_OR_PARTITION" || /\bUnknown topic\b/.test(text)) && topic !== undefined) {
    const err = topicMissing(topic, config.bootstrap, config.topicPrefix);
    return new KafkaError("TOPIC_MISSING", err.message, { cause: e, context });
  }
  if (type === "INVALID_TOPIC_EXCEPTION") {
    return new KafkaError("INVALID_TOPIC", `The broker ${config.bootstrap} rejected topic name "${topic}": ${detail}`, { cause: e, context });
  }
  return new KafkaError("KAFKA", `Kafka request failed on ${config.bootstrap}${topic ? ` (topic ${topic})` : ""}: ${detail}`, { cause: e, retriable: errs.some((x) => x.retriable === true || x.canRetry === true), context });
}

/**
 * When `e` (or an error it wraps) is BROKER_UNREACHABLE: that error as the one to report, with `hint`
 * (how to go on once the broker is back) added to its message. Any other error is returned as is.
 *
 * @example
 * catch (e) { throw withBrokerHint(e, "Once it is back, run the same command with --resume."); }
 */
export function withBrokerHint(e: unknown, hint: string): unknown {
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 8; cur = cur.cause, depth++) {
    if (cur instanceof KafkaError && cur.code === "BROKER_UNREACHABLE") {
      return new KafkaError("BROKER_UNREACHABLE", `${cur.message} ${hint}`, { cause: e, retriable: true, context: cur.context });
    }
  }
  return e;
}
