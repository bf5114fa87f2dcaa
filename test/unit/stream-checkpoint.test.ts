/**
 * Checkpoints (semantics.md, "Checkpoints and exactly-once"): a query stopped and started again with
 * the same checkpoint folder resumes where it stopped, and its parquet output holds every batch once,
 * equal to an uninterrupted run's; a checkpoint of another query is refused with what differs.
 * (Killing real processes at random moments: test/integration/checkpoint-kill.test.ts.)
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { joinedQuery, MemoryStreamSink, MemoryStreamSource, readParquetOutput, readStream, windowedQuery, type CourseQueryOptions } from "../../lib/stream";
import { at, writeCourseFiles } from "./stream-fixtures";

describe("checkpoints", function () {
  this.timeout(120_000);
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "streamlab-ckpt-"));
    writeCourseFiles(path.join(root, "input"), 8, 60);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const run = (kind: "windowed" | "joined", out: string, extra: CourseQueryOptions = {}) =>
    (kind === "windowed" ? windowedQuery : joinedQuery)({ input: path.join(root, "input"), output: out, trigger: "once", watermark: "10 seconds", maxFilesPerTrigger: 3, ...extra }).awaitTermination();
  const outputOf = (kind: string, out: string) => readParquetOutput(path.join(out, kind === "windowed" ? "windowed" : "stream-joined"));
  const sorted = (f: pl.DataFrame) => f.sort(f.columns.filter((c) => c !== "x" && c !== "speed"));

  for (const kind of ["windowed", "joined"] as const) {
    it(`${kind}: stopped after some batches and started again, the output equals an uninterrupted run's, every batch once`, async () => {
      const reference = path.join(root, "ref");
      await run(kind, reference);
      const out = path.join(root, "out"), checkpoint = path.join(root, "ckpt");
      // Stop three times at different points, then let it finish.
      for (const stopAfter of [2, 5, 9]) {
        const controller = new AbortController();
        let batches = 0;
        await run(kind, out, { checkpoint, signal: controller.signal, onProgress: () => { if (++batches === stopAfter) controller.abort(); } });
      }
      const summary = await run(kind, out, { checkpoint });
      assert.ok(summary.batches > 0, "the last run still had batches to do");
      const got = outputOf(kind, out), want = outputOf(kind, reference);
      assert.equal(got.height, want.height);
      assert.ok(sorted(got).frameEqual(sorted(want), true), "same rows, same batch ids");
      // Run again: nothing left to do, nothing written twice.
      const again = await run(kind, out, { checkpoint });
      assert.equal(again.outputRows, 0);
      assert.equal(outputOf(kind, out).height, want.height);
    });
  }

  it("a batch whose output was written but not committed (a crash in between) is written again once, not twice", async () => {
    const reference = path.join(root, "ref"), out = path.join(root, "out"), checkpoint = path.join(root, "ckpt");
    await run("windowed", reference);
    await run("windowed", out, { checkpoint });
    // Undo the last commits and the sink's log entries for them, as if the process died after writing.
    const commits = readdirSync(path.join(checkpoint, "windowed", "commits")).sort();
    const undone = commits.slice(-3);
    for (const c of undone) {
      rmSync(path.join(checkpoint, "windowed", "commits", c));
      rmSync(path.join(out, "windowed", "_streamlab_log", String(Number(c))), { force: true });
    }
    for (const s of readdirSync(path.join(checkpoint, "windowed", "state"))) rmSync(path.join(checkpoint, "windowed", "state", s), { recursive: true });
    assert.ok(outputOf("windowed", out).height < outputOf("windowed", reference).height, "the undone batches are not read meanwhile");
    await run("windowed", out, { checkpoint });
    assert.ok(sorted(outputOf("windowed", out)).frameEqual(sorted(outputOf("windowed", reference)), true));
  });

  it("refuses a checkpoint written by a different query, naming what differs and how to start over", async () => {
    const checkpoint = path.join(root, "ckpt");
    await run("windowed", path.join(root, "out"), { checkpoint });
    await assert.rejects(run("windowed", path.join(root, "out"), { checkpoint, window: "30 seconds" }), (e: unknown) => {
      assert.ok(isStreamlabError(e, "CHECKPOINT"), String(e));
      assert.match(e.message, /stateful\.window\.sizeMs: 15000 in the checkpoint, 30000 now/);
      assert.match(e.message, /delete the folder/);
      assert.ok(e.message.includes(path.join(checkpoint, "windowed")));
      return true;
    });
    assert.ok(existsSync(path.join(checkpoint, "windowed", "metadata.json")), "the checkpoint is left as it was");
  });

  it("rejects a checkpoint on an input that cannot be read again", () => {
    const src = new MemoryStreamSource("s");
    src.push(pl.DataFrame({ uuid: ["a"], timestamp: pl.Series("timestamp", [at(1)], pl.Datetime("ms")) }));
    assert.throws(() => readStream(src).writeStream({ sinks: [new MemoryStreamSink()], checkpointLocation: path.join(root, "c") }),
      (e: unknown) => isStreamlabError(e, "QUERY") && /input "s" cannot be read again/.test(e.message));
  });
});
