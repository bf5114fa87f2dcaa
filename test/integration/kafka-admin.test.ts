import assert from "node:assert/strict";
import { KafkaAdmin, createTopics, describeTopic, listTopics } from "../../lib/kafka/admin";
import { KafkaProducer } from "../../lib/kafka/producer";
import { subscribe } from "../../lib/kafka/consumer";
import { KafkaSink } from "../../lib/sinks/kafka";
import { isStreamlabError } from "../../lib/errors";
import { bootstrap, closeAll, deleteTestTopics, requireBroker, track, uniquePrefix, uniqueTopic } from "../helpers/kafka";

describe("kafka admin (real broker)", function () {
  this.timeout(60_000);
  before(requireBroker);
  afterEach(closeAll);
  after(deleteTestTopics);

  it("creates a topic, and creating it again is not an error", async () => {
    const topic = uniqueTopic("create");
    const first = await createTopics(topic, { bootstrap: bootstrap(), partitions: 2 });
    const second = await createTopics(topic, { bootstrap: bootstrap(), partitions: 5 });
    assert.deepEqual(first, { created: [topic], existing: [] });
    assert.deepEqual(second, { created: [], existing: [topic] });
    const d = await describeTopic(topic, { bootstrap: bootstrap() });
    assert.equal(d.partitions.length, 2, "the second create keeps the partition count");
    assert.equal(d.messages, 0);
  });

  it("prefixes names, lists only the prefix's topics, describes offsets, deletes", async () => {
    const prefix = uniquePrefix("Adm");
    const admin = track(await KafkaAdmin.connect({ bootstrap: bootstrap(), topicPrefix: prefix }));
    await admin.createTopics(["a", "b"], { partitions: 3 });
    assert.deepEqual(await admin.listTopics({ prefixOnly: true }), [`${prefix}-a`, `${prefix}-b`]);
    assert.ok((await listTopics({ bootstrap: bootstrap() })).includes(`${prefix}-a`));

    const producer = track(await KafkaProducer.connect({ bootstrap: bootstrap(), topicPrefix: prefix }));
    const reports = await producer.send("a", [{ key: "k1", value: "1" }, { key: "k2", value: "2" }, { key: "k1", value: "3" }]);
    const d = await admin.describeTopic("a");
    assert.equal(d.topic, `${prefix}-a`);
    assert.equal(d.messages, 3);
    for (const p of d.partitions) {
      const sent = reports.filter((r) => r.partition === p.partition).length;
      assert.equal(p.high - p.low, sent, `partition ${p.partition}`);
      assert.equal(p.leader, 1);
    }
    assert.deepEqual(await admin.deleteTopics(["a", "b", "never-created"]), [`${prefix}-a`, `${prefix}-b`]);
    assert.deepEqual(await admin.listTopics({ prefixOnly: true }), []);
  });

  it("reports a missing topic as TOPIC_MISSING naming the prefix", async () => {
    const prefix = uniquePrefix("Miss");
    await assert.rejects(describeTopic("locations", { bootstrap: bootstrap(), topicPrefix: prefix }), (e) =>
      isStreamlabError(e, "TOPIC_MISSING") && e.context.topic === `${prefix}-locations` && e.message.includes(prefix));
    await assert.rejects(subscribe({ bootstrap: bootstrap(), topicPrefix: prefix, topics: "locations" }), (e) => isStreamlabError(e, "TOPIC_MISSING"));
  });

  it("fails within seconds with BROKER_UNREACHABLE when no broker answers", async function () {
    this.timeout(15_000); // a bound, not a measurement: kafkajs alone would retry for minutes
    const options = { bootstrap: "localhost:1" };
    for (const attempt of [() => KafkaAdmin.connect(options), () => listTopics(options), () => KafkaProducer.connect(options), () => subscribe({ ...options, topics: "x" }), () => new KafkaSink(options).open()]) {
      await assert.rejects(attempt(), (e) => isStreamlabError(e, "BROKER_UNREACHABLE") && e.context.broker === "localhost:1" && /kafka:start/.test(e.message));
    }
  });

  it("rejects an invalid topic name with INVALID_TOPIC before any network call", async () => {
    // localhost:1 refuses connections: only a check made before connecting can give INVALID_TOPIC.
    await assert.rejects(createTopics("bad topic", { bootstrap: "localhost:1" }), (e) => isStreamlabError(e, "INVALID_TOPIC") && e.context.topic === "bad topic");
    await assert.rejects(subscribe({ bootstrap: "localhost:1", topics: ["ok", "no/slash"] }), (e) => isStreamlabError(e, "INVALID_TOPIC"));
    assert.throws(() => new KafkaSink({ bootstrap: "localhost:1", topicPrefix: "white space" }), (e) => isStreamlabError(e, "INVALID_TOPIC"));
  });
});
