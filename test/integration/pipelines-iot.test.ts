import assert from "node:assert/strict";
import { describeTopic, readTopic } from "../../lib/kafka";
import { GROUP_EXAMPLES, iotReadings, produceIot, runGroupExperiment } from "../../lib/pipelines/iot";
import { requireBroker, uniqueTopic } from "../helpers/kafka";

describe("IoT sensors and consumer groups (real Kafka)", function () {
  this.timeout(120_000);
  before(requireBroker);

  it("produces readings to a 2-partition topic, keyed by sensor", async () => {
    const topic = uniqueTopic("iot");
    const readings = iotReadings({ count: 30, seed: 3 });
    const reports = await produceIot(readings, { topic });
    const d = await describeTopic(topic);
    assert.equal(d.partitions.length, 2);
    assert.equal(d.messages, 30);
    // One sensor, one partition.
    const partitionOf = new Map<string, Set<number>>();
    for (const r of reports) partitionOf.set(r.key!, (partitionOf.get(r.key!) ?? new Set()).add(r.partition));
    assert.ok([...partitionOf.values()].every((s) => s.size === 1));
  });

  it("reads a given partition from a given offset", async () => {
    const topic = uniqueTopic("iot");
    const reports = await produceIot(iotReadings({ count: 40, seed: 4 }), { topic });
    const inP1 = reports.filter((r) => r.partition === 1);
    assert.ok(inP1.length > 3, "the seed puts several readings in partition 1");
    const df = await readTopic(topic, { partition: 1, offset: 2 });
    assert.deepEqual(df.getColumn("offset").toArray().map(Number), inP1.filter((r) => r.offset >= 2).map((r) => r.offset));
    assert.ok(df.getColumn("partition").toArray().every((p) => Number(p) === 1));
  });

  for (const [name, groups] of Object.entries(GROUP_EXAMPLES)) {
    it(`${name}: each message reaches exactly one consumer per group`, async () => {
      const topic = uniqueTopic("iot");
      const run = await runGroupExperiment({ topic, groups, count: 24, seed: 5 });
      assert.equal(run.checks.length, Object.keys(groups).length);
      for (const c of run.checks) {
        assert.deepEqual(c.missing, [], `${c.group} missed messages`);
        assert.deepEqual(c.duplicated, [], `${c.group} got messages twice`);
        assert.equal(c.received, 24);
        // Partitions are shared out: no partition is read by two consumers of one group.
        const owned = Object.values(c.partitions).flat();
        assert.equal(new Set(owned).size, owned.length);
      }
      if (name === "shared-group") {
        // Three consumers, two partitions: exactly one consumer stays idle.
        assert.equal(Object.values(run.checks[0].perConsumer).filter((n) => n === 0).length, 1);
      }
    });
  }
});
