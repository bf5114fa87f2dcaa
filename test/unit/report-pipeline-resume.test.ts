/**
 * The main job's (and the analysis notebook's) pipeline interrupted half-way and run again with
 * `resume`: the replay continues after its last acknowledged release, the queries from their
 * checkpoints, and the outputs equal an uninterrupted run's.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type pl from "nodejs-polars";
import { generateDataset } from "../../lib/generate";
import { readCourseOutputs, runCoursePipeline } from "../../lib/report/pipeline";

const START = "2020-01-01T00:00:00Z";
const sorted = (f: pl.DataFrame) => {
  const g = f.columns.includes("batch_id") ? f.drop("batch_id") : f;
  return g.sort(g.columns.filter((c) => ["uuid", "ride_id", "window_start", "timestamp", "loc_timestamp", "acc_timestamp"].includes(c)));
};

describe("report: an interrupted pipeline resumed", function () {
  this.timeout(180_000);
  let root: string;
  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), "streamlab-pipeline-resume-"));
    await generateDataset({ rides: 12, duration: 60, seed: 3, out: path.join(root, "data") });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("resume: \"auto\" continues the replay and the queries, and the outputs equal an uninterrupted run's", async () => {
    const data = path.join(root, "data");
    const reference = await runCoursePipeline({ data, out: path.join(root, "ref"), speed: "max", start: START });
    const out = path.join(root, "run");
    const controller = new AbortController();
    let releases = 0;
    const first = await runCoursePipeline({ data, out, speed: 40, start: START, signal: controller.signal, onReplayProgress: () => { if (++releases === 25) controller.abort(); } });
    assert.equal(first.replay.stopReason, "aborted");
    assert.ok(first.replay.releases < reference.replay.releases, "the first run stopped half-way");

    const second = await runCoursePipeline({ data, out, speed: 40, resume: "auto" });
    assert.equal(second.replay.stopReason, "completed");
    assert.equal(second.replay.resumedAfter, first.replay.releases, "the replay went on after the releases of the first run");
    assert.equal(first.replay.rows + second.replay.rows, reference.replay.rows, "every row released once over both runs");

    const got = readCourseOutputs(path.join(out, "output"));
    const want = readCourseOutputs(path.join(root, "ref", "output"));
    for (const k of ["windowed", "joined", "locations"] as const) {
      assert.equal(got[k].height, want[k].height, `${k}: as many rows as an uninterrupted run`);
      assert.ok(sorted(got[k]).frameEqual(sorted(want[k]), true), `${k}: the same rows`);
    }

    // A completed run leaves nothing to resume: "auto" starts over.
    const third = await runCoursePipeline({ data, out, speed: "max", start: START, resume: "auto" });
    assert.equal(third.replay.resumedAfter, null);
    assert.equal(third.replay.rows, reference.replay.rows);
  });
});
