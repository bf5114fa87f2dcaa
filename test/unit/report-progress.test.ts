import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { queryProgressView, untilEnded } from "../../lib/report";
import type { ProgressRecord, SourceChunk, StreamSource } from "../../lib/stream/types";

function record(batchId: number, input: Record<string, number>, dropped = 0): ProgressRecord {
  return {
    batchId, numInputRows: input, numOutputRows: batchId * 2, rowsDroppedByWatermark: dropped, watermark: null, stateRows: 3,
    durationMs: { poll: 1, process: 2, sink: 3, total: 6 }, timestamp: "2020-01-01T00:00:00.000Z",
  };
}

describe("report: queryProgressView", () => {
  it("redraws the latest rows at most every everyMs, and flush() draws what was skipped", () => {
    const drawn: string[] = [];
    let clock = 0;
    const view = queryProgressView({ text: (s) => void drawn.push(s) }, { rows: 2, everyMs: 100, now: () => clock });
    view(record(0, { locations: 5 }), "windowed");
    clock = 50;
    view(record(1, { locations: 7 }), "windowed");
    assert.equal(drawn.length, 1);
    view.flush();
    assert.equal(drawn.length, 2);
    assert.match(drawn[1], /locations=7/);
    view.flush(); // nothing new: no redraw
    assert.equal(drawn.length, 2);
  });

  it("keeps every record as a table row: query, batch, input, output, dropped", () => {
    const view = queryProgressView({ text: () => undefined }, { everyMs: 0 });
    view(record(0, { locations: 5, accelerations: 40 }), "joined");
    view(record(1, { locations: 2 }, 4), "windowed");
    const frame = view.frame();
    assert.deepEqual(frame.getColumn("query").toArray(), ["joined", "windowed"]);
    assert.deepEqual(frame.getColumn("input").toArray(), ["locations=5 accelerations=40", "locations=2"]);
    assert.deepEqual(frame.getColumn("dropped").toArray(), [0, 4]);
    assert.deepEqual(view.frame(1).getColumn("batch").toArray(), [1]);
  });

  it("rejects a display without text()", () => {
    assert.throws(() => queryProgressView({} as never), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "display");
  });
});

describe("report: untilEnded", () => {
  /** A source that returns the queued chunks, one list per poll. */
  function fakeSource(polls: SourceChunk[][]): StreamSource {
    return { name: "locations", poll: async () => polls.shift() ?? [], exhausted: () => false, skipped: () => [], close: async () => undefined };
  }
  const chunk = (): SourceChunk => ({ partitionTime: 0, frame: pl.DataFrame({ a: [1] }) });

  it("is never exhausted before the end, even when polls find nothing", async () => {
    const src = untilEnded(fakeSource([[], []]), () => false);
    await src.poll();
    await src.poll();
    assert.equal(src.exhausted(), false);
  });

  it("after the end, is exhausted only once a poll found nothing new", async () => {
    let ended = false;
    const src = untilEnded(fakeSource([[chunk()], [chunk()], []]), () => ended);
    assert.equal((await src.poll()).length, 1);
    ended = true;
    assert.equal((await src.poll()).length, 1); // written before the end: still read
    assert.equal(src.exhausted(), false);
    await src.poll();
    assert.equal(src.exhausted(), true);
  });

  it("does not count a poll that started before the end as the last one", async () => {
    let ended = false;
    // The end arrives while the poll lists the folder: files renamed meanwhile may be missed by it.
    const inner = fakeSource([]);
    inner.poll = async () => { ended = true; return []; };
    const src = untilEnded(inner, () => ended);
    await src.poll();
    assert.equal(src.exhausted(), false);
  });
});
