/**
 * 2. Kafka publish throughput at speed max (parquet → JSON → acknowledged): streamlab's replay
 * with its Kafka sink vs the course's kafka-python producer vs the broker's own Java
 * ProducerPerformance (same record count and size) vs kcat. Same acks, batch size and linger.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import type { Ctx } from "../lib/context";
import { round } from "../lib/context";
import { freshDir } from "../lib/datasets";
import { createTopics, kafkaClasspath, requireBroker, BOOTSTRAP } from "../lib/kafka";
import { Child, NotMeasured, reasonOf } from "../lib/proc";
import { ROOT } from "../lib/python";
import type { Section, Value } from "../lib/report";
import { fmt } from "../lib/stats";

type Parts = Omit<Section, "id" | "title" | "seconds">;

export const PUBLISH_TARGET = "≥ 1× the Java producer";

interface Measured { name: string; rows: number; seconds: number; note?: string }

export async function publishSection(ctx: Ctx): Promise<Parts> {
  await requireBroker();
  const k = ctx.p.kafka;
  const base = await ctx.data("publish base", ctx.p.publish.base);
  // The course's layout, one file per ride per partition (an expanded copy has one file per partition,
  // which would hide the per-file costs of reading it).
  const ds = ctx.p.publish.copies === 1 && ctx.p.publish.loops === 1 ? base : await ctx.expand("publish", base, ctx.p.publish.copies, ctx.p.publish.loops);
  const total = ds.rows.locations + ds.rows.accelerations;
  const notMeasured: string[] = [];
  const measured: Measured[] = [];
  const raw: Record<string, unknown> = {};

  // The JSON values every client sends (also the input of kcat), and their average size.
  const dir = freshDir("publish");
  const dumpFile = path.join(dir, "messages.tsv");
  let avgBytes = 0;
  try {
    const dump = await ctx.py("writing the JSON messages for kcat", "producer_course.py", ["--data", ds.dir, "--dump", dumpFile, "--start", ctx.p.start]);
    avgBytes = dump.valueBytes / dump.rows;
  } catch (e) {
    notMeasured.push(`message file (for kcat and the record size): ${reasonOf(e)}`);
  }

  const run = async (name: string, fn: () => Promise<Measured>) => {
    try {
      const m = await fn();
      measured.push(m);
      raw[name] = m;
    } catch (e) {
      notMeasured.push(`${name}: ${reasonOf(e)}`);
    }
  };

  // Both producer clients behind KafkaProducer (lib/kafka/senders.ts): the default first.
  for (const client of ["platformatic", "kafkajs"] as const) {
    await run(`streamlab (replay --speed max → KafkaSink, ${client})`, async () => {
      const prefix = ctx.prefix(client === "kafkajs" ? "POJ" : "PO");
      await createTopics([`${prefix}-locations`, `${prefix}-accelerations`], k.partitions);
      const r = await ctx.ours(`streamlab replay --speed max → Kafka (${client})`, "replay.ts", ["--data", ds.dir, "--speed", "max", "--sink", "kafka", "--topic-prefix", prefix, "--bootstrap", BOOTSTRAP, "--start", ctx.p.start, "--client", client]);
      const name = `streamlab (replay --speed max → KafkaSink, ${client === "platformatic" ? "@platformatic/kafka, the default" : "kafkajs"})`;
      return { name, rows: r.rows, seconds: r.wallMs / 1000, note: "a producer per table, a connection per partition, one send per release; idempotent, acks=all" };
    });
  }
  await run("course producer (kafka-python)", async () => {
    const prefix = ctx.prefix("PC");
    await createTopics([`${prefix}-locations`, `${prefix}-accelerations`], k.partitions);
    const r = await ctx.py("course producer (kafka-python)", "producer_course.py", ["--data", ds.dir, "--topic-prefix", prefix, "--bootstrap", BOOTSTRAP, "--acks", k.acks, "--batch-size", String(k.batchSize), "--linger-ms", String(k.lingerMs), "--start", ctx.p.start]);
    return { name: "course producer (Python, kafka-python)", rows: r.rows, seconds: r.wallMs / 1000, note: "send() per row, flush() per partition" };
  });
  await run("Java ProducerPerformance", async () => {
    if (!avgBytes) throw new NotMeasured("no record size (the message file was not written)");
    const cp = kafkaClasspath();
    const prefix = ctx.prefix("PJ");
    await createTopics([`${prefix}-perf`], k.partitions);
    ctx.log("  Java ProducerPerformance (kafka-producer-perf-test)");
    const child = new Child("java", ["-Xmx512m", "-cp", cp, `-Dlog4j.configuration=file:${path.join(ROOT, "kafka", "tools-log4j.properties")}`, "org.apache.kafka.tools.ProducerPerformance",
      "--topic", `${prefix}-perf`, "--num-records", String(total), "--record-size", String(Math.round(avgBytes)), "--throughput", "-1",
      "--producer-props", `bootstrap.servers=${BOOTSTRAP}`, `acks=${k.acks}`, `batch.size=${k.batchSize}`, `linger.ms=${k.lingerMs}`, "enable.idempotence=true"], { timeoutMs: ctx.p.timeouts.childMs });
    const r = await child.done;
    const m = /(\d+) records sent, ([\d.]+) records\/sec/.exec(r.stdout);
    if (r.code !== 0 || !m) throw new NotMeasured(`ProducerPerformance failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-2).join(" | ")}`);
    return { name: "Java ProducerPerformance (broker's jars)", rows: Number(m[1]), seconds: Number(m[1]) / Number(m[2]), note: `--record-size ${Math.round(avgBytes)} (random bytes), no keys` };
  });
  await run("kcat", async () => {
    if (!avgBytes) throw new NotMeasured("no message file");
    try {
      execFileSync("kcat", ["-V"], { stdio: "ignore" });
    } catch {
      throw new NotMeasured("kcat is not installed (Debian: apt-get install -y kcat)");
    }
    const prefix = ctx.prefix("PK");
    await createTopics([`${prefix}-perf`], k.partitions);
    ctx.log("  kcat -P");
    const child = new Child("kcat", ["-P", "-b", BOOTSTRAP, "-t", `${prefix}-perf`, "-K", "\t", "-X", `acks=${k.acks}`, "-X", `batch.size=${k.batchSize}`, "-X", `linger.ms=${k.lingerMs}`, "-X", "enable.idempotence=true", "-l", dumpFile], { timeoutMs: ctx.p.timeouts.childMs });
    const r = await child.done;
    if (r.code !== 0) throw new NotMeasured(`kcat failed (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`);
    return { name: "kcat (librdkafka)", rows: total, seconds: r.wallMs / 1000, note: "same key + JSON lines from a file; process wall time (includes connecting)" };
  });

  const java = measured.find((m) => m.name.startsWith("Java"));
  const ours = measured.find((m) => m.name.startsWith("streamlab")); // the default client
  const mb = (m: Measured) => (m.rows * avgBytes) / m.seconds / 1_048_576;
  const rows: Value[][] = measured.map((m) => [m.name, fmt.int(m.rows), round(m.seconds, 2), fmt.rate(m.rows / m.seconds), avgBytes ? fmt.mb(mb(m)) : null, java ? fmt.x(m.rows / m.seconds / (java.rows / java.seconds)) : null, m.note ?? ""]);
  const ratio = ours && java ? ours.rows / ours.seconds / (java.rows / java.seconds) : null;
  writeFileSync(path.join(dir, "done"), "");
  return {
    target: PUBLISH_TARGET,
    met: ratio === null ? null : ratio >= 1,
    verdict: ratio === null ? `${!ours ? "streamlab" : "Java"} not measured (see below)` : `streamlab ${fmt.rate(ours!.rows / ours!.seconds)} rows/s = ${fmt.x(ratio)} Java's ${fmt.rate(java!.rows / java!.seconds)} rows/s`,
    tables: [{ columns: ["producer", "records", "seconds", "rows/s", "MiB/s", "vs Java", "how"], rows }],
    notes: [
      `${total.toLocaleString("en-US")} records (${ds.rows.locations.toLocaleString("en-US")} locations + ${ds.rows.accelerations.toLocaleString("en-US")} accelerations) in ${ds.files.toLocaleString("en-US")} files, average JSON value ${Math.round(avgBytes)} bytes; topics with ${k.partitions} partitions; every producer: acks=${k.acks}, idempotence on, batch.size=${k.batchSize}, linger.ms=${k.lingerMs} (streamlab has no linger/batch.size: it sends each released batch as one request per connection).`,
      "Times exclude process start-up and connecting, except kcat's (whole process). MiB/s counts message values only.",
    ],
    notMeasured, raw,
  };
}
