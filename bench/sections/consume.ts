/**
 * 8. Kafka consume throughput: the replay's topics (course layout, JSON values keyed by uuid) read
 * back whole, by streamlab's `readTopic` (topic → polars DataFrame with the JSON parsed into
 * columns) and by kcat (librdkafka, values printed as lines), from the same topics in the same run.
 */
import { execFileSync } from "node:child_process";
import type { Ctx } from "../lib/context";
import { round } from "../lib/context";
import { createTopics, requireBroker, BOOTSTRAP } from "../lib/kafka";
import { Child, NotMeasured, reasonOf } from "../lib/proc";
import type { Section, Value } from "../lib/report";
import { fmt } from "../lib/stats";

type Parts = Omit<Section, "id" | "title" | "seconds">;

export const CONSUME_TARGET = "≥ 0.5× kcat's rows/s";

interface Measured { name: string; rows: number; seconds: number; note: string }

export async function consumeSection(ctx: Ctx): Promise<Parts> {
  await requireBroker();
  const k = ctx.p.kafka;
  const base = await ctx.data("consume base", ctx.p.publish.base);
  // The course's layout, one file per ride per partition (an expanded copy has one file per partition,
  // which would hide the per-file costs of reading it).
  const ds = ctx.p.publish.copies === 1 && ctx.p.publish.loops === 1 ? base : await ctx.expand("consume", base, ctx.p.publish.copies, ctx.p.publish.loops);
  const prefix = ctx.prefix("CO");
  const topics = [`${prefix}-locations`, `${prefix}-accelerations`];
  await createTopics(topics, k.partitions);
  await ctx.ours("filling the topics (streamlab replay --speed max → Kafka)", "replay.ts", ["--data", ds.dir, "--speed", "max", "--sink", "kafka", "--topic-prefix", prefix, "--bootstrap", BOOTSTRAP, "--start", ctx.p.start]);

  const measured: Measured[] = [];
  const notMeasured: string[] = [];
  const raw: Record<string, unknown> = {};
  try {
    const r = await ctx.ours("streamlab readTopic (topic → DataFrame)", "consume.ts", ["--bootstrap", BOOTSTRAP, "--topics", topics.join(",")]);
    measured.push({ name: "streamlab readTopic (kafkajs fetch, JSON → columns in bulk)", rows: r.rows, seconds: r.wallMs / 1000, note: `a DataFrame of ${r.columns} columns per topic; excludes process start-up` });
    raw.ours = r;
  } catch (e) {
    notMeasured.push(`streamlab readTopic: ${reasonOf(e)}`);
  }
  try {
    try {
      execFileSync("kcat", ["-V"], { stdio: "ignore" });
    } catch {
      throw new NotMeasured("kcat is not installed (Debian: apt-get install -y kcat)");
    }
    let rows = 0, ms = 0;
    for (const topic of topics) {
      ctx.log(`  kcat -C ${topic}`);
      const child = new Child("kcat", ["-C", "-b", BOOTSTRAP, "-t", topic, "-o", "beginning", "-e", "-q"], { timeoutMs: ctx.p.timeouts.childMs });
      const r = await child.done;
      if (r.code !== 0) throw new NotMeasured(`kcat failed (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`);
      rows += r.stdout.split("\n").filter((l) => l !== "").length;
      ms += r.wallMs;
    }
    measured.push({ name: "kcat -C (librdkafka)", rows, seconds: ms / 1000, note: "values printed as lines, not parsed; process wall time (includes connecting)" });
  } catch (e) {
    notMeasured.push(`kcat: ${reasonOf(e)}`);
  }

  const kcat = measured.find((m) => m.name.startsWith("kcat"));
  const ours = measured.find((m) => m.name.startsWith("streamlab"));
  const rate = (m: Measured) => m.rows / m.seconds;
  const ratio = ours && kcat ? rate(ours) / rate(kcat) : null;
  const rows: Value[][] = measured.map((m) => [m.name, fmt.int(m.rows), round(m.seconds, 2), fmt.rate(rate(m)), kcat ? fmt.x(rate(m) / rate(kcat)) : null, m.note]);
  return {
    target: CONSUME_TARGET,
    met: ratio === null ? null : ratio >= 0.5,
    verdict: ratio === null ? `${!ours ? "streamlab" : "kcat"} not measured (see below)` : `streamlab ${fmt.rate(rate(ours!))} rows/s = ${fmt.x(ratio)} kcat's ${fmt.rate(rate(kcat!))} rows/s`,
    tables: [{ columns: ["consumer", "messages", "seconds", "rows/s", "vs kcat", "how"], rows }],
    notes: [`${(ds.rows.locations + ds.rows.accelerations).toLocaleString("en-US")} messages (from ${ds.files.toLocaleString("en-US")} course-layout files) on ${topics.length} topics of ${k.partitions} partitions, written by the replay (idempotent, so each topic ends in committed data).`],
    notMeasured, raw,
  };
}
