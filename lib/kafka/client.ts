/**
 * The kafkajs client behind every helper: short connection timeout, a quick TCP probe of the
 * bootstrap servers (so a stopped broker fails in seconds, not after minutes of retries), and
 * kafkajs's logging kept quiet except for real errors.
 */
import net from "node:net";
import type { Kafka as KafkaClient, LogEntry, logCreator } from "kafkajs";
import { kafkajs } from "./kafkajs";

const { Kafka, logLevel: KafkaJsLevel } = kafkajs;
import { KafkaError } from "../errors";
import { unreachableMessage } from "./failures";
import type { KafkaConfig, KafkaLogLevel } from "./types";

const LEVELS: Record<KafkaLogLevel, number> = {
  nothing: KafkaJsLevel.NOTHING,
  error: KafkaJsLevel.ERROR,
  warn: KafkaJsLevel.WARN,
  info: KafkaJsLevel.INFO,
  debug: KafkaJsLevel.DEBUG,
};

// Errors kafkajs logs and then retries (or that streamlab reports itself as a KafkaError): at the
// default level they are noise. Shown from `warn` on.
const TRANSIENT = /coordinator is loading|another concurrent operation on the same transaction|coordinator is not available|not the correct coordinator|leadership election|not the leader for that topic-partition|no leader|does not host this topic-partition|group is rebalancing|Connection error|ECONNREFUSED|ENOTFOUND|Connection timeout|Closed connection|Crash:|Failed to connect|rejected with error|not reachable/i;

/** kafkajs logger: one line per entry on stderr, transient errors hidden at level `error`. */
export function quietLogCreator(level: KafkaLogLevel): logCreator {
  return () => ({ namespace, level: entryLevel, log }: LogEntry) => {
    const { message, error } = log as { message: string; error?: string };
    const text = `${message} ${error ?? ""}`;
    if (level === "error" && TRANSIENT.test(text)) return;
    if (/default partitioner/i.test(text)) return; // kafkajs v2 migration notice; we pick partitions ourselves
    const name = KafkaJsLevel[entryLevel] ?? String(entryLevel);
    console.error(`kafkajs ${name} [${namespace}] ${message}${error ? `: ${error}` : ""}`);
  };
}

/**
 * kafkajs retry settings that keep trying for about `budgetMs`: delays of 300 ms doubling up to
 * 5 s (kafkajs adds ±20% jitter), as many as fit in the budget. A broker restart (10–30 s) is
 * ridden out; a broker gone for longer ends in an error the caller turns into BROKER_UNREACHABLE.
 */
export function retryWithin(budgetMs: number): { retries: number; initialRetryTime: number; maxRetryTime: number } {
  const initialRetryTime = 300, maxRetryTime = 5_000;
  let retries = 0;
  for (let spent = 0, delay = initialRetryTime; spent + delay <= budgetMs; retries++) {
    spent += delay;
    delay = Math.min(delay * 2, maxRetryTime);
  }
  return { retries: Math.max(1, retries), initialRetryTime, maxRetryTime };
}

/** A kafkajs client for the configuration (does not connect). */
export function createClient(config: KafkaConfig, retries = 5): KafkaClient {
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: 30_000,
    logLevel: LEVELS[config.logLevel],
    logCreator: quietLogCreator(config.logLevel),
    retry: { retries, initialRetryTime: 300, maxRetryTime: 5_000 },
  });
}

function tcpProbe(hostPort: string, timeoutMs: number): Promise<string | undefined> {
  const i = hostPort.lastIndexOf(":");
  const host = hostPort.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(hostPort.slice(i + 1));
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (problem?: string) => { socket.removeAllListeners(); socket.destroy(); resolve(problem); };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once("connect", () => done());
    socket.once("error", (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/**
 * Resolves when at least one bootstrap server accepts a TCP connection; otherwise throws
 * BROKER_UNREACHABLE after `connectAttempts` rounds (seconds, not minutes).
 *
 * @example
 * await probeBrokers(kafkaConfig({ bootstrap: "localhost:9092" }));
 */
export async function probeBrokers(config: KafkaConfig): Promise<void> {
  let problems: string[] = [];
  for (let attempt = 1; attempt <= config.connectAttempts; attempt++) {
    problems = await Promise.all(config.brokers.map((b) => tcpProbe(b, config.connectionTimeoutMs).then((p) => (p === undefined ? undefined : `${b}: ${p}`))))
      .then((ps) => (ps.some((p) => p === undefined) ? [] : (ps as string[])));
    if (problems.length === 0) return;
    if (attempt < config.connectAttempts) await new Promise((r) => setTimeout(r, 300 * attempt));
  }
  throw new KafkaError("BROKER_UNREACHABLE", unreachableMessage(config.bootstrap, problems.join("; ")), { retriable: true, context: { broker: config.bootstrap } });
}
