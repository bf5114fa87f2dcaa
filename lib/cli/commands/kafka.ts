/**
 * The Kafka console tools the lectures use, on streamlab's helpers: `topics create|list|describe|delete`,
 * `produce` (one message per stdin line) and `consume`.
 */
import readline from "node:readline";
import type { Command } from "commander";
import { OptionError } from "../../errors";
import { KafkaAdmin } from "../../kafka/admin";
import { kafkaConfig } from "../../kafka/config";
import { subscribe, formatMessage } from "../../kafka/consumer";
import { KAFKA_DEFAULTS } from "../../kafka/options";
import { KafkaProducer } from "../../kafka/producer";
import { topicName } from "../../kafka/topics";
import type { KafkaConfig, OutgoingMessage } from "../../kafka/types";
import { choiceOption, kafkaOptionsOf, secondsFlag, wholeNumberFlag, withInterrupt, withKafkaFlags, type KafkaFlags } from "../flags";

function configOf(o: KafkaFlags): KafkaConfig {
  return kafkaConfig(kafkaOptionsOf(o));
}

async function withAdmin<T>(o: KafkaFlags, f: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
  const admin = await KafkaAdmin.connect(configOf(o));
  try {
    return await f(admin);
  } finally {
    await admin.close();
  }
}

function registerTopics(program: Command): void {
  const topics = program
    .command("topics")
    .description("Create, list, describe and delete Kafka topics (like kafka-topics.sh).")
    .addHelpText("after", [
      "",
      "Examples:",
      "  npx streamlab topics create locations accelerations --first-name John --last-name Doe --partitions 3",
      "  npx streamlab topics list --topic-prefix DoeJohn",
      "  npx streamlab topics describe DoeJohn-locations",
      "  npx streamlab topics delete events --bootstrap localhost:9092",
    ].join("\n"));

  withKafkaFlags(topics.command("create <names...>").description("Create topics (prefixed when a prefix is given); a topic that already exists is reported, not an error."))
    .option("--partitions <n>", "partitions of each new topic", String(KAFKA_DEFAULTS.partitions))
    .option("--replication-factor <n>", "replicas of each partition (at most the number of brokers)", String(KAFKA_DEFAULTS.replicationFactor))
    .action(async (names: string[], o: KafkaFlags & { partitions: string; replicationFactor: string }) => {
      const partitions = wholeNumberFlag("--partitions", o.partitions, 1);
      const replicationFactor = wholeNumberFlag("--replication-factor", o.replicationFactor, 1);
      const r = await withAdmin(o, (a) => a.createTopics(names, { partitions, replicationFactor }));
      for (const t of r.created) console.log(`Created topic ${t}.`);
      for (const t of r.existing) console.log(`Topic ${t} already exists (left as it is).`);
    });

  withKafkaFlags(topics.command("list").description("List topic names, one per line (only the prefix's topics when a prefix is given)."))
    .option("--all", "list every topic even when a prefix is given")
    .option("--internal", "include Kafka's internal topics (__consumer_offsets, …)")
    .action(async (o: KafkaFlags & { all?: boolean; internal?: boolean }) => {
      const names = await withAdmin(o, (a) => a.listTopics({ prefixOnly: o.all !== true, internal: o.internal === true }));
      for (const t of names) console.log(t);
    });

  withKafkaFlags(topics.command("describe <names...>").description("Show each partition's leader, replicas, in-sync replicas, low/high offsets and message count."))
    .option("--json", "print the description as JSON")
    .action(async (names: string[], o: KafkaFlags & { json?: boolean }) => {
      const all = await withAdmin(o, async (a) => { const out = []; for (const n of names) out.push(await a.describeTopic(n)); return out; });
      if (o.json) return console.log(JSON.stringify(all.length === 1 ? all[0] : all, null, 2));
      for (const d of all) {
        console.log(`Topic: ${d.topic}\tPartitionCount: ${d.partitions.length}\tMessages: ${d.messages}`);
        for (const p of d.partitions) console.log(`\tPartition: ${p.partition}\tLeader: ${p.leader}\tReplicas: ${p.replicas.join(",")}\tIsr: ${p.isr.join(",")}\tOffsets: ${p.low}..${p.high}\tMessages: ${p.messages}`);
      }
    });

  withKafkaFlags(topics.command("delete <names...>").description("Delete topics and all their messages (missing topics are reported and skipped)."))
    .action(async (names: string[], o: KafkaFlags) => {
      await withAdmin(o, async (a) => {
        const wanted = names.map((n) => a.topic(n));
        const deleted = await a.deleteTopics(wanted);
        for (const t of wanted) console.log(deleted.includes(t) ? `Deleted topic ${t}.` : `Topic ${t} does not exist (skipped).`);
      });
    });
}

/** The key a JSON line carries in `field`, or what is wrong with the line. */
function keyOf(line: string, field: string): string | null | { problem: string } {
  let parsed: unknown;
  try { parsed = JSON.parse(line); } catch { return { problem: "is not JSON" }; }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return { problem: "is not a JSON object" };
  const v = (parsed as Record<string, unknown>)[field];
  if (v === undefined) return { problem: `has no field "${field}"` };
  return v === null ? null : typeof v === "string" ? v : JSON.stringify(v);
}

function registerProduce(program: Command): void {
  withKafkaFlags(program.command("produce").description("Send one message per line of stdin to a topic (like kafka-console-producer.sh); the topic is created when missing."))
    .requiredOption("--topic <name>", "topic to write to (prefixed when a prefix is given)")
    .option("--key-field <field>", "parse each line as JSON and use this field's value as the message key")
    .option("--key <key>", "the same key for every message")
    .option("--batch <n>", "lines sent per batch (each batch is acknowledged before more is read)", "500")
    .option("--partitions <n>", "partitions if the topic has to be created", String(KAFKA_DEFAULTS.partitions))
    .option("--verbose", "print each delivery (topic, partition, offset, key) on stderr")
    .addHelpText("after", [
      "",
      "Empty lines are skipped. Ends at the end of input (Ctrl-D) and prints how many messages were acknowledged.",
      "",
      "Examples:",
      "  echo '{\"uuid\":\"r1\",\"speed\":3.2}' | npx streamlab produce --topic demo --key-field uuid",
      "  cat lines.txt | npx streamlab produce --topic words --first-name John --last-name Doe",
    ].join("\n"))
    .action(async (o: KafkaFlags & { topic: string; keyField?: string; key?: string; batch: string; partitions: string; verbose?: boolean }) => {
      if (o.key !== undefined && o.keyField !== undefined) throw new OptionError("--key", o.key, "give --key or --key-field, not both");
      const batchSize = wholeNumberFlag("--batch", o.batch, 1)!;
      const partitions = wholeNumberFlag("--partitions", o.partitions, 1);
      const config = configOf(o);
      // The name is checked before connecting: a bad one used to throw after connect(), outside
      // the try/finally below, and left the producer (and its sockets) open.
      const topic = topicName(o.topic, config);
      const producer = await KafkaProducer.connect({ ...config, partitions, onDelivery: o.verbose ? (r) => console.error(`delivered ${r.topic} [${r.partition}] @ ${r.offset} key ${r.key}`) : undefined });
      let lineNo = 0;
      let pending: OutgoingMessage[] = [];
      try {
        const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
        for await (const line of rl) {
          lineNo++;
          if (line.trim() === "") continue;
          let key: string | null = o.key ?? null;
          if (o.keyField !== undefined) {
            const k = keyOf(line, o.keyField);
            if (typeof k !== "string" && k !== null) {
              // Lines before the bad one are sent (nothing read is lost); the error names the line.
              if (pending.length > 0) await producer.send(topic, pending);
              throw new OptionError("--key-field", o.keyField, `a JSON object with field "${o.keyField}" on every stdin line; line ${lineNo} ${k.problem}: ${JSON.stringify(line.slice(0, 60))} (the ${lineNo - 1} line(s) before it were sent)`);
            }
            key = k;
          }
          pending.push({ key, value: line });
          if (pending.length >= batchSize) { await producer.send(topic, pending); pending = []; }
        }
        if (pending.length > 0) await producer.send(topic, pending);
        const stats = producer.stats();
        console.error(`Sent ${stats.messages} message(s) to ${topic}, all acknowledged.`);
      } finally {
        await producer.close();
      }
    });
}

function registerConsume(program: Command): void {
  withKafkaFlags(program.command("consume").description("Print the messages of a topic (like kafka-console-consumer.sh): by default the new ones, as they arrive."))
    .requiredOption("--topic <name>", "topic to read (prefixed when a prefix is given)")
    .option("--from-beginning", "start at the earliest offset (a group with committed offsets resumes there instead)")
    .option("--partition <n>", "read only this partition")
    .option("--offset <k>", "with --partition: start at this offset")
    .option("--group <id>", "consumer group; without it an ephemeral group is used and nothing is committed")
    .option("--commit", "with --group: commit the offsets of what was printed, at the end")
    .option("--max-messages <n>", "exit after this many messages")
    .option("--timeout <seconds>", "exit when no message arrived for this long (default: wait until Ctrl-C)")
    .addOption(choiceOption("--format <fmt>", "value = the value only; key = key<TAB>value; pretty = topic, partition, offset, key and indented JSON", ["value", "key", "pretty"]).default("value"))
    .addHelpText("after", [
      "",
      "Ctrl-C stops cleanly (the consumer leaves its group and disconnects). A summary goes to stderr.",
      "",
      "Examples:",
      "  npx streamlab consume --topic DoeJohn-locations --from-beginning --max-messages 5 --format pretty",
      "  npx streamlab consume --topic iot --partition 1 --offset 10 --timeout 5",
      "  npx streamlab consume --topic events --group analytics --from-beginning --commit --timeout 10",
    ].join("\n"))
    .action(async (o: KafkaFlags & { topic: string; fromBeginning?: boolean; partition?: string; offset?: string; group?: string; commit?: boolean; maxMessages?: string; timeout?: string; format: "value" | "key" | "pretty" }) => {
      const partition = wholeNumberFlag("--partition", o.partition, 0);
      const offset = wholeNumberFlag("--offset", o.offset, 0);
      if (offset !== undefined && partition === undefined) throw new OptionError("--offset", o.offset, "an offset needs --partition too (offsets are per partition)");
      if (o.commit && o.group === undefined) throw new OptionError("--commit", true, "committing needs a consumer group: add --group <id>");
      const max = wholeNumberFlag("--max-messages", o.maxMessages, 1) ?? Infinity;
      const idleMs = (secondsFlag("--timeout", o.timeout) ?? Infinity) * 1000;
      const config = configOf(o);
      let n = 0;
      // withInterrupt removes the Ctrl-C handler on every path, including a failed subscribe
      // (TOPIC_MISSING, BROKER_UNREACHABLE): left installed, it would swallow the next Ctrl-C.
      await withInterrupt(async (signal) => {
        const sub = await subscribe({ ...config, topics: o.topic, from: o.fromBeginning ? "earliest" : "latest", group: o.group, partition, offset, signal });
        try {
          while (n < max) {
            const m = await sub.next(idleMs);
            if (m === undefined) break;
            n++;
            if (o.format === "pretty") console.log(formatMessage(m));
            else if (o.format === "key") console.log(`${m.key ?? "null"}\t${m.raw ?? "null"}`);
            else console.log(m.raw ?? "null");
          }
          // Ctrl-C already closed the subscription (the signal closes it): nothing left to commit on.
          if (o.commit && signal.aborted) console.error("Interrupted: offsets not committed; the group resumes from its last commit.");
          else if (o.commit) await sub.commit();
        } finally {
          await sub.close();
        }
      });
      console.error(`Processed a total of ${n} messages`);
    });
}

export function register(program: Command): void {
  registerTopics(program);
  registerProduce(program);
  registerConsume(program);
}
