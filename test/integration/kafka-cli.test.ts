import assert from "node:assert/strict";
import { readTopicMessages } from "../../lib/kafka/read";
import { deleteTopics } from "../../lib/kafka/admin";
import { runCli, spawnCli, type CliResult } from "../helpers/cli";
import { bootstrap, requireBroker, uniquePrefix } from "../helpers/kafka";

/** Runs the CLI as a child process against the test broker; stdin is `stdin`, then closed. */
const cli = (args: string[], stdin = ""): Promise<CliResult> => spawnCli(args, { stdin, env: { KAFKA_BOOTSTRAP_SERVERS: bootstrap() } });

describe("kafka CLI: topics, produce, consume (real broker)", function () {
  this.timeout(120_000);
  const prefix = uniquePrefix("Cli");
  before(requireBroker);
  after(() => deleteTopics(["lines", "json"], { bootstrap: bootstrap(), topicPrefix: prefix }).catch(() => undefined));

  it("creates (twice), lists, and describes prefixed topics", async () => {
    const first = await cli(["topics", "create", "lines", "--topic-prefix", prefix, "--partitions", "2"]);
    const again = await cli(["topics", "create", "lines", "--topic-prefix", prefix]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, new RegExp(`Created topic ${prefix}-lines`));
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /already exists/);
    const list = await cli(["topics", "list", "--topic-prefix", prefix]);
    assert.deepEqual(list.out.trim().split("\n"), [`${prefix}-lines`]);
    const d = await cli(["topics", "describe", "lines", "--topic-prefix", prefix, "--json"]);
    assert.equal(JSON.parse(d.out).partitions.length, 2);
  });

  it("produces one message per stdin line, keyed by a JSON field, and consumes them back", async () => {
    const lines = [1, 2, 3, 4].map((i) => JSON.stringify({ uuid: `r${i % 2}`, i }));
    const p = await cli(["produce", "--topic", "json", "--first-name", prefix, "--last-name", "X", "--key-field", "uuid"], lines.join("\n") + "\n\n");
    assert.equal(p.code, 0, p.err);
    assert.match(p.err, /Sent 4 message\(s\) to X.*-json, all acknowledged/);
    const topic = `X${prefix}-json`;
    const read = await readTopicMessages(topic, { bootstrap: bootstrap() });
    assert.deepEqual(read.map((m) => m.raw).sort(), [...lines].sort());
    assert.deepEqual(read.map((m) => m.key).sort(), ["r0", "r0", "r1", "r1"]);
    const c = await cli(["consume", "--topic", topic, "--from-beginning", "--max-messages", "4", "--format", "key"]);
    assert.equal(c.code, 0, c.err);
    assert.deepEqual(c.out.trim().split("\n").sort(), read.map((m) => `${m.key}\t${m.raw}`).sort());
    assert.match(c.err, /Processed a total of 4 messages/);
    await deleteTopics(topic, { bootstrap: bootstrap() });
  });

  it("consumes one partition from an offset, ending after --timeout of silence", async () => {
    await cli(["produce", "--topic", "lines", "--topic-prefix", prefix, "--key", "same"], "a\nb\nc\n");
    const read = await readTopicMessages(`${prefix}-lines`, { bootstrap: bootstrap() });
    const p = read[0].partition;
    const c = await cli(["consume", "--topic", "lines", "--topic-prefix", prefix, "--partition", String(p), "--offset", "1", "--timeout", "2"]);
    assert.equal(c.code, 0, c.err);
    assert.deepEqual(c.out.trim().split("\n"), ["b", "c"]);
  });

  it("exits with clear typed errors", async () => {
    const missing = await cli(["consume", "--topic", "nope", "--topic-prefix", prefix, "--timeout", "1"]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /error \[TOPIC_MISSING\]: Topic ".*-nope" does not exist/);
    const down = await cli(["topics", "list", "--bootstrap", "localhost:1"]);
    assert.equal(down.code, 1);
    assert.match(down.err, /error \[BROKER_UNREACHABLE\].*localhost:1.*kafka:start/);
    const bad = await cli(["produce", "--topic", "lines", "--topic-prefix", prefix, "--key-field", "uuid"], '{"uuid":"ok"}\nnot json\n');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /line 2 is not JSON.*the 1 line\(s\) before it were sent/);
    const offsetAlone = await cli(["consume", "--topic", "lines", "--offset", "3"]);
    assert.equal(offsetAlone.code, 2);
    assert.match(offsetAlone.err, /--offset.*needs --partition/);
  });

  // Regression (producer leak): `produce` connected the producer, then prefixed and checked the
  // topic name outside its try/finally, so a bad name threw INVALID_TOPIC with the producer (and
  // its broker sockets) left open. Now the name is checked before anything connects.
  it("produce with an invalid topic name fails with INVALID_TOPIC and leaves no connection open", async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
    const before = sockets();
    const { code, err } = await runCli("produce", "--topic", "bad topic", "--bootstrap", bootstrap());
    assert.equal(code, 1);
    assert.match(err, /error \[INVALID_TOPIC\]: Invalid topic name "bad topic"/);
    await new Promise((r) => setTimeout(r, 100));
    // Sockets of earlier tests may still be closing, so the count may drop; it must not grow.
    assert.ok(sockets() <= before, `${sockets() - before} socket(s) left open`);
  });
});
