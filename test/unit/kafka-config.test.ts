import assert from "node:assert/strict";
import { kafkaConfig, topicPrefixFor } from "../../lib/kafka/config";
import { KAFKA_PRESETS } from "../../lib/kafka/options";
import { topicName, validateTopic } from "../../lib/kafka/topics";
import { isStreamlabError } from "../../lib/errors";
import { quietLogCreator } from "../../lib/kafka/client";

describe("kafka config", () => {
  let saved: string | undefined;
  beforeEach(() => { saved = process.env.KAFKA_BOOTSTRAP_SERVERS; delete process.env.KAFKA_BOOTSTRAP_SERVERS; });
  afterEach(() => { if (saved === undefined) delete process.env.KAFKA_BOOTSTRAP_SERVERS; else process.env.KAFKA_BOOTSTRAP_SERVERS = saved; });

  it("defaults to localhost:9092 without prefix", () => {
    const c = kafkaConfig();
    assert.deepEqual(c.brokers, ["localhost:9092"]);
    assert.equal(c.topicPrefix, undefined);
    assert.equal(c.clientId, "streamlab");
  });

  it("reads KAFKA_BOOTSTRAP_SERVERS, and the option wins over it", () => {
    process.env.KAFKA_BOOTSTRAP_SERVERS = "a:1,b:2";
    assert.deepEqual(kafkaConfig().brokers, ["a:1", "b:2"]);
    assert.deepEqual(kafkaConfig({ bootstrap: "c:3" }).brokers, ["c:3"]);
  });

  it("has the course cluster one setting away", () => {
    assert.equal(kafkaConfig({ preset: "course" }).bootstrap, KAFKA_PRESETS.course);
    assert.equal(KAFKA_PRESETS.course, "kafka.kafka.svc.cluster.local:9092");
  });

  it("rejects bootstrap and preset together", () => {
    assert.throws(() => kafkaConfig({ bootstrap: "x:1", preset: "local" }), (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "preset");
  });

  it("rejects a bootstrap that is not host:port, naming the option", () => {
    assert.throws(() => kafkaConfig({ bootstrap: "localhost" }), (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "bootstrap");
    process.env.KAFKA_BOOTSTRAP_SERVERS = "nohost";
    assert.throws(() => kafkaConfig(), (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "KAFKA_BOOTSTRAP_SERVERS");
  });

  it("builds the LastnameFirstname prefix and client id", () => {
    const c = kafkaConfig({ firstName: "John", lastName: "Doe" });
    assert.equal(c.topicPrefix, "DoeJohn");
    assert.equal(c.clientId, "DoeJohn");
    assert.equal(topicPrefixFor(" Jane ", "Roe"), "RoeJane");
  });

  it("lets an explicit topicPrefix win over the names", () => {
    assert.equal(kafkaConfig({ firstName: "John", lastName: "Doe", topicPrefix: "team7" }).topicPrefix, "team7");
  });

  it("needs both names", () => {
    assert.throws(() => kafkaConfig({ firstName: "John" }), (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "lastName");
  });

  it("rejects names that cannot make a topic name", () => {
    assert.throws(() => kafkaConfig({ firstName: "Jürgen", lastName: "Doe" }), (e) => isStreamlabError(e, "BAD_OPTION"));
  });
});

describe("kafka topic names", () => {
  it("accepts Kafka's legal names", () => {
    for (const t of ["a", "DoeJohn-locations", "x.y_z-1", "a".repeat(249)]) assert.equal(validateTopic(t), t);
  });

  it("rejects illegal names with INVALID_TOPIC naming the topic", () => {
    for (const t of ["", ".", "..", "my topic", "a/b", "é", "a".repeat(250)]) {
      assert.throws(() => validateTopic(t), (e) => isStreamlabError(e, "INVALID_TOPIC") && e.context.topic === t && e.message.includes(JSON.stringify(t)), t);
    }
  });

  it("prefixes names once", () => {
    const c = { topicPrefix: "DoeJohn" };
    assert.equal(topicName("locations", c), "DoeJohn-locations");
    assert.equal(topicName("DoeJohn-locations", c), "DoeJohn-locations");
    assert.equal(topicName("events", {}), "events");
  });

  it("rejects a prefixed name that grows too long", () => {
    assert.throws(() => topicName("a".repeat(245), { topicPrefix: "DoeJohn" }), (e) => isStreamlabError(e, "INVALID_TOPIC"));
  });
});

describe("kafka logging", () => {
  const entry = (level: number, message: string, error?: string) => ({ namespace: "Connection", level, label: "ERROR", log: { timestamp: "", logger: "kafkajs", message, ...(error ? { error } : {}) } });
  function captured(level: "error" | "warn", entries: ReturnType<typeof entry>[]): string[] {
    const lines: string[] = [];
    const original = console.error;
    console.error = (line: string) => void lines.push(line);
    try {
      const log = quietLogCreator(level)(0);
      for (const e of entries) log(e as never);
    } finally {
      console.error = original;
    }
    return lines;
  }

  it("hides transient, retried errors by default but shows real ones", () => {
    const lines = captured("error", [entry(1, "Response GroupCoordinator", "The group coordinator is not available"), entry(1, "Response Produce", "Message was too large")]);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /Message was too large/);
  });

  it("shows transient errors from level warn on", () => {
    assert.equal(captured("warn", [entry(1, "Response GroupCoordinator", "The group coordinator is not available")]).length, 1);
  });
});
