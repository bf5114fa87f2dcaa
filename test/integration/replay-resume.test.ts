/**
 * `replay --resume` after kill -9 (real processes, real files, the real broker): the CLI replays the
 * bundled sample, is killed with SIGKILL at seeded random moments (after a random number of
 * releases plus a random delay), resumed, killed again, and finally resumed to the end. The output
 * must equal an uninterrupted run's exactly: every row, with the same event time, nothing missing,
 * nothing twice (the file stream: the same files with the same frames; Kafka: per key, the same
 * messages in the same order, so no duplicate either).
 *
 * A SIGKILL lands between releases far more often than in the few milliseconds a release takes to
 * publish, so the case that needs care (a release every sink received but the log does not record)
 * is also made to happen on purpose, in-process: the log is rolled back by one release before the resume.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { uniformSource } from "../../lib/generate/random";
import { Replay, replay } from "../../lib/replay/replay";
import type { ReplayOptions } from "../../lib/replay/options";
import { FileSink } from "../../lib/sinks/files";
import { KafkaSink } from "../../lib/sinks/kafka";
import { deleteTopics } from "../../lib/kafka/admin";
import { readTopicMessages } from "../../lib/kafka/read";
import { TABLES, type Table } from "../../lib/dataset/types";
import { spawnCli } from "../helpers/cli";
import { killRuns } from "../helpers/kill";
import { bootstrap, requireBroker, uniquePrefix } from "../helpers/kafka";

const DATA = path.resolve(__dirname, "../../data/bdd");
const START = "2020-01-01T00:00:00Z";
/** 4.5 s for the sample's 113 s: long enough to kill it several times, short enough for a test. */
const SPEED = "25";
const KILLS = 3;

/** Every `.parquet` file under dir, relative and sorted. */
function parquetFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".parquet")).sort();
}

/** Releases the progress log records (0 before it exists). */
function released(log: string): number {
  try {
    return JSON.parse(readFileSync(log, "utf8")).released as number;
  } catch {
    return 0;
  }
}

/**
 * Runs `first`, kills it with SIGKILL after a random number of further releases (plus up to 40 ms),
 * then the same with `resume` KILLS - 1 more times, then runs `resume` to the end. Returns how many
 * runs were killed.
 */
async function killAndResume(first: string[], resume: string[], log: string, seed: number): Promise<number> {
  const rand = uniformSource(seed);
  const killed = await killRuns({
    runs: KILLS,
    args: (k) => (k === 0 ? first : resume),
    killable: () => {
      const target = released(log) + 1 + Math.floor(rand() * 6);
      return () => released(log) >= target;
    },
    rand,
    maxDelayMs: 40,
    limitMs: 60_000,
  });
  const last = await spawnCli(resume);
  assert.equal(last.code, 0, last.err);
  assert.match(last.out, /completed/);
  return killed;
}

/** Per table and per key, the message values in offset order (a key stays in one partition). */
async function topicContent(prefix: string): Promise<Record<Table, Map<string, string[]>>> {
  const out = {} as Record<Table, Map<string, string[]>>;
  for (const table of TABLES) {
    const byKey = new Map<string, string[]>();
    for (const m of await readTopicMessages(`${prefix}-${table}`, { bootstrap: bootstrap(), parseJson: false })) {
      const list = byKey.get(m.key ?? "") ?? [];
      list.push(m.raw ?? "");
      byKey.set(m.key ?? "", list);
    }
    out[table] = byKey;
  }
  return out;
}

function assertSameTopics(got: Record<Table, Map<string, string[]>>, want: Record<Table, Map<string, string[]>>): void {
  for (const table of TABLES) {
    const count = (c: Map<string, string[]>) => [...c.values()].reduce((n, l) => n + l.length, 0);
    assert.equal(count(got[table]), count(want[table]), `${table}: as many messages as an uninterrupted run (none twice, none missing)`);
    assert.deepEqual([...got[table].keys()].sort(), [...want[table].keys()].sort());
    for (const [key, values] of want[table]) assert.deepEqual(got[table].get(key), values, `${table} key ${key}: same messages, same event times, same order`);
  }
}

/**
 * Rolls the log back by one release, as if the process had died after every sink acknowledged a
 * release but before the log recorded it: runs until `after` releases are logged, keeps that log,
 * lets one more release out, stops, and puts the kept log back. Returns the rows of that release.
 */
async function runThenRollBack(options: ReplayOptions, log: string, after: number): Promise<number> {
  let kept: { text: string; released: number; rows: number } | undefined;
  const run: Replay = new Replay({
    ...options,
    progressLog: log,
    onProgress: (p) => {
      const rows = p.rows.locations + p.rows.accelerations;
      if (kept === undefined && p.releases >= after && released(log) === p.releases) kept = { text: readFileSync(log, "utf8"), released: p.releases, rows };
      else if (kept !== undefined && p.releases > kept.released) run.stop();
    },
  });
  const summary = await run.run();
  assert.equal(summary.stopReason, "aborted");
  assert.ok(kept && summary.releases > kept.released);
  writeFileSync(log, kept.text);
  return summary.rows - kept.rows;
}

describe("replay --resume after kill -9 (real processes)", function () {
  this.timeout(180_000);
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), "streamlab-replay-resume-"));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  describe("into the file stream", () => {
    let ref: string;
    before(async () => {
      ref = path.join(root, "ref");
      await replay({ data: DATA, sinks: new FileSink({ out: ref }), speed: "max", start: START, progressLog: false });
    });

    function assertSameStream(out: string): void {
      const want = parquetFiles(path.join(ref, "input"));
      assert.equal(want.length, 308);
      assert.deepEqual(parquetFiles(path.join(out, "input")), want, "the same files: none missing, none twice (no -1 copies)");
      for (const rel of want) {
        const got = pl.readParquet(path.join(out, "input", rel));
        assert.ok(got.frameEqual(pl.readParquet(path.join(ref, "input", rel))), `${rel}: same rows and event times as the uninterrupted run`);
      }
      assert.deepEqual(parquetFiles(path.join(out, "staging")), [], "staging/ ends empty");
    }

    it(`${KILLS} kills at random moments, then --resume to the end, give the uninterrupted run's files`, async () => {
      const out = path.join(root, "files-cli");
      const log = path.join(root, "files-cli.json");
      const first = ["replay", "--data", DATA, "--out", out, "--speed", SPEED, "--start", START, "--progress-log", log];
      const killed = await killAndResume(first, ["replay", "--resume", "--out", out, "--progress-log", log], log, 7);
      assert.ok(killed >= 2, `only ${killed} runs were killed`);
      assertSameStream(out);
    });

    it("a release published but not yet logged is published again in place, not twice", async () => {
      const out = path.join(root, "files-rollback");
      const log = path.join(root, "files-rollback.json");
      const rows = await runThenRollBack({ data: DATA, sinks: new FileSink({ out }), speed: "max", start: START }, log, 9);
      assert.ok(rows > 0);
      const summary = await replay({ sinks: new FileSink({ out }), resume: true, progressLog: log });
      assert.equal(summary.stopReason, "completed");
      assertSameStream(out);
    });
  });

  describe("into Kafka", () => {
    const prefixes: string[] = [];
    const prefix = (name: string): string => {
      const p = uniquePrefix(name);
      prefixes.push(p);
      return p;
    };
    let want: Record<Table, Map<string, string[]>>;
    before(async () => {
      await requireBroker();
      const ref = prefix("ResumeRef");
      await replay({ data: DATA, sinks: new KafkaSink({ bootstrap: bootstrap(), topicPrefix: ref }), speed: "max", start: START, progressLog: false });
      want = await topicContent(ref);
    });
    after(async () => {
      for (const p of prefixes) await deleteTopics(["locations", "accelerations"], { bootstrap: bootstrap(), topicPrefix: p }).catch(() => undefined);
    });

    it(`${KILLS} kills at random moments, then --resume to the end, give the uninterrupted run's messages: each once, in order`, async () => {
      const p = prefix("ResumeCli");
      const log = path.join(root, "kafka-cli.json");
      const kafka = ["--sink", "kafka", "--bootstrap", bootstrap(), "--topic-prefix", p, "--progress-log", log];
      const killed = await killAndResume(["replay", "--data", DATA, "--speed", SPEED, "--start", START, ...kafka], ["replay", "--resume", ...kafka], log, 11);
      assert.ok(killed >= 2, `only ${killed} runs were killed`);
      assertSameTopics(await topicContent(p), want);
    });

    it("a release Kafka acknowledged but the log does not record is found in the topic and not sent twice", async () => {
      const p = prefix("ResumeLanded");
      const log = path.join(root, "kafka-landed.json");
      const rows = await runThenRollBack({ data: DATA, sinks: new KafkaSink({ bootstrap: bootstrap(), topicPrefix: p }), speed: "max", start: START }, log, 9);
      const sink = new KafkaSink({ bootstrap: bootstrap(), topicPrefix: p });
      const summary = await replay({ sinks: sink, resume: true, progressLog: log });
      assert.equal(summary.stopReason, "completed");
      assertSameTopics(await topicContent(p), want);
      assert.equal(sink.stats().alreadyDelivered, rows, "every message of the release in flight was found in Kafka");
    });
  });
});
