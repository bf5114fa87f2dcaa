/**
 * Fault injection with Kafka at both ends: `streamlab query windowed|joined --source kafka --sink
 * kafka --checkpoint DIR` killed with SIGKILL at seeded random moments (some in the middle of a
 * batch's transaction), then run again with the same checkpoint until it finishes. Two more kills land
 * where they hurt most (lib/stream/failpoints.ts): after the batch's transaction committed but before
 * the checkpoint recorded it, and inside an open transaction. The output topic, read committed, must
 * hold exactly an uninterrupted run's rows: none lost, none twice.
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { deleteTopics } from "../../lib/kafka/admin";
import { frameToMessages } from "../../lib/kafka/messages";
import { readTopicMessages } from "../../lib/kafka/read";
import { generateDataset } from "../../lib/generate";
import { uniformSource } from "../../lib/generate/random";
import { replay } from "../../lib/replay/replay";
import { KafkaSink } from "../../lib/sinks/kafka";
import { joinedQuery, windowedQuery } from "../../lib/stream/queries";
import { readParquetOutput } from "../../lib/stream/sinks/read";
import { startCli } from "../helpers/cli";
import { afterLines, killRuns } from "../helpers/kill";
import { canonicalRow, lastPerWindow, repeats } from "../helpers/rows";
import { bootstrap, requireBroker, uniquePrefix } from "../helpers/kafka";

const KILLS = 10;
const FOLDER = { windowed: "windowed", joined: "stream-joined" } as const;
const TOPIC = { windowed: "windowed", joined: "joined" } as const;

describe("checkpoints with a Kafka source and a transactional Kafka sink survive kill -9 (real processes, real broker)", function () {
  this.timeout(900_000);
  let root: string;
  const topics: string[] = [];

  before(async () => {
    await requireBroker();
    root = mkdtempSync(path.join(tmpdir(), "streamlab-kill-kafka-"));
    await generateDataset({ rides: 30, duration: 90, seed: 7, out: path.join(root, "gen") });
  });
  after(async () => {
    rmSync(root, { recursive: true, force: true });
    await deleteTopics(topics, { bootstrap: bootstrap() }).catch(() => undefined);
  });

  for (const kind of ["windowed", "joined"] as const) {
    for (const trigger of ["once", "continuous"] as const) {
      it(`${kind}, ${trigger}: ${KILLS} kills, then a run to the end: the topic read committed holds an uninterrupted run's rows once`, async () => {
        const rand = uniformSource(kind.length * 17 + trigger.length);
        // Locations alone (windowed) are 1/50 of the rows: smaller micro-batches, so that there are enough to kill.
        const perTrigger = kind === "windowed" ? 50 : 400;
        // Its own topics: the prefix names the inputs and the output topic.
        const prefix = uniquePrefix("Kill");
        topics.push(`${prefix}-locations`, `${prefix}-accelerations`, `${prefix}-${TOPIC[kind]}`);
        await replay({ data: path.join(root, "gen"), sinks: new KafkaSink({ bootstrap: bootstrap(), topicPrefix: prefix }), speed: "max", start: "2020-01-01T00:00:00Z" });
        // Kafka's poll boundaries depend on fetch timing, and with them what a tight watermark drops
        // or closes early (in Spark too): a watermark beyond the data's span makes the result
        // independent of them (the join: every match once, every unmatched row at the end).
        const shape = { watermark: "1 hour", ...(kind === "windowed" ? {} : { how: "full" as const }) };
        const reference = path.join(root, `ref-${kind}-${trigger}`);
        await (kind === "windowed" ? windowedQuery : joinedQuery)({ source: "kafka", sink: "files", bootstrap: bootstrap(), topicPrefix: prefix, output: reference, trigger: "once", maxOffsetsPerTrigger: perTrigger, ...shape }).awaitTermination();
        const rowsOf = (values: string[]) => values.map((v) => JSON.parse(v) as Record<string, unknown>);
        const reduce = (rows: Record<string, unknown>[]) => (kind === "windowed" ? lastPerWindow(rows).last : rows.map(canonicalRow).sort());
        const want = reduce(rowsOf(frameToMessages(readParquetOutput(path.join(reference, FOLDER[kind]))).map((m) => m.value)));
        assert.ok(want.length > 50, `the reference has ${want.length} rows`);

        const out = `${prefix}-${TOPIC[kind]}`;
        const checkpoint = path.join(root, `ckpt-${kind}-${trigger}`);
        const args = ["query", kind, "--source", "kafka", "--sink", "kafka", "--bootstrap", bootstrap(), "--topic-prefix", prefix,
          "--max-offsets-per-trigger", String(perTrigger), "--watermark", "1 hour", ...(kind === "windowed" ? [] : ["--how", "full"]), "--checkpoint", checkpoint];
        // First the narrow windows, from the second batch of a run on: it dies there by itself.
        for (const point of ["kafka-before-commit", "after-sinks"]) {
          const dir = path.join(checkpoint, kind, "offsets");
          const at = (existsSync(dir) ? readdirSync(dir).length : 0) + 1;
          const cli = startCli([...args, "--once"], { env: { STREAMLAB_FAILPOINT: `${point}@${at}` } });
          // The first batch from `at` on that writes output dies there.
          assert.equal(await cli.exited, -1, `the run with failpoint ${point}@${at} was killed there: ${cli.err()}`);
        }
        // A continuous run that has read everything waits for more: it is killed then too.
        const killed = await killRuns({
          runs: KILLS,
          args: () => (trigger === "once" ? [...args, "--once"] : args),
          killable: (cli) => afterLines(cli, new RegExp(`^\\[${kind}\\] batch`, "gm"), 1 + Math.floor(rand() * 4), 3000),
          rand,
          maxDelayMs: 80,
        });
        assert.ok(killed >= 3, `only ${killed} runs were killed`);
        const last = startCli([...args, "--once"]);
        assert.equal(await last.exited, 0, last.err());

        const rows = rowsOf((await readTopicMessages(out, { bootstrap: bootstrap() })).map((m) => m.raw!));
        const got = reduce(rows);
        const twice = kind === "windowed" ? lastPerWindow(rows).twice : repeats(got);
        assert.equal(twice, 0, `${twice} rows are in the topic twice`);
        assert.equal(got.length, want.length, kind === "windowed" ? "as many windows as an uninterrupted run (read committed)" : "as many rows as an uninterrupted run (read committed)");
        assert.deepEqual(got, want, kind === "windowed" ? "each window's final value as in an uninterrupted run" : "the same rows, each once");
      });
    }
  }
});
