/**
 * Test helpers for the real broker: where it is, unique topic names, waiting for messages, and a
 * registry that closes every client a test opened (call `closeAll()` in afterEach).
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { execFile } from "node:child_process";
import { kafkaConfig } from "../../lib/kafka/config";
import { probeBrokers } from "../../lib/kafka/client";
import { subscribe, type SubscribeOptions } from "../../lib/kafka/consumer";
import { deleteTopics } from "../../lib/kafka/admin";
import type { ConsumedMessage } from "../../lib/kafka/types";

/** The broker the tests use: env KAFKA_BOOTSTRAP_SERVERS, else localhost:9092. */
export function bootstrap(): string {
  return process.env.KAFKA_BOOTSTRAP_SERVERS?.trim() || "localhost:9092";
}

const madeTopics: string[] = [];

/** A topic name no other test (or run) uses: `test-<name>-<random>`; `deleteTestTopics()` removes it. */
export function uniqueTopic(name = "t"): string {
  const topic = `test-${name}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  madeTopics.push(topic);
  return topic;
}

/** Deletes the topics `uniqueTopic` named (call in `after`), so runs do not pile up topics. */
export async function deleteTestTopics(): Promise<void> {
  const topics = madeTopics.splice(0);
  if (topics.length > 0) await deleteTopics(topics, { bootstrap: bootstrap() }).catch(() => undefined);
}

/** A topic prefix no other test uses (for the `<prefix>-locations` style helpers). */
export function uniquePrefix(name = "T"): string {
  return `Test${name}${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
}

/** Fails the suite with what to do when no broker answers (integration tests need the real one). */
export async function requireBroker(): Promise<void> {
  try {
    await probeBrokers(kafkaConfig({ bootstrap: bootstrap(), connectAttempts: 1 }));
  } catch {
    throw new Error(`No Kafka broker answers at ${bootstrap()}: start one with \`npm run kafka:start\` (or set KAFKA_BOOTSTRAP_SERVERS).`);
  }
}

const open: Array<{ close(): Promise<unknown> | unknown }> = [];

/** Registers something to close in `closeAll()`; returns it. */
export function track<T extends { close(): Promise<unknown> | unknown }>(x: T): T {
  open.push(x);
  return x;
}

/** Closes every tracked client (afterEach). */
export async function closeAll(): Promise<void> {
  for (const x of open.splice(0).reverse()) await Promise.resolve(x.close()).catch(() => {});
}

/**
 * Reads `n` messages with a fresh subscription (from the earliest offset, no group); fails with the
 * count it got when they do not all arrive within `timeoutMs`.
 */
export async function waitForMessages(n: number, options: Omit<SubscribeOptions, "bootstrap"> & { timeoutMs?: number }): Promise<ConsumedMessage[]> {
  const sub = track(await subscribe({ bootstrap: bootstrap(), from: "earliest", ...options }));
  try {
    const got = await sub.takeMessages({ n, timeoutMs: options.timeoutMs ?? 30_000 });
    if (got.length < n) throw new Error(`waitForMessages: got ${got.length} of ${n} messages from ${sub.topics.join(", ")}`);
    return got;
  } finally {
    await sub.close();
  }
}

/** The course dataset, when this machine has it. */
export const SHARED_BDD = path.resolve(__dirname, "../../../shared/data/bdd");
export const hasSharedBdd = (): boolean => existsSync(path.join(SHARED_BDD, "locations"));

/**
 * Runs the Java console consumer of the project's Kafka jars (scripts/kafka.sh console-consumer):
 * an independent client. Resolves with its stdout lines.
 */
export function javaConsoleConsumer(args: string[], timeoutMs = 90_000): Promise<string[]> {
  const script = path.resolve(__dirname, "../../scripts/kafka.sh");
  return new Promise((resolve, reject) => {
    execFile("bash", [script, "console-consumer", "--bootstrap-server", bootstrap(), ...args], { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`console consumer failed: ${err.message}\n${stderr}`));
      else resolve(stdout.split("\n").filter((l) => l !== ""));
    });
  });
}
