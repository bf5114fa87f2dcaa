/**
 * `streamlab query windowed --once --checkpoint DIR` run repeatedly as an incremental batch job
 * (Spark's availableNow / Trigger.Once), on the course's real data replayed to files: the file
 * stream is handed over in two parts, one run after each. The second run must process the new
 * files (the first run's end-of-input flush must not leave a watermark that makes them late), and
 * the results must equal one run over the whole stream: in update mode, the latest value of every
 * window; in append mode, every window once.
 */
import { strict as assert } from "node:assert";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pl from "nodejs-polars";
import { replay } from "../../lib/replay/replay";
import { FileSink } from "../../lib/sinks/files";
import { readParquetOutput } from "../../lib/stream/sinks/read";
import { runCli } from "../helpers/cli";

const BDD = path.resolve(__dirname, "../../../shared/data/bdd");
/** Partitions `t=…` before this offset (s) are the first part of the stream. */
const CUT_SECONDS = 60;

describe("streamlab query --once --checkpoint, run again after more input arrived", function () {
  this.timeout(600_000);
  let root: string;
  let full: string;

  before(async function () {
    if (!existsSync(BDD)) this.skip();
    root = mkdtempSync(path.join(tmpdir(), "streamlab-once-inc-"));
    await replay({ data: BDD, sinks: new FileSink({ out: path.join(root, "stream") }), speed: "max", start: "2020-01-01T00:00:00Z" });
    full = path.join(root, "stream", "input");
  });
  after(() => { if (root) rmSync(root, { recursive: true, force: true }); });

  /** Copies the partitions of `full/locations` whose time is before (or from) the cut into `dest/locations`. */
  function handOver(dest: string, part: "first" | "rest"): number {
    let files = 0;
    const table = path.join(full, "locations");
    for (const p of readdirSync(table).filter((d) => d.startsWith("t="))) {
      const early = Number(p.slice(2)) < CUT_SECONDS;
      if (early !== (part === "first")) continue;
      cpSync(path.join(table, p), path.join(dest, "locations", p), { recursive: true });
      files += readdirSync(path.join(table, p)).length;
    }
    return files;
  }

  const summaryOf = (out: string) => {
    const m = /query windowed: \d+ batches, input rows locations=(\d+), output rows (\d+), rows dropped by the watermark (\d+)/.exec(out);
    assert.ok(m, `no summary line in:\n${out}`);
    return { input: Number(m[1]), output: Number(m[2]), dropped: Number(m[3]) };
  };

  async function twoRunsAndReference(mode: "update" | "append") {
    const input = path.join(root, mode, "input"), checkpoint = path.join(root, mode, "ckpt");
    const args = (inputDir: string, out: string) => ["query", "windowed", "--once", "--mode", mode, "--input", inputDir, "--output", path.join(root, mode, out), "--max-files-per-trigger", "200"];
    assert.ok(handOver(input, "first") > 0);
    const first = await runCli(...args(input, "out"), "--checkpoint", checkpoint);
    assert.equal(first.code, 0, first.err);
    const firstOutput = readParquetOutput(path.join(root, mode, "out", "windowed"));
    assert.ok(handOver(input, "rest") > 0);
    const second = await runCli(...args(input, "out"), "--checkpoint", checkpoint);
    assert.equal(second.code, 0, second.err);
    const reference = await runCli(...args(full, "ref"));
    assert.equal(reference.code, 0, reference.err);
    return { firstOutput, first: summaryOf(first.out), second: summaryOf(second.out), reference: summaryOf(reference.out), out: path.join(root, mode, "out", "windowed"), ref: path.join(root, mode, "ref", "windowed") };
  }

  const rowsOf = (f: pl.DataFrame) => (f.drop("batch_id").sort(["ride_id", "window_start"]).toRecords() as Record<string, unknown>[]).map((r) => JSON.stringify(r));

  it("update (the default): the second run takes the new files, and the latest value of every window equals one run over the whole stream", async () => {
    const { first, second, reference, out, ref } = await twoRunsAndReference("update");
    assert.equal(first.input + second.input, reference.input, "every row read once over the two runs");
    assert.ok(second.input > 0);
    assert.equal(second.dropped, 0, "the new rows are not late");
    const latest = (dir: string) => readParquetOutput(dir, { latestBy: ["ride_id", "window_start"] });
    assert.deepEqual(rowsOf(latest(out)), rowsOf(latest(ref)));
  });

  it("append: every window once; the windows after those the first run's flush closed equal one run over the whole stream", async () => {
    const { firstOutput, second, out, ref } = await twoRunsAndReference("append");
    assert.ok(second.input > 0 && second.output > 0, "the second run emits windows of the new files");
    const got = readParquetOutput(out), want = readParquetOutput(ref);
    assert.equal(got.select("ride_id", "window_start").unique().height, got.height, "no window emitted twice");
    // The flush closed every window up to the end of its latest one: new rows before that are late
    // (and counted), so those windows may miss rows; every later window is exactly the reference's.
    const closedUntil = firstOutput.getColumn("window_end").max();
    const after = (f: pl.DataFrame) => f.filter(pl.col("window_start").gtEq(pl.lit(closedUntil)));
    assert.ok(after(got).height > 0);
    assert.deepEqual(rowsOf(after(got)), rowsOf(after(want)));
    const counts = (f: pl.DataFrame) => new Map((f.filter(pl.col("window_start").lt(pl.lit(closedUntil))).select("ride_id", "window_start", "count").toRecords() as Record<string, unknown>[]).map((r) => [`${r.ride_id} ${String(r.window_start)}`, Number(r.count)]));
    const wantBefore = counts(want);
    for (const [key, n] of counts(got)) assert.ok(n <= (wantBefore.get(key) ?? -1), `window ${key}: ${n} rows, the reference has ${wantBefore.get(key)}`);
  });
});
