/**
 * The broker stopped under a running replay and a running continuous query (real processes, the
 * project's own broker stopped with scripts/kafka.sh): for 30 s both ride it out and finish with
 * nothing lost or duplicated; for longer than the retry budget both stop with BROKER_UNREACHABLE
 * saying how to go on, and doing so completes the output.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import pl from "nodejs-polars";
import { deleteTopics } from "../../lib/kafka/admin";
import { frameToMessages } from "../../lib/kafka/messages";
import { readTopicMessages } from "../../lib/kafka/read";
import { generateDataset } from "../../lib/generate";
import { replay } from "../../lib/replay/replay";
import { KafkaSink } from "../../lib/sinks/kafka";
import { joinedQuery, windowedQuery } from "../../lib/stream/queries";
import { readParquetOutput } from "../../lib/stream/sinks/read";
import { startCli, waitUntil } from "../helpers/cli";
import { ROOT } from "../helpers/process";
import { bootstrap, requireBroker, uniquePrefix } from "../helpers/kafka";
import { canonicalRow, lastPerWindow, repeats } from "../helpers/rows";

const OUTAGE_MS = 30_000;
const run = promisify(execFile);
const kafkaSh = (cmd: "stop" | "start") => run("bash", [path.join(ROOT, "scripts", "kafka.sh"), cmd], { timeout: 120_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops the broker for `ms`, then starts it again (and waits until it answers). */
async function outage(ms: number): Promise<void> {
  await kafkaSh("stop");
  try {
    await sleep(ms);
  } finally {
    await kafkaSh("start");
  }
}

/** Per table, the source rows of a BDD-layout dataset. */
function sourceRows(data: string): Record<"locations" | "accelerations", number> {
  const count = (t: string) => pl.scanParquet(path.join(data, t, "*", "*.parquet")).select(pl.len()).collectSync().getColumn("len").toArray()[0] as number;
  return { locations: count("locations"), accelerations: count("accelerations") };
}

/** A topic's messages, read committed, as canonical key + value rows (sorted). */
async function topicRows(topic: string): Promise<string[]> {
  return (await readTopicMessages(topic, { bootstrap: bootstrap() })).map((m) => `${m.key} ${m.raw}`).sort();
}

describe("the broker stopped mid-run (real broker, real processes)", function () {
  this.timeout(600_000);
  let root: string;
  let data: string;
  const topics: string[] = [];

  before(async function () {
    // Only the project's own broker (scripts/kafka.sh, on KAFKA_PORT) can be stopped and started here.
    const own = new RegExp(`^(localhost|127\\.0\\.0\\.1):${process.env.KAFKA_PORT ?? 9092}$`);
    if (process.env.KAFKA_BOOTSTRAP_SERVERS && !own.test(process.env.KAFKA_BOOTSTRAP_SERVERS.trim())) this.skip();
    await requireBroker();
    root = mkdtempSync(path.join(tmpdir(), "streamlab-outage-"));
    data = path.join(root, "data");
    await generateDataset({ rides: 20, duration: 120, seed: 9, out: data });
  });
  after(async () => {
    await kafkaSh("start").catch(() => undefined); // whatever happened, leave a broker running
    if (root) rmSync(root, { recursive: true, force: true });
    await deleteTopics(topics, { bootstrap: bootstrap() }).catch(() => undefined);
  });

  it("a replay to Kafka rides out 30 s without a broker: every row on its topic exactly once", async () => {
    const prefix = uniquePrefix("Outage");
    topics.push(`${prefix}-locations`, `${prefix}-accelerations`);
    const cli = startCli(["replay", "--data", data, "--sink", "kafka", "--bootstrap", bootstrap(), "--topic-prefix", prefix, "--speed", "4", "--progress-log", path.join(root, "replay-progress.json")]);
    await sleep(5_000); // a few releases in
    await outage(OUTAGE_MS);
    assert.equal(await cli.exited, 0, cli.err());
    assert.match(cli.out(), /completed/);
    const want = sourceRows(data);
    for (const table of ["locations", "accelerations"] as const) {
      const rows = await topicRows(`${prefix}-${table}`);
      assert.equal(repeats(rows), 0, `${table}: no message twice`);
      assert.equal(rows.length, want[table], `${table}: every row`);
    }
  });

  it("a continuous Kafka → Kafka query with a checkpoint rides out 30 s without a broker: its topic, read committed, holds an uninterrupted run's rows once", async () => {
    const prefix = uniquePrefix("OutageQ");
    topics.push(`${prefix}-locations`, `${prefix}-accelerations`, `${prefix}-joined`);
    await replay({ data, sinks: new KafkaSink({ bootstrap: bootstrap(), topicPrefix: prefix }), speed: "max", start: "2020-01-01T00:00:00Z", progressLog: false });
    // A watermark beyond the data's span: the rows do not depend on where batches are cut (see checkpoint-kafka.test.ts).
    const shape = { watermark: "1 hour", how: "full" as const };
    const reference = path.join(root, "ref");
    await joinedQuery({ source: "kafka", sink: "files", bootstrap: bootstrap(), topicPrefix: prefix, output: reference, trigger: "once", maxOffsetsPerTrigger: 300, ...shape }).awaitTermination();
    const want = frameToMessages(readParquetOutput(path.join(reference, "stream-joined"))).map((m) => canonicalRow(JSON.parse(m.value))).sort();

    const args = ["query", "joined", "--source", "kafka", "--sink", "kafka", "--bootstrap", bootstrap(), "--topic-prefix", prefix, "--max-offsets-per-trigger", "300",
      "--watermark", "1 hour", "--how", "full", "--checkpoint", path.join(root, "ckpt")];
    const cli = startCli(args);
    const batches = () => (cli.out().match(/^\[joined\] batch/gm) ?? []).length;
    await waitUntil("3 batches", () => batches() >= 3);
    await outage(OUTAGE_MS);
    // Back: it goes on by itself. Once it has read everything it idles; stop it, and a once run flushes.
    let seen = -1, since = Date.now();
    await waitUntil("the query to catch up", () => {
      if (batches() !== seen) { seen = batches(); since = Date.now(); }
      return Date.now() - since > 4_000;
    }, 300_000);
    cli.child.kill("SIGINT");
    assert.equal(await cli.exited, 130, cli.err());
    assert.doesNotMatch(cli.out() + cli.err(), /error \[/);
    const last = startCli([...args, "--once"]);
    assert.equal(await last.exited, 0, last.err());

    const got = (await readTopicMessages(`${prefix}-joined`, { bootstrap: bootstrap() })).map((m) => canonicalRow(JSON.parse(m.raw!))).sort();
    assert.equal(repeats(got), 0, "no row twice");
    assert.equal(got.length, want.length, "as many rows as an uninterrupted run");
    assert.deepEqual(got, want, "the same rows");
  });

  it("longer than the retry budget: the query and the replay stop with BROKER_UNREACHABLE saying how to go on, and doing so completes them", async () => {
    const prefix = uniquePrefix("OutageB");
    topics.push(`${prefix}-locations`, `${prefix}-accelerations`, `${prefix}-windowed`);
    const log = path.join(root, "budget-progress.json");
    const replayArgs = ["replay", "--data", data, "--sink", "kafka", "--bootstrap", bootstrap(), "--topic-prefix", prefix, "--speed", "4", "--progress-log", log, "--retry-budget", "3"];
    const queryArgs = ["query", "windowed", "--source", "kafka", "--sink", "kafka", "--bootstrap", bootstrap(), "--topic-prefix", prefix, "--max-offsets-per-trigger", "20",
      "--watermark", "1 hour", "--checkpoint", path.join(root, "ckpt-budget"), "--retry-budget", "3"];
    const replayCli = startCli(replayArgs);
    await sleep(4_000);
    const queryCli = startCli(queryArgs);
    await waitUntil("the query's first batch", () => /^\[windowed\] batch/m.test(queryCli.out()));
    await kafkaSh("stop");
    let replayCode: number, queryCode: number;
    try {
      [replayCode, queryCode] = await Promise.all([replayCli.exited, queryCli.exited]);
    } finally {
      await kafkaSh("start");
    }
    assert.equal(replayCode, 1, replayCli.err());
    assert.match(replayCli.err(), /error \[BROKER_UNREACHABLE\]: Kafka broker .* is not reachable .* run the same command with --resume/);
    assert.equal(queryCode, 1, queryCli.err());
    assert.match(queryCli.err(), /error \[BROKER_UNREACHABLE\]: Kafka broker .* is not reachable .* run the same command again: with its --checkpoint it resumes/);

    // As told: the replay resumes to the end, then the query finishes from its checkpoint.
    const resumed = startCli([...replayArgs, "--resume"]);
    assert.equal(await resumed.exited, 0, resumed.err());
    const want = sourceRows(data);
    for (const table of ["locations", "accelerations"] as const) {
      const rows = await topicRows(`${prefix}-${table}`);
      assert.equal(repeats(rows), 0, `${table}: no message twice`);
      assert.equal(rows.length, want[table], `${table}: every row once over both runs`);
    }
    const finish = startCli([...queryArgs, "--once"]);
    assert.equal(await finish.exited, 0, finish.err());
    // Each window's final value as an uninterrupted run's, and no (window, batch) written twice.
    const reference = path.join(root, "ref-budget");
    await windowedQuery({ source: "kafka", sink: "files", bootstrap: bootstrap(), topicPrefix: prefix, output: reference, trigger: "once", watermark: "1 hour" }).awaitTermination();
    const wanted = lastPerWindow(frameToMessages(readParquetOutput(path.join(reference, "windowed"))).map((m) => JSON.parse(m.value)));
    const written = lastPerWindow((await readTopicMessages(`${prefix}-windowed`, { bootstrap: bootstrap() })).map((m) => JSON.parse(m.raw!)));
    assert.equal(written.twice, 0, "no (window, batch) twice");
    assert.deepEqual(written.last, wanted.last, "each window's final value as in an uninterrupted run");
  });
});
