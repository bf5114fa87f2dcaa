import assert from "node:assert/strict";
import { FakeClock } from "../../lib/replay/clock";
import { replay } from "../../lib/replay/replay";
import { formatProgress, formatSummary } from "../../lib/replay/summary";
import type { ReleaseBatch, ReplayProgress, ReplaySink } from "../../lib/replay/types";
import { MemorySink } from "../../lib/sinks/memory";
import { fakeReader, type FakeDataset } from "./replay-fakes";

const DATA: FakeDataset = {
  locations: [
    { time: 0, files: [{ name: "a.parquet", offsets: [0.1] }], skipped: [{ path: "/fake/locations/t=000.0/x.parquet", code: "EMPTY_FILE", reason: "/fake/locations/t=000.0/x.parquet: is empty (0 bytes)" }] },
    { time: 3, files: [{ name: "a.parquet", offsets: [3.1] }] },
  ],
  accelerations: [{ time: 1, files: [{ name: "b.parquet", offsets: [1, 1.2] }] }],
};

/** Records when each batch was prepared and written, on the fake clock. */
class PreparingSink implements ReplaySink {
  readonly name = "preparing";
  readonly events: { kind: "prepare" | "write"; due: number; at: number }[] = [];
  constructor(private readonly clock: FakeClock) {}
  async open(): Promise<void> {}
  async prepare(batch: ReleaseBatch): Promise<void> {
    this.events.push({ kind: "prepare", due: batch.dueOffset, at: this.clock.now() });
  }
  async write(batch: ReleaseBatch): Promise<void> {
    this.events.push({ kind: "write", due: batch.dueOffset, at: this.clock.now() });
  }
  async close(): Promise<void> {}
  stats(): Record<string, number> {
    return { events: this.events.length };
  }
}

describe("replay summary and progress", () => {
  it("prepares every batch before its due moment and writes it at that moment", async () => {
    const clock = new FakeClock(0);
    const sink = new PreparingSink(clock);
    await replay({ data: "/fake", sinks: sink, speed: 1, clock, reader: fakeReader(DATA) });
    const writes = sink.events.filter((e) => e.kind === "write");
    assert.deepEqual(writes.map((e) => [e.due, e.at]), [[0, 0], [1, 1000], [3, 3000]]);
    for (const w of writes) {
      const p = sink.events.find((e) => e.kind === "prepare" && e.due === w.due);
      assert.ok(p && p.at <= w.at && sink.events.indexOf(p) < sink.events.indexOf(w), `batch due ${w.due} was not prepared ahead`);
    }
  });

  it("prints rows per table, the skipped files with their reason, and the lateness", async () => {
    const summary = await replay({ data: "/fake", sinks: new MemorySink(), speed: 1, clock: new FakeClock(0), reader: fakeReader(DATA), start: "2020-01-01T00:00:00Z" });
    const text = formatSummary(summary);
    assert.match(text, /completed/);
    assert.match(text, /locations\s+2 rows\s+2 files\s+2 partitions/);
    assert.match(text, /accelerations\s+2 rows\s+1 files\s+1 partitions/);
    assert.match(text, /skipped\s+1: 1 EMPTY_FILE/);
    assert.match(text, /\[EMPTY_FILE\] \/fake\/locations\/t=000\.0\/x\.parquet: is empty/);
    assert.match(text, /lateness\s+p50 0\.00 ms\s+p99 0\.00 ms\s+max 0\.00 ms\s+\(3 releases\)/);
    assert.match(text, /start 2020-01-01T00:00:00\.000Z/);
    assert.match(text, /sink memory\s+batches 3\s+rows 4/);
  });

  it("says why lateness is missing at speed max, and why a run stopped early", async () => {
    const summary = await replay({ data: "/fake", sinks: new MemorySink(), speed: "max", maxEvents: 1, clock: new FakeClock(0), reader: fakeReader(DATA) });
    const text = formatSummary(summary);
    assert.match(text, /stopped early \(maxEvents\)/);
    assert.match(text, /lateness\s+not measured \(speed "max" does not wait\)/);
  });

  it("formats a progress line with the partition, rows and lateness", () => {
    const p: ReplayProgress = { releases: 5, partitions: 4, rows: { locations: 1200, accelerations: 34567 }, table: "accelerations", partition: "t=052.5", offset: 52.5, loop: 1, elapsedMs: 2500, lateness: { lastMs: 0.5, p99Ms: 1.25 } };
    assert.equal(formatProgress(p), "replay  accelerations t=052.5  loop 2  partitions 4  rows 1,200 loc + 34,567 acc  lateness 0.50 ms (p99 1.25 ms)  2.5 s");
  });
});
