/**
 * `streamlab pipeline …` as a user runs it (child processes, real broker): the shared Kafka flags
 * reach the pipelines, and Ctrl-C stops a running pipeline like every other command: summary
 * printed, exit code 130.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnCli, startCli, waitUntil, type CliProcess } from "../helpers/cli";
import { bootstrap, deleteTestTopics, requireBroker, uniquePrefix, uniqueTopic } from "../helpers/kafka";
import { deleteTopics } from "../../lib/kafka/admin";

describe("pipeline CLI (real broker, child processes)", function () {
  this.timeout(120_000);
  const env = { KAFKA_BOOTSTRAP_SERVERS: bootstrap() };
  let running: CliProcess | undefined;
  let dir: string | undefined;
  before(requireBroker);
  afterEach(async () => {
    if (running?.child.exitCode === null) running.child.kill("SIGKILL");
    running = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  after(deleteTestTopics);

  it("sales-store and sales-db use the same --topic-prefix topic; sales-db saves every sale once", async () => {
    const prefix = uniquePrefix("Sales");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-cli-"));
    const db = path.join(dir, "store.sqlite");
    try {
      const store = await spawnCli(["pipeline", "sales-store", "--count", "30", "--seed", "4", "--topic-prefix", prefix], { env });
      assert.equal(store.code, 0, store.err);
      assert.equal(JSON.parse(store.out).sent, 30);
      const save = await spawnCli(["pipeline", "sales-db", "--db", db, "--group", uniqueTopic("g"), "--topic-prefix", prefix], { env });
      assert.equal(save.code, 0, save.err);
      assert.deepEqual(JSON.parse(save.out), { received: 30, saved: 30, skipped: [], inDatabase: 30, store: db });
    } finally {
      await deleteTopics(["sales"], { bootstrap: bootstrap(), topicPrefix: prefix }).catch(() => undefined);
    }
  });

  it("game-api: Ctrl-C stops it, prints how many events it logged, exit code 130", async () => {
    running = startCli(["pipeline", "game-api", "--port", "0", "--topic", uniqueTopic("events"), "--traffic", "8", "--seed", "2"], { env });
    const cli = running;
    await waitUntil("the traffic summary", () => /sent 8 requests: \d+ accepted/.test(cli.out()) || cli.child.exitCode !== null);
    const accepted = Number(/sent 8 requests: (\d+) accepted/.exec(cli.out())?.[1]);
    cli.child.kill("SIGINT");
    assert.equal(await cli.exited, 130, cli.err());
    assert.match(cli.out(), new RegExp(`stopped; ${accepted} events logged`));
    assert.equal(cli.err(), "");
  });

  it("sales-summary --follow: Ctrl-C prints what it published, exit code 130", async () => {
    const topic = uniqueTopic("sales");
    const store = await spawnCli(["pipeline", "sales-store", "--count", "40", "--seed", "6", "--topic", topic], { env });
    assert.equal(store.code, 0, store.err);
    running = startCli(["pipeline", "sales-summary", "--follow", "--topic", topic, "--to", uniqueTopic("summary")], { env });
    const cli = running;
    await waitUntil("a published window", () => /"window_start"/.test(cli.out()) || cli.child.exitCode !== null);
    cli.child.kill("SIGINT");
    assert.equal(await cli.exited, 130, cli.err());
    const windows = cli.out().split("\n").filter((l) => l.startsWith("{")).length;
    assert.match(cli.out(), new RegExp(`stopped; published ${windows} windows to `));
  });
});
