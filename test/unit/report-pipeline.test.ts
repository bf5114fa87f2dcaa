import assert from "node:assert/strict";
import * as path from "node:path";
import { isStreamlabError } from "../../lib/errors";
import { analysisParams, formatPipelineSummary, type CoursePipelineResult } from "../../lib/report";
import type { CourseQuerySummary } from "../../lib/stream/queries";
import type { ReplaySummary } from "../../lib/replay/types";

const ROOT = path.resolve(__dirname, "../..");

function replaySummary(): ReplaySummary {
  const table = (rows: number) => ({ partitions: 2, files: 3, rows, releases: 2 });
  return {
    data: "/data/bdd", start: "2020-01-01T00:00:00.000Z", speed: "max", schedule: "partition", loop: false,
    tables: { locations: table(10), accelerations: table(200) }, partitions: 4, files: 6, rows: 210, releases: 4,
    skipped: [], lateness: null, wallMs: 1234, loops: 1, lastOffset: 3, stoppedEarly: false, stopReason: "completed", sinks: { files: { files: 6 } },
  };
}

function querySummary(kind: CourseQuerySummary["kind"], outputRows: number, dropped: number, skipped: CourseQuerySummary["skipped"] = []): CourseQuerySummary {
  return { kind, batches: 3, inputRows: kind === "windowed" ? { locations: 10 } : { locations: 10, accelerations: 200 }, outputRows, rowsDroppedByWatermark: dropped, skipped, outputs: [`out/${kind}`], errors: [] };
}

describe("report: formatPipelineSummary", () => {
  it("prints the replay's summary, then one line per query with its output rows and late rows dropped", () => {
    const bad = { path: "/s/input/locations/t=001.0/x.parquet", code: "EMPTY_FILE" as const, reason: "x.parquet is empty" };
    const result: CoursePipelineResult = {
      replay: replaySummary(),
      queries: { simple: querySummary("simple", 210, 0), windowed: querySummary("windowed", 7, 2, [bad]), joined: querySummary("joined", 250, 1, [bad]) },
      outputs: { simple: { locations: "out/simple/locations", accelerations: "out/simple/accelerations" }, windowed: "out/windowed", joined: "out/stream-joined" },
    };
    const text = formatPipelineSummary(result);
    assert.match(text, /^Replay of \/data\/bdd completed/);
    assert.match(text, /^ {2}windowed\s+3\s+locations=10\s+7\s+2\s+out\/windowed$/m);
    assert.match(text, /^ {2}joined\s+3\s+locations=10 accelerations=200\s+250\s+1\s+out\/joined$/m);
    // A file two queries skipped is listed once.
    assert.match(text, /skipped by the queries: 1\n\s+\[EMPTY_FILE\] x\.parquet is empty/);
  });
});

describe("report: analysisParams", () => {
  it("takes STREAMLAB_OUT from the project folder, default results/stream", () => {
    assert.equal(analysisParams({}).out, path.join(ROOT, "results/stream"));
    assert.equal(analysisParams({ STREAMLAB_OUT: "tmp/x" }).out, path.join(ROOT, "tmp/x"));
    assert.equal(analysisParams({ STREAMLAB_OUT: "/abs/y", STREAMLAB_SPEED: "max" }).speed, "max");
  });

  it("rejects an empty STREAMLAB_OUT and the common parameters' bad values, naming the variable", () => {
    assert.throws(() => analysisParams({ STREAMLAB_OUT: " " }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "STREAMLAB_OUT");
    assert.throws(() => analysisParams({ STREAMLAB_SPEED: "fast" }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "STREAMLAB_SPEED");
  });
});
