import { randomBytes } from "node:crypto";
import { kafkajs } from "../../kafka/kafkajs";
import { KafkaError } from "../../errors";
import { KafkaAdmin, resolveConfig, subscribe, type KafkaSubscription } from "../../kafka";
import { ensureTopic } from "../kafka";
import { resolveGroupLayout, resolveIotOptions, type GroupLayout, type IotOptions } from "./options";
import { iotReadings, produceIot } from "./producer";
import type { DeliveryRecord, GroupCheck, IotReading } from "./types";

/** Options of {@link runGroupExperiment}. */
export interface GroupExperimentOptions extends IotOptions {
  /** Group name → consumers; default the lecture's `several-groups` example. */
  groups: GroupLayout;
  /** Longest wait for the groups to settle and for the messages, ms; default 60000. */
  timeoutMs?: number;
}

/** What an experiment did: the messages sent and who received each. */
export interface GroupExperiment {
  /** The actual consumer group ids (the names with a unique run suffix, so each run starts fresh). */
  groupIds: Record<string, string>;
  sent: IotReading[];
  deliveries: DeliveryRecord[];
  checks: GroupCheck[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until every group is Stable with all its members and all partitions assigned. */
async function waitForStableGroups(admin: KafkaAdmin, topic: string, partitions: number, expected: Record<string, number>, deadline: number): Promise<void> {
  for (;;) {
    const { groups } = await admin.kafkajs.describeGroups(Object.keys(expected));
    const settled = groups.every((g) => {
      if (g.state !== "Stable" || g.members.length !== expected[g.groupId]) return false;
      const assigned = g.members.flatMap((m) => kafkajs.AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topic] ?? []);
      return new Set(assigned).size === partitions;
    });
    if (settled) return;
    if (Date.now() > deadline) throw new KafkaError("KAFKA", `Consumer groups ${Object.keys(expected).join(", ")} did not settle in time (state: ${groups.map((g) => `${g.groupId}=${g.state}/${g.members.length}`).join(", ")}).`, { retriable: true, context: { topic } });
    await sleep(250);
  }
}

/**
 * Checks, per group, that every sent message reached exactly one of its consumers.
 *
 * @example
 * ```ts
 * checkDeliveries(sent, deliveries, { workers: 2 })[0].duplicated; // []
 * ```
 */
export function checkDeliveries(sent: IotReading[], deliveries: DeliveryRecord[], groups: GroupLayout): GroupCheck[] {
  return Object.entries(groups).map(([group, consumers]) => {
    const mine = deliveries.filter((d) => d.group === group);
    const times = new Map<number, number>();
    for (const d of mine) times.set(d.seq, (times.get(d.seq) ?? 0) + 1);
    const perConsumer: Record<string, number> = {};
    const partitions: Record<string, number[]> = {};
    for (let i = 1; i <= consumers; i++) {
      perConsumer[`${group}/c${i}`] = 0;
      partitions[`${group}/c${i}`] = [];
    }
    for (const d of mine) {
      perConsumer[d.consumer]++;
      if (!partitions[d.consumer].includes(d.partition)) partitions[d.consumer].push(d.partition);
    }
    for (const p of Object.values(partitions)) p.sort((a, b) => a - b);
    return {
      group,
      consumers,
      received: mine.length,
      missing: sent.filter((s) => !times.has(s.seq)).map((s) => s.seq),
      duplicated: [...times].filter(([, n]) => n > 1).map(([seq]) => seq).sort((a, b) => a - b),
      perConsumer,
      partitions,
    };
  });
}

/**
 * Runs one of the lecture's consumer-group examples live: starts the groups' consumers, waits until
 * each group has shared out the topic's partitions, sends fresh sensor readings, and records which
 * consumer of which group received each one, until every group has received them all.
 *
 * @example
 * ```ts
 * const run = await runGroupExperiment({ groups: GROUP_EXAMPLES["shared-group"], count: 20 });
 * run.checks; // per group: received, missing [], duplicated [], messages and partitions per consumer
 * ```
 */
export async function runGroupExperiment(options: GroupExperimentOptions): Promise<GroupExperiment> {
  const o = resolveIotOptions(options);
  const layout = resolveGroupLayout(options.groups);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const config = resolveConfig(o.kafka);
  const topic = await ensureTopic(config, o.topic, o.partitions);
  const run = randomBytes(3).toString("hex");
  const groupIds = Object.fromEntries(Object.keys(layout).map((g) => [g, `${g}-${run}`]));

  const admin = await KafkaAdmin.connect(config);
  const subs: Array<{ group: string; consumer: string; sub: KafkaSubscription }> = [];
  const deliveries: DeliveryRecord[] = [];
  try {
    const d = await admin.describeTopic(o.topic);
    // Only messages past today's end are this experiment's (the topic may hold older runs).
    const startAt = new Map(d.partitions.map((p) => [p.partition, p.high]));
    for (const [group, n] of Object.entries(layout)) {
      for (let i = 1; i <= n; i++) subs.push({ group, consumer: `${group}/c${i}`, sub: await subscribe({ ...config, topics: [o.topic], group: groupIds[group], from: "earliest" }) });
    }
    await waitForStableGroups(admin, topic, d.partitions.length, Object.fromEntries(Object.entries(layout).map(([g, n]) => [groupIds[g], n])), deadline);

    const sent = iotReadings({ ...options, kafka: undefined });
    const expected = sent.length;
    const perGroup = new Map(Object.keys(layout).map((g) => [g, 0]));
    const collecting = subs.map(async ({ group, consumer, sub }) => {
      while ((perGroup.get(group) ?? 0) < expected && Date.now() < deadline) {
        const m = await sub.next(200);
        if (m === undefined) continue;
        if (m.offset < (startAt.get(m.partition) ?? 0)) continue;
        const r = m.value as IotReading;
        deliveries.push({ group, consumer, partition: m.partition, offset: m.offset, seq: r.seq, sensor_id: r.sensor_id });
        perGroup.set(group, (perGroup.get(group) ?? 0) + 1);
      }
    });
    await produceIot(sent, { ...options, kafka: config });
    await Promise.all(collecting);
    return { groupIds, sent, deliveries, checks: checkDeliveries(sent, deliveries, layout) };
  } finally {
    await Promise.all(subs.map((s) => s.sub.close()));
    // The run's groups are throwaway: remove them so the broker does not keep their (empty) state.
    await admin.kafkajs.deleteGroups(Object.values(groupIds)).catch(() => {});
    await admin.close();
  }
}
