import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { batchFileName, COMMIT_LOG, consoleSink, parquetSink, readParquetOutput } from "../../lib/stream/sinks";
import type { BatchOutput, OutputMode } from "../../lib/stream/types";

function windows(rides: string[], means: number[]): pl.DataFrame {
  return pl.DataFrame({
    ride_id: rides,
    window_start: rides.map(() => new Date("2020-01-01T00:00:15Z")),
    mean_speed: means,
  }).withColumn(pl.col("window_start").cast(pl.Datetime("ms")));
}

const out = (batchId: number, frame: pl.DataFrame, mode: OutputMode = "update"): BatchOutput => ({ batchId, mode, frame });

describe("parquetSink", () => {
  let dir: string;
  beforeEach(() => { dir = path.join(mkdtempSync(path.join(tmpdir(), "streamlab-sink-")), "windowed"); });
  afterEach(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  it("writes one file per batch that reads back equal, with batch_id in update mode", async () => {
    const sink = parquetSink({ dir });
    await sink.open();
    await sink.write(out(0, windows(["a", "b"], [1, 2])));
    await sink.write(out(1, windows(["a"], [3])));
    await sink.close();
    assert.deepEqual(readdirSync(dir).sort(), [batchFileName(0), batchFileName(1)]);
    const first = pl.readParquet(path.join(dir, "batch-000000.parquet"));
    assert.ok(first.drop("batch_id").frameEqual(windows(["a", "b"], [1, 2])));
    assert.deepEqual(first.getColumn("batch_id").cast(pl.Float64).toArray(), [0, 0]);
    assert.deepEqual(sink.stats(), { files: 2, rows: 3 });
  });

  it("collapses an update-mode changelog to the latest row per key", async () => {
    const sink = parquetSink({ dir });
    await sink.open();
    await sink.write(out(0, windows(["a", "b"], [1, 2])));
    await sink.write(out(1, windows(["a"], [3])));
    await sink.write(out(2, windows(["c"], [7])));
    const latest = readParquetOutput(dir, { latestBy: ["ride_id", "window_start"] }).sort("ride_id");
    assert.deepEqual(latest.getColumn("ride_id").toArray(), ["a", "b", "c"]);
    assert.deepEqual(latest.getColumn("mean_speed").toArray(), [3, 2, 7]);
    assert.equal(readParquetOutput(dir).height, 4);
  });

  it("adds no batch_id in append mode unless asked, and keeps the engine's own batch_id", async () => {
    const sink = parquetSink({ dir });
    await sink.open();
    await sink.write(out(0, windows(["a"], [1]), "append"));
    assert.deepEqual(readParquetOutput(dir).columns, ["ride_id", "window_start", "mean_speed"]);
    const withId = parquetSink({ dir, batchId: true });
    await withId.open();
    await withId.write(out(4, windows(["a"], [1]), "append"));
    assert.deepEqual(readParquetOutput(dir).getColumn("batch_id").cast(pl.Float64).toArray(), [4]);
    const engineTagged = windows(["a"], [1]).withColumn(pl.lit(9).cast(pl.Int64).alias("batch_id"));
    await withId.write(out(5, engineTagged, "append"));
    assert.deepEqual(pl.readParquet(path.join(dir, batchFileName(5))).getColumn("batch_id").cast(pl.Float64).toArray(), [9]);
  });

  it("writes nothing for an empty batch", async () => {
    const sink = parquetSink({ dir });
    await sink.open();
    await sink.write(out(0, windows([], [])));
    assert.deepEqual(readdirSync(dir), []);
    assert.throws(() => readParquetOutput(dir), (e: unknown) => isStreamlabError(e, "NO_DATA") && e.context.path === dir);
  });

  it("clears the batch files of a previous run on open, and leaves other files alone", async () => {
    const first = parquetSink({ dir });
    await first.open();
    await first.write(out(0, windows(["a"], [1])));
    await first.write(out(1, windows(["a"], [2])));
    writeFileSync(path.join(dir, "notes.txt"), "mine");
    await parquetSink({ dir }).open();
    assert.deepEqual(readdirSync(dir), ["notes.txt"]);
    const keep = parquetSink({ dir, clean: false });
    await keep.write(out(3, windows(["b"], [1])));
    await parquetSink({ dir, clean: false }).open();
    assert.deepEqual(readdirSync(dir).sort(), [batchFileName(3), "notes.txt"]);
  });

  it("raises SinkError naming the path when the folder cannot be created", async () => {
    const blocker = path.join(path.dirname(dir), "file");
    writeFileSync(blocker, "x");
    const sink = parquetSink({ dir: path.join(blocker, "out") });
    await assert.rejects(sink.open(), (e: unknown) => isStreamlabError(e, "SINK_IO") && String(e.context.path).startsWith(blocker));
  });

  it("a batch it cannot write raises SINK_IO naming the folder and the way out; the batch is not visible, and a resuming sink drops the temp files left", async () => {
    const sink = parquetSink({ dir });
    await sink.open({ resuming: false, checkpointed: true });
    await sink.write(out(0, windows(["a"], [1])));
    // A folder where batch 1's file goes: the rename onto it fails even for root (chmod would not stop root).
    mkdirSync(path.join(dir, batchFileName(1), "x"), { recursive: true });
    await assert.rejects(sink.write(out(1, windows(["b"], [2]))), (e: unknown) => {
      assert.ok(isStreamlabError(e, "SINK_IO"));
      assert.equal(e.context.path, dir);
      assert.match(e.message, /could not write batch 1 \(.*\); no part of it is in the output\. Make the folder writable .* run the same command again: with a checkpoint \(--checkpoint\) it resumes at batch 1/);
      return true;
    });
    assert.deepEqual(readdirSync(path.join(dir, COMMIT_LOG)), ["0"], "batch 1 is not logged");
    assert.deepEqual(readParquetOutput(dir).getColumn("batch_id").toArray(), [0], "nothing of batch 1 is read");

    // The fix, and leftovers of writes that died between the temp file and the rename.
    rmSync(path.join(dir, batchFileName(1)), { recursive: true });
    writeFileSync(path.join(dir, ".batch-000001.parquet.123.tmp"), "half");
    writeFileSync(path.join(dir, COMMIT_LOG, ".1.123.tmp"), "");
    const resumed = parquetSink({ dir });
    await resumed.open({ resuming: true, checkpointed: true });
    assert.deepEqual(readdirSync(dir).sort(), [COMMIT_LOG, batchFileName(0)], "batches kept, temp files gone");
    assert.deepEqual(readdirSync(path.join(dir, COMMIT_LOG)), ["0"]);
    await resumed.write(out(1, windows(["b"], [2])));
    assert.deepEqual(readParquetOutput(dir).getColumn("batch_id").toArray(), [0, 1]);
  });

  it("rejects bad options with OptionError naming the option", () => {
    for (const [opts, option] of [[{ dir: "" }, "dir"], [{ dir: "x", clean: 1 }, "clean"], [{ dir: "x", batchId: "no" }, "batchId"]] as const) {
      assert.throws(() => parquetSink(opts as never), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === option);
    }
  });

  it("never lets a reader polling the folder see a partial file", async function () {
    this.timeout(60_000);
    const sink = parquetSink({ dir });
    await sink.open();
    // A separate process lists *.parquet over and over and reads each new file as soon as it
    // appears (the moment a non-atomic writer would expose a partial file); it reports every file
    // it could not read, and stops once it finds the "done" marker.
    const reader = spawn(process.execPath, ["-e", `
      const fs = require("fs"), path = require("path"), pl = require("nodejs-polars");
      const dir = process.argv[1]; const read = new Set(); const bad = [];
      for (;;) {
        const done = fs.existsSync(path.join(dir, "done"));
        for (const n of fs.readdirSync(dir)) {
          if (!n.endsWith(".parquet") || read.has(n)) continue;
          read.add(n);
          try { pl.readParquet(fs.readFileSync(path.join(dir, n))); } catch (e) { bad.push(n + ": " + e.message); }
        }
        if (done) break;
      }
      console.log(JSON.stringify({ reads: read.size, bad }));
    `, dir], { cwd: path.resolve(__dirname, "../.."), stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    reader.stdout.on("data", (d) => (stdout += d));
    const big = pl.DataFrame({ ride_id: Array.from({ length: 200_000 }, (_, i) => `ride-${i % 35}`), mean_speed: Array.from({ length: 200_000 }, (_, i) => i / 7) });
    for (let b = 0; b < 25; b++) await sink.write(out(b, big));
    writeFileSync(path.join(dir, "done"), "");
    const code = await new Promise<number | null>((resolve) => reader.on("close", resolve));
    assert.equal(code, 0);
    const result = JSON.parse(stdout) as { reads: number; bad: string[] };
    assert.deepEqual(result.bad, []);
    assert.equal(result.reads, 25, "the reader saw every batch file");
  });
});

describe("consoleSink", () => {
  it("prints a banner with the batch id, mode and row count, then polars' table", async () => {
    const lines: string[] = [];
    const sink = consoleSink({ write: (t) => lines.push(t), maxRows: 2 });
    await sink.open();
    await sink.write(out(3, windows(["a", "b", "c"], [1.5, 2.5, 3.5]), "complete"));
    await sink.write(out(4, windows([], []), "update"));
    assert.match(lines[0], /Batch: 3 \(complete, 3 rows\)/);
    assert.match(lines[0], /mean_speed/);
    assert.match(lines[0], /1\.5/);
    assert.doesNotMatch(lines[0], /3\.5/);
    assert.match(lines[0], /1 more rows/);
    assert.match(lines[1], /Batch: 4 \(update, 0 rows\)\n[-]+\n\(no rows\)/);
  });

  it("rejects a bad maxRows with OptionError", () => {
    assert.throws(() => consoleSink({ maxRows: 0 }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "maxRows");
  });
});
