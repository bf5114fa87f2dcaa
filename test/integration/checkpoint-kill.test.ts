/**
 * Fault injection: `streamlab query windowed|joined --checkpoint DIR` killed with SIGKILL at seeded
 * random moments (after a random number of micro-batches plus a random delay, so some kills land in
 * the middle of a batch: after its offsets were logged, before or after its output file), then run
 * again with the same checkpoint until it finishes. The output must equal an uninterrupted run's:
 * no row lost, no row twice, the same batch ids. In `once` mode and in continuous mode.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type pl from "nodejs-polars";
import { generateDataset } from "../../lib/generate";
import { replay } from "../../lib/replay/replay";
import { FileSink } from "../../lib/sinks/files";
import { joinedQuery, windowedQuery } from "../../lib/stream/queries";
import { readParquetOutput } from "../../lib/stream/sinks/read";
import { uniformSource } from "../../lib/generate/random";
import { startCli } from "../helpers/cli";
import { afterLines, killRuns } from "../helpers/kill";

const KILLS = 10;
const OUTPUT = { windowed: "windowed", joined: "stream-joined" } as const;

describe("checkpoints survive kill -9 (real processes)", function () {
  this.timeout(900_000);
  let root: string;
  let input: string;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), "streamlab-kill-"));
    await generateDataset({ rides: 40, duration: 90, seed: 5, out: path.join(root, "gen") });
    await replay({ data: path.join(root, "gen"), sinks: new FileSink({ out: path.join(root, "stream") }), speed: "max", start: "2020-01-01T00:00:00Z" });
    input = path.join(root, "stream", "input");
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const common = (kind: string) => ["--input", input, "--max-files-per-trigger", "25", "--watermark", "30 seconds", ...(kind === "joined" ? ["--how", "full"] : [])];
  const sorted = (f: pl.DataFrame) => f.sort(f.columns.filter((c) => ["uuid", "ride_id", "window_start", "loc_timestamp", "acc_timestamp", "batch_id"].includes(c)));

  for (const kind of ["windowed", "joined"] as const) {
    for (const trigger of ["once", "continuous"] as const) {
      it(`${kind}, ${trigger}: ${KILLS} kills at random moments, then a run to the end, give an uninterrupted run's output`, async () => {
        const rand = uniformSource(kind.length * 31 + trigger.length);
        const reference = path.join(root, `ref-${kind}`);
        await (kind === "windowed" ? windowedQuery : joinedQuery)({ input, output: reference, trigger: "once", maxFilesPerTrigger: 25, watermark: "30 seconds" }).awaitTermination();
        const out = path.join(root, `out-${kind}-${trigger}`), checkpoint = path.join(root, `ckpt-${kind}-${trigger}`);
        const args = ["query", kind, ...common(kind), "--output", out, "--checkpoint", checkpoint];
        const killed = await killRuns({
          runs: KILLS,
          args: () => (trigger === "once" ? [...args, "--once"] : args),
          killable: (cli) => afterLines(cli, new RegExp(`^\\[${kind}\\] batch`, "gm"), 1 + Math.floor(rand() * 4)),
          rand,
          maxDelayMs: 60,
        });
        assert.ok(killed >= 3, `only ${killed} runs were killed`);
        const last = startCli([...args, "--once"]);
        assert.equal(await last.exited, 0, last.err());
        const got = readParquetOutput(path.join(out, OUTPUT[kind]));
        const want = readParquetOutput(path.join(reference, OUTPUT[kind]));
        assert.equal(got.height, want.height, "as many rows as an uninterrupted run");
        if (trigger === "once") assert.ok(sorted(got).frameEqual(sorted(want), true), "the same rows with the same batch ids");
        // Continuous runs also run no-data batches once the input is read: the same rows, some in other batches.
        else assert.ok(sorted(got.drop("batch_id")).frameEqual(sorted(want.drop("batch_id")), true), "the same rows");
      });
    }
  }
});
