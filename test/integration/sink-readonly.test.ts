/**
 * Fault injection (issue #10): "An output folder that becomes read-only mid-run: `SINK_IO`, no
 * partial batch visible, and a restart after the fix completes the output." The real CLI
 * (`streamlab query windowed --once --checkpoint …`) runs as an unprivileged user (root ignores
 * file modes, and tests run as root), its output folder and commit log are made read-only while it
 * writes batches, and it must fail with a SINK_IO message naming the folder and the way out; what a
 * reader sees then is only complete batches of an uninterrupted run; after `chmod u+w` the same
 * command completes the output, equal to the uninterrupted run's.
 */
import { strict as assert } from "node:assert";
import { chmodSync, chownSync, existsSync, lstatSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pl from "nodejs-polars";
import { generateDataset } from "../../lib/generate";
import { replay } from "../../lib/replay/replay";
import { FileSink } from "../../lib/sinks/files";
import { windowedQuery } from "../../lib/stream/queries";
import { COMMIT_LOG, isBatchFileName } from "../../lib/stream/sinks/parquet";
import { isTempName } from "../../lib/stream/sinks/atomicFile";
import { readParquetOutput } from "../../lib/stream/sinks/read";
import { startCli } from "../helpers/cli";
import { runProcess } from "../helpers/process";

const NOBODY = 65534;

/** How to run the CLI so that file modes apply to it: as is when not root, else dropped to nobody (null: no way found). */
async function unprivileged(): Promise<string[] | null> {
  if (process.getuid?.() !== 0) return [];
  for (const prefix of [["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"], ["runuser", "-u", "nobody", "--"]]) {
    const probe = await runProcess(prefix[0], [...prefix.slice(1), "id", "-u"]).catch(() => undefined);
    if (probe?.code === 0 && probe.stdout.trim() === String(NOBODY)) return prefix;
  }
  return null;
}

function chownTree(p: string, uid: number): void {
  chownSync(p, uid, uid);
  if (lstatSync(p).isDirectory()) for (const name of readdirSync(p)) chownTree(path.join(p, name), uid);
}

describe("a read-only output folder mid-run (real process)", function () {
  this.timeout(60_000);
  let root: string;
  let input: string;
  let prefix: string[] | null;

  before(async function () {
    prefix = await unprivileged();
    if (prefix === null) {
      console.log("    (skipped: running as root and neither setpriv nor runuser can drop to an unprivileged user)");
      this.skip();
    }
    root = mkdtempSync(path.join(tmpdir(), "streamlab-readonly-"));
    await generateDataset({ rides: 20, duration: 60, seed: 5, out: path.join(root, "gen") });
    await replay({ data: path.join(root, "gen"), sinks: new FileSink({ out: path.join(root, "stream") }), speed: "max", start: "2020-01-01T00:00:00Z" });
    input = path.join(root, "stream", "input");
    // The unprivileged process reads the input and creates its output and checkpoint under root.
    if (prefix.length > 0) chownTree(root, NOBODY);
  });
  after(() => { if (root) rmSync(root, { recursive: true, force: true }); });

  it("fails with SINK_IO naming the folder, shows only complete batches, and the same command completes the output after the fix", async () => {
    // One or two files per micro-batch: ~100 batches, so the folder turns read-only long before the end.
    const files = "2";
    const reference = path.join(root, "reference");
    await windowedQuery({ input, output: reference, trigger: "once", maxFilesPerTrigger: Number(files), watermark: "30 seconds" }).awaitTermination();
    const want = readParquetOutput(path.join(reference, "windowed"));
    const wantBatches = new Set(want.getColumn("batch_id").toArray() as number[]);

    const out = path.join(root, "out"), dir = path.join(out, "windowed"), log = path.join(dir, COMMIT_LOG);
    const args = ["query", "windowed", "--input", input, "--output", out, "--checkpoint", path.join(root, "checkpoint"), "--once", "--max-files-per-trigger", files, "--watermark", "30 seconds"];
    const first = startCli(args, { prefix: prefix! });
    // Read-only as soon as two batches are committed: from the output event, not a timer.
    let readOnly = false;
    first.child.stdout!.on("data", () => {
      if (readOnly || (first.out().match(/^\[windowed\] batch/gm) ?? []).length < 2) return;
      chmodSync(dir, 0o555);
      chmodSync(log, 0o555);
      readOnly = true;
    });
    const code = await first.exited;
    assert.ok(readOnly, `the run ended before two batches were written: ${first.err()}`);
    assert.equal(code, 1, `the run should fail on the read-only folder (exit 1), ended with ${code}: ${first.err()}`);

    // The error: the SINK_IO cause, the folder, which batch, and what to do.
    const err = first.err();
    assert.match(err, /\[SINK_IO\]/);
    assert.ok(err.includes(dir), `the message names the folder ${dir}: ${err}`);
    assert.match(err, /Make the folder writable .*run the same command again: with a checkpoint \(--checkpoint\) it resumes at batch \d+/);
    const failed = Number(/could not write batch (\d+)/.exec(err)?.[1]);
    assert.ok(Number.isInteger(failed) && failed >= 2, `the failing batch is named: ${err}`);

    // No partial batch visible: what a reader gets is whole batches of the uninterrupted run, and not the failed one.
    const seen = readParquetOutput(dir);
    const seenBatches = [...new Set(seen.getColumn("batch_id").toArray() as number[])];
    assert.ok(seen.height > 0 && seen.height < want.height, `some batches, not all: ${seen.height} of ${want.height} rows`);
    assert.ok(!seenBatches.includes(failed), `batch ${failed} is not visible`);
    for (const b of seenBatches) {
      assert.ok(wantBatches.has(b), `batch ${b} is a batch of the uninterrupted run`);
      const mine = seen.filter(pl.col("batch_id").eq(b)), theirs = want.filter(pl.col("batch_id").eq(b));
      assert.ok(sorted(mine).frameEqual(sorted(theirs), true), `batch ${b} is complete`);
    }
    // Every batch file in the folder, logged or not, is a whole parquet file (temp name + rename).
    for (const name of readdirSync(dir).filter(isBatchFileName)) assert.doesNotThrow(() => pl.readParquet(path.join(dir, name)), name);

    // The fix, then the same command: it resumes from the checkpoint and completes the output.
    chmodSync(dir, 0o755);
    chmodSync(log, 0o755);
    const second = startCli(args, { prefix: prefix! });
    assert.equal(await second.exited, 0, second.err());
    const got = readParquetOutput(dir);
    assert.equal(got.height, want.height, "as many rows as the uninterrupted run");
    assert.ok(sorted(got).frameEqual(sorted(want), true), "the same rows with the same batch ids as the uninterrupted run");
    const temps = [...readdirSync(dir), ...(existsSync(log) ? readdirSync(log) : [])].filter(isTempName);
    assert.deepEqual(temps, [], "no temp file of the failed write is left");
  });
});

function sorted(f: pl.DataFrame): pl.DataFrame {
  return f.sort(["ride_id", "window_start", "batch_id"]);
}
