import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { loadDataset } from "../../lib/dataset/load";
import { TABLES, type Table } from "../../lib/dataset/types";
import { replay } from "../../lib/replay/replay";
import { KafkaSink } from "../../lib/sinks/kafka";
import { KafkaAdmin } from "../../lib/kafka/admin";
import { readTopicMessages } from "../../lib/kafka/read";
import type { ConsumedMessage, DeliveryReport } from "../../lib/kafka/types";
import { SHARED_BDD, bootstrap, closeAll, hasSharedBdd, javaConsoleConsumer, requireBroker, track, uniquePrefix } from "../helpers/kafka";

const START = "2026-11-20T10:00:00.000Z";

describe("replay → Kafka → consumers, on the course dataset (real broker)", function () {
  this.timeout(300_000);
  const prefix = uniquePrefix("Replay");
  let source: Partial<Record<Table, pl.DataFrame>> = {};
  let read: Record<Table, ConsumedMessage[]>;
  let sink: KafkaSink;
  const delivered: DeliveryReport[] = [];

  before(async function () {
    if (!hasSharedBdd()) {
      console.log(`    (skipped: the course dataset is not at ${SHARED_BDD})`);
      this.skip();
    }
    await requireBroker();
    source = (await loadDataset(SHARED_BDD)).frames;
    sink = new KafkaSink({ bootstrap: bootstrap(), topicPrefix: prefix, onDelivery: (r) => delivered.push(r) });
    const summary = await replay({ data: SHARED_BDD, sinks: sink, speed: "max", start: START });
    assert.equal(summary.stopReason, "completed");
    read = {
      locations: await readTopicMessages(`${prefix}-locations`, { bootstrap: bootstrap() }),
      accelerations: await readTopicMessages(`${prefix}-accelerations`, { bootstrap: bootstrap() }),
    };
  });

  after(async () => {
    await closeAll();
    const admin = await KafkaAdmin.connect({ bootstrap: bootstrap(), topicPrefix: prefix }).catch(() => undefined);
    await admin?.deleteTopics(["locations", "accelerations"]);
    await admin?.close();
  });

  it("puts exactly one message per source row on each topic (478 and 23,512)", async () => {
    assert.equal(read.locations.length, source.locations?.height);
    assert.equal(read.accelerations.length, source.accelerations?.height);
    assert.equal(read.locations.length, 478);
    assert.equal(read.accelerations.length, 23_512);
    const admin = track(await KafkaAdmin.connect({ bootstrap: bootstrap(), topicPrefix: prefix }));
    assert.equal((await admin.describeTopic("locations")).messages, 478);
    assert.equal((await admin.describeTopic("accelerations")).messages, 23_512);
  });

  it("counts acknowledged messages per topic and partition, and reports each delivery", () => {
    const stats = sink.stats();
    assert.equal(stats.messages, 478 + 23_512);
    assert.equal(stats[`${prefix}-locations`], 478);
    assert.equal(stats[`${prefix}-accelerations`], 23_512);
    for (const table of TABLES) {
      const topic = `${prefix}-${table}`;
      const perPartition = new Map<number, number>();
      for (const m of read[table]) perPartition.set(m.partition, (perPartition.get(m.partition) ?? 0) + 1);
      for (const [p, n] of perPartition) assert.equal(stats[`${topic}[${p}]`], n, `${topic}[${p}]`);
      const reported = new Set(delivered.filter((r) => r.topic === topic).map((r) => `${r.partition}/${r.offset}/${r.key}`));
      assert.deepEqual(reported, new Set(read[table].map((m) => `${m.partition}/${m.offset}/${m.key}`)));
    }
  });

  it("carries every row as JSON with the source columns plus an ISO-8601 timestamp", () => {
    for (const table of TABLES) {
      const columns = [...source[table]!.columns].sort();
      for (const m of read[table]) {
        assert.ok(m.raw !== null && typeof m.value === "object", `${m.topic}@${m.offset} is JSON`);
        const v = JSON.parse(m.raw!) as Record<string, unknown>;
        assert.deepEqual(Object.keys(v).sort(), columns);
        assert.match(String(v.timestamp), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        assert.equal(Date.parse(String(v.timestamp)), Date.parse(START) + Math.round((v.offset as number) * 1000), "timestamp = start + offset");
      }
      // Same rows as the source: (uuid, offset, id) multisets agree.
      const rowKey = (r: Record<string, unknown>) => `${r.uuid}|${r.offset}|${r.id}`;
      const want = source[table]!.select("uuid", "offset", "id").toRecords().map(rowKey).sort();
      const got = read[table].map((m) => rowKey(m.value as Record<string, unknown>)).sort();
      assert.deepEqual(got, want);
    }
  });

  it("keys every message by its ride's uuid, and each ride sits in one partition", () => {
    for (const table of TABLES) {
      const partitionsOf = new Map<string, Set<number>>();
      for (const m of read[table]) {
        assert.equal(m.key, (m.value as { uuid: string }).uuid);
        const s = partitionsOf.get(m.key!) ?? new Set<number>();
        s.add(m.partition);
        partitionsOf.set(m.key!, s);
      }
      assert.equal(partitionsOf.size, 35, `${table}: 35 rides`);
      for (const [uuid, parts] of partitionsOf) assert.equal(parts.size, 1, `${table} ride ${uuid} spans partitions ${[...parts]}`);
      assert.ok(new Set(read[table].map((m) => m.partition)).size > 1, "rides spread over several partitions");
    }
  });

  it("is read identically by an independent client (the Java console consumer)", async function () {
    const lines = await javaConsoleConsumer(["--topic", `${prefix}-locations`, "--from-beginning", "--max-messages", "478", "--timeout-ms", "60000", "--property", "print.key=true", "--property", "key.separator=\t"]);
    assert.equal(lines.length, 478);
    const pairs = lines.map((l) => {
      const [key, value] = l.split("\t");
      return `${key}|${value}`;
    });
    assert.deepEqual(pairs.sort(), read.locations.map((m) => `${m.key}|${m.raw}`).sort());
    const accelerations = await javaConsoleConsumer(["--topic", `${prefix}-accelerations`, "--from-beginning", "--max-messages", "23512", "--timeout-ms", "60000"]);
    assert.equal(accelerations.length, 23_512);
    assert.equal(accelerations.filter((l) => typeof JSON.parse(l).uuid === "string").length, 23_512);
  });

  it("keeps each ride's order on topics with 6 partitions (2 per connection: the sends of a partition stay in order)", async () => {
    const six = uniquePrefix("Six");
    try {
      const summary = await replay({ data: SHARED_BDD, sinks: new KafkaSink({ bootstrap: bootstrap(), topicPrefix: six, partitions: 6 }), speed: "max", start: START, progressLog: false });
      assert.equal(summary.stopReason, "completed");
      for (const table of TABLES) {
        const messages = await readTopicMessages(`${six}-${table}`, { bootstrap: bootstrap() });
        assert.equal(messages.length, source[table]?.height, `${table}: one message per row`);
        assert.equal(new Set(messages.map((m) => m.partition)).size, 6, `${table}: rides on all 6 partitions`);
        // Per ride: one partition, and offsets in the order of the ride's own event times (offset column).
        const byRide = new Map<string, ConsumedMessage[]>();
        for (const m of messages) byRide.set(m.key!, [...(byRide.get(m.key!) ?? []), m]);
        for (const [uuid, list] of byRide) {
          assert.equal(new Set(list.map((m) => m.partition)).size, 1, `${table} ride ${uuid}: one partition`);
          const sent = list.sort((a, b) => a.offset - b.offset).map((m) => (JSON.parse(m.raw!) as { offset: number }).offset);
          assert.deepEqual(sent, [...sent].sort((a, b) => a - b), `${table} ride ${uuid}: messages in the ride's order`);
        }
      }
    } finally {
      const admin = await KafkaAdmin.connect({ bootstrap: bootstrap(), topicPrefix: six }).catch(() => undefined);
      await admin?.deleteTopics(["locations", "accelerations"]);
      await admin?.close();
    }
  });
});
