/**
 * `once` runs repeated with one checkpoint (Spark's availableNow / Trigger.Once used as an
 * incremental batch job; docs/engine.md, "End-of-input flush"): each run ends with the flush, and
 * the next run, after more input arrived, processes that input. Results stay exactly-once: the two
 * runs' output equals one run over all the input when the new input comes after what the first run
 * flushed, and a window or join row the flush emitted is never emitted again (rows that would
 * change it are late, dropped and counted).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { fileStreamSource, joinedQuery, readParquetOutput, readStream, simpleQuery, windowedQuery, parquetSink, type CourseQueryOptions, type OutputMode } from "../../lib/stream";
import { summarizeQueryProgress } from "../../lib/stream/progress";
import { sessionWindow } from "../../lib/stream/session";
import type { ProgressRecord } from "../../lib/stream/types";
import { assertFramesEqual, writeCourseFiles } from "./stream-fixtures";

type Kind = "windowed" | "joined" | "simple";

describe("once runs repeated with one checkpoint (end-of-input flush)", function () {
  this.timeout(120_000);
  let root: string;
  beforeEach(() => { root = mkdtempSync(path.join(tmpdir(), "streamlab-once-")); });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const input = () => path.join(root, "input");
  const query = { windowed: windowedQuery, joined: joinedQuery, simple: simpleQuery };
  const run = (kind: Kind, out: string, extra: CourseQueryOptions = {}) =>
    query[kind]({ input: input(), output: path.join(root, out), trigger: "once", watermark: "10 seconds", maxFilesPerTrigger: 5, ...extra }).awaitTermination();
  const outputOf = (kind: Kind, out: string, sub = "") => readParquetOutput(path.join(root, out, kind === "joined" ? "stream-joined" : kind, sub));

  /** Run 1 over `[0, 60)`, more input `[from, from + seconds)`, run 2; then one run over all input. */
  async function twoRunsAndReference(kind: Kind, from: number, extra: CourseQueryOptions = {}, seconds = 60, badFile = false) {
    const checkpoint = path.join(root, "ckpt");
    writeCourseFiles(input(), 6, 60);
    // A bad file read last makes even a complete-mode run end with a flush batch (which reports the skip).
    if (badFile) {
      mkdirSync(path.join(input(), "locations", "t=099.0"));
      writeFileSync(path.join(input(), "locations", "t=099.0", "broken.parquet"), "not parquet");
    }
    const first = await run(kind, "out", { checkpoint, ...extra });
    writeCourseFiles(input(), 6, seconds, { seed: 12, from });
    const second = await run(kind, "out", { checkpoint, ...extra });
    const reference = await run(kind, "ref", extra);
    return { first, second, reference };
  }

  /** How many windows of an update-mode output were updated in both runs: before and after the first run's flush batch. */
  const continued = (updates: pl.DataFrame): number => {
    const offsets = path.join(root, "ckpt", "windowed", "offsets");
    const flush = readdirSync(offsets).map((f) => JSON.parse(readFileSync(path.join(offsets, f), "utf8"))).find((e) => e.final).batchId as number;
    const byWindow = updates.groupBy(["ride_id", "window_start"]).agg(pl.col("batch_id").min().alias("lo"), pl.col("batch_id").max().alias("hi"));
    return byWindow.filter(pl.col("lo").lt(flush).and(pl.col("hi").gt(flush))).height;
  };

  it("windowed, append: the second run processes the new input; the output equals one run over all of it; no window twice", async () => {
    const { first, second, reference } = await twoRunsAndReference("windowed", 100, { mode: "append" });
    assert.ok(first.outputRows > 0);
    assert.ok(second.inputRows.locations > 0);
    assert.equal(second.rowsDroppedByWatermark, 0, "the new input is after every window the first run flushed");
    assert.ok(second.outputRows > 0, "the second run emits the new windows");
    const got = outputOf("windowed", "out"), want = outputOf("windowed", "ref");
    assert.equal(got.select("ride_id", "window_start").unique().height, got.height, "no window emitted twice");
    assertFramesEqual(got.drop("batch_id"), want.drop("batch_id"), ["ride_id", "window_start"]);
    assert.equal(first.inputRows.locations + second.inputRows.locations, reference.inputRows.locations);
  });

  it("windowed, append: new rows inside a window the first run flushed are late (dropped, counted), and that window is not emitted again", async () => {
    const { second } = await twoRunsAndReference("windowed", 30, { mode: "append" });
    assert.ok(second.rowsDroppedByWatermark > 0, "rows in flushed windows are late");
    assert.ok(second.rowsDroppedByWatermark < second.inputRows.locations, "rows after the flushed windows are taken");
    const got = outputOf("windowed", "out");
    assert.equal(got.select("ride_id", "window_start").unique().height, got.height, "no window emitted twice");
  });

  for (const mode of ["update", "complete"] as OutputMode[]) {
    it(`windowed, ${mode}: the new input continues the windows left open; the latest value of every window equals one run over all input`, async () => {
      // The first run's rows end before 45 s (seeded): the same rides go on from 40 s, inside their
      // windows [30 s, 45 s), above the first run's watermark (< 35 s).
      // Complete mode: one file per poll, so the last poll holds the bad file alone and the run ends with a flush batch.
      const { first, second } = await twoRunsAndReference("windowed", 40, { mode, ...(mode === "complete" ? { maxFilesPerTrigger: 1 } : {}) }, 10, mode === "complete");
      if (mode === "update") assert.ok(continued(outputOf("windowed", "out")) > 0, "some window got rows in both runs");
      assert.ok(first.outputRows > 0);
      assert.equal(second.rowsDroppedByWatermark, 0, "nothing of the new input is late");
      const latest = (out: string) => {
        const all = outputOf("windowed", out);
        const rows = mode === "complete" ? all.filter(pl.col("batch_id").eq(all.getColumn("batch_id").max())) : readParquetOutput(path.join(root, out, "windowed"), { latestBy: ["ride_id", "window_start"] });
        return rows.drop("batch_id");
      };
      assertFramesEqual(latest("out"), latest("ref"), ["ride_id", "window_start"]);
    });
  }

  it("joined (full outer): the second run joins the new input; the rows equal one run over all input", async () => {
    const { second } = await twoRunsAndReference("joined", 70);
    assert.equal(second.rowsDroppedByWatermark, 0, "the new input is past every row the flush settled");
    assert.ok(second.outputRows > 0);
    const cols = ["uuid", "loc_timestamp", "acc_timestamp"];
    assertFramesEqual(outputOf("joined", "out").drop("batch_id"), outputOf("joined", "ref").drop("batch_id"), cols);
  });

  it("joined (full outer): a new row that would match a row the flush emitted unmatched is late, so no row is emitted both unmatched and matched", async () => {
    const { second } = await twoRunsAndReference("joined", 20);
    assert.ok(second.rowsDroppedByWatermark > 0);
    const got = outputOf("joined", "out");
    for (const [side, other] of [["loc_timestamp", "acc_timestamp"], ["acc_timestamp", "loc_timestamp"]]) {
      const unmatched = got.filter(pl.col(other).isNull()).select("uuid", side);
      const matched = got.filter(pl.col(other).isNotNull()).select("uuid", side).unique();
      assert.equal(unmatched.join(matched, { on: ["uuid", side], how: "inner" }).height, 0, `a ${side} row emitted with and without a match`);
    }
  });

  it("pass-through: each run writes its new rows once", async () => {
    const { second } = await twoRunsAndReference("simple", 100);
    assert.ok(second.outputRows > 0);
    for (const table of ["locations", "accelerations"]) {
      const got = outputOf("simple", "out", table), want = outputOf("simple", "ref", table);
      assert.ok(got.filter(pl.col("offset").gtEq(100)).height > 0, "the new rows are there");
      assertFramesEqual(got, want, ["uuid", "timestamp"]);
    }
  });

  it("a checkpoint written before the flush rule (watermark +infinity, no state) takes new input after the flushed windows", async () => {
    const checkpoint = path.join(root, "ckpt");
    writeCourseFiles(input(), 6, 60);
    await run("windowed", "out", { checkpoint, mode: "update" });
    // What the old flush left: the watermark at +infinity and every window evicted.
    const stateDir = path.join(checkpoint, "windowed", "state");
    const last = path.join(stateDir, readdirSync(stateDir).sort().at(-1)!, "state.json");
    const state = JSON.parse(readFileSync(last, "utf8"));
    writeFileSync(last, JSON.stringify({ ...state, frames: [], watermark: { ...state.watermark, inForce: "Infinity" } }));
    writeCourseFiles(input(), 6, 60, { seed: 12, from: 100 });
    const second = await run("windowed", "out", { checkpoint, mode: "update" });
    await run("windowed", "ref", { mode: "update" });
    assert.ok(second.inputRows.locations > 0);
    assert.equal(second.rowsDroppedByWatermark, 0);
    const latest = (out: string) => readParquetOutput(path.join(root, out, "windowed"), { latestBy: ["ride_id", "window_start"] }).drop("batch_id");
    assertFramesEqual(latest("out"), latest("ref"), ["ride_id", "window_start"]);
  });

  it("a restart that re-runs the logged flush (killed before its snapshot) then goes on from what the flush kept", async () => {
    const checkpoint = path.join(root, "ckpt");
    writeCourseFiles(input(), 6, 60);
    await run("windowed", "out", { checkpoint, mode: "update" });
    rmSync(path.join(checkpoint, "windowed", "state"), { recursive: true }); // as if killed before the flush's snapshot
    writeCourseFiles(input(), 6, 10, { seed: 12, from: 40 }); // into the open windows [30 s, 45 s), as above
    const second = await run("windowed", "out", { checkpoint, mode: "update" });
    await run("windowed", "ref", { mode: "update" });
    assert.equal(second.rowsDroppedByWatermark, 0);
    assert.ok(continued(outputOf("windowed", "out")) > 0, "some window got rows in both runs");
    const latest = (out: string) => readParquetOutput(path.join(root, out, "windowed"), { latestBy: ["ride_id", "window_start"] }).drop("batch_id");
    assertFramesEqual(latest("out"), latest("ref"), ["ride_id", "window_start"]);
  });

  it("an inner join keeps its state over the flush: a row of the next run still meets a row of the first", async () => {
    const checkpoint = path.join(root, "ckpt"), loc = path.join(input(), "locations"), acc = path.join(input(), "accelerations");
    writeCourseFiles(input(), 4, 60);
    const joinRun = (out: string, withCheckpoint: boolean) => {
      const src = (dir: string) => readStream(fileStreamSource({ dir, once: true })).withWatermark("timestamp", "10 seconds");
      return src(loc).join(src(acc), { on: "uuid", how: "inner", within: "30 seconds" })
        .writeStream({ sinks: [parquetSink({ dir: path.join(root, out) })], trigger: "once", ...(withCheckpoint ? { checkpointLocation: checkpoint } : {}) })
        .start().awaitTermination();
    };
    await joinRun("out", true);
    writeCourseFiles(input(), 4, 60, { seed: 12, from: 55 });
    await joinRun("out", true);
    await joinRun("ref", false);
    assertFramesEqual(readParquetOutput(path.join(root, "out")).drop("batch_id"), readParquetOutput(path.join(root, "ref")).drop("batch_id"), ["uuid", "left_timestamp", "right_timestamp"]);
  });

  it("session windows, append: the second run processes the new input; no session twice; equal to one run over all input", async () => {
    const checkpoint = path.join(root, "ckpt"), loc = path.join(input(), "locations");
    writeCourseFiles(input(), 4, 60);
    const sessionRun = async (out: string, withCheckpoint: boolean) => {
      const records: ProgressRecord[] = [];
      await readStream(fileStreamSource({ dir: loc, once: true })).withWatermark("timestamp", "10 seconds")
        .groupBy("uuid", sessionWindow("timestamp", "5 seconds")).agg({ n: pl.len() })
        .writeStream({ mode: "append", sinks: [parquetSink({ dir: path.join(root, out) })], trigger: "once", onProgress: (r) => records.push(r), ...(withCheckpoint ? { checkpointLocation: checkpoint } : {}) })
        .start().awaitTermination();
      return summarizeQueryProgress(records);
    };
    await sessionRun("out", true);
    writeCourseFiles(input(), 4, 60, { seed: 12, from: 100 }); // after every session of the first run
    const second = await sessionRun("out", true);
    await sessionRun("ref", false);
    assert.ok(second.inputRows.locations > 0 && second.rowsDroppedByWatermark === 0, "the new input is taken, not dropped as late");
    const got = readParquetOutput(path.join(root, "out")).drop("batch_id");
    assert.equal(got.select("uuid", "session_start").unique().height, got.height, "no session emitted twice");
    assertFramesEqual(got, readParquetOutput(path.join(root, "ref")).drop("batch_id"), ["uuid", "session_start"]);
  });
});
