/**
 * The replay's read-ahead on its own: partitions read in due order into the scheduler, the sinks'
 * costly step done while reading, reads held back while a release is about to fall due, a failed
 * read surfacing at the next settle, and resumed runs not reading what was already acknowledged.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../../lib/replay/clock";
import { PAUSE_GUARD_MS, ReadAhead } from "../../lib/replay/read-ahead";
import { ReplayScheduler, type LoadEntry, type ReleaseEntry } from "../../lib/replay/scheduler";
import type { ReleaseBatch, ReplaySink } from "../../lib/replay/types";
import { fakeReader, type FakeDataset } from "./replay-fakes";

const dataset: FakeDataset = {
  locations: [{ time: 0, files: [{ name: "a.parquet", offsets: [0, 0.5] }] }, { time: 3, files: [{ name: "a.parquet", offsets: [3] }] }],
  accelerations: [{ time: 0, files: [{ name: "a.parquet", offsets: [0.1] }] }],
};

/** A sink that records the batches it prepared, and can make each prepare wait on `pause` first. */
class PreparingSink implements ReplaySink {
  readonly name = "preparing";
  readonly prepared: string[] = [];
  async open(): Promise<void> {}
  async prepare(batch: ReleaseBatch, pause?: () => Promise<void>): Promise<void> {
    await pause?.();
    this.prepared.push(`${batch.table}/${batch.partition}`);
  }
  async write(): Promise<void> {}
  async close(): Promise<void> {}
  stats(): Record<string, number> {
    return { prepared: this.prepared.length };
  }
}

async function setup(options: { failOn?: string; acked?: ConstructorParameters<typeof ReadAhead>[0]["acked"] } = {}) {
  const reader = fakeReader(dataset);
  if (options.failOn !== undefined) {
    const read = reader.read.bind(reader);
    reader.read = async (p) => (p.dir.includes(options.failOn!) ? Promise.reject(new Error(`cannot read ${p.dir}`)) : read(p));
  }
  const scan = await reader.discover("/fake");
  const scheduler = new ReplayScheduler(scan.partitions, { loop: false, speed: "max" });
  const clock = new FakeClock(1_000);
  const sink = new PreparingSink();
  const skipped: string[] = [];
  const reads = new ReadAhead({ reader, schedule: "partition", startMs: 0, acked: options.acked ?? null, sinks: [sink], clock, scheduler, root: "/fake", onSkipped: (l) => skipped.push(...l.map((s) => s.path)) });
  return { reader, scheduler, clock, sink, reads };
}

/** Starts every load the scheduler holds, then drains; returns the releases queued, in order. */
async function readAll(scheduler: ReplayScheduler, reads: ReadAhead): Promise<ReleaseEntry[]> {
  const releases: ReleaseEntry[] = [];
  for (let e = scheduler.next(); e; e = scheduler.next()) {
    if (e.kind === "load") await reads.start(e as LoadEntry);
    else releases.push(e as ReleaseEntry);
    if (scheduler.peek() === undefined) await reads.drain();
  }
  return releases;
}

describe("replay read-ahead", () => {
  it("reads each partition once, in due order, prepares its batch in every sink and queues it for release", async () => {
    const { reader, scheduler, sink, reads } = await setup();
    const releases = await readAll(scheduler, reads);
    assert.deepEqual(reader.reads, ["/fake/locations/t=000.0", "/fake/accelerations/t=000.0", "/fake/locations/t=003.0"]);
    assert.deepEqual(sink.prepared, ["locations/t=000.0", "accelerations/t=000.0", "locations/t=003.0"]);
    assert.deepEqual(releases.map((r) => [r.batch.table, r.at]), [["locations", 0], ["accelerations", 0], ["locations", 3]]);
    for (const r of releases) assert.deepEqual(reads.marks.get(r.batch)?.partition, r.batch.partition, "each batch read has its release mark");
    assert.equal(reads.pending, 0);
    assert.equal(reads.earliest, Infinity);
  });

  it("asks a background reader for each partition as its load starts, while the reads before it are still held back", async () => {
    const { reader, scheduler, clock, reads } = await setup();
    const prefetched: string[] = [];
    reader.prefetch = (p) => void prefetched.push(p.dir);
    reads.holdBack(clock.now()); // the first read waits at its first pause
    for (let e = scheduler.peek(); e?.kind === "load"; e = scheduler.peek()) await reads.start(scheduler.next() as LoadEntry);
    assert.deepEqual(prefetched, ["/fake/locations/t=000.0", "/fake/accelerations/t=000.0", "/fake/locations/t=003.0"], "all asked for at once");
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(reader.reads.length <= 1, `reads wait their turn (${reader.reads.length} started)`);
    reads.letGo();
    await reads.drain();
    assert.deepEqual(reader.reads, prefetched, "then read in that order");
  });

  it("holds a read back while a release falls due within the guard, and lets it go after", async () => {
    const { scheduler, clock, sink, reads } = await setup();
    reads.holdBack(clock.now() + PAUSE_GUARD_MS - 1); // due within the guard: reads wait at their next pause
    await reads.start(scheduler.next() as LoadEntry);
    assert.equal(reads.pending, 1);
    assert.equal(reads.earliest, 0, "the read stands for batches due at t=0");
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(sink.prepared, [], "held back while the release is about to go out");
    reads.letGo();
    await reads.drain();
    assert.deepEqual(sink.prepared, ["locations/t=000.0"]);
  });

  it("does not hold back for a release due later than the guard", async () => {
    const { scheduler, clock, sink, reads } = await setup();
    reads.holdBack(clock.now() + PAUSE_GUARD_MS + 1_000);
    await reads.start(scheduler.next() as LoadEntry);
    await reads.drain();
    assert.deepEqual(sink.prepared, ["locations/t=000.0"]);
    reads.letGo();
  });

  it("keeps a failed read's error for the next settle or drain, and finish() never throws", async () => {
    const { scheduler, reads } = await setup({ failOn: "accelerations" });
    for (let e = scheduler.next(); e; e = scheduler.next()) if (e.kind === "load") await reads.start(e as LoadEntry);
    await reads.finish();
    assert.throws(() => reads.settle(), /cannot read \/fake\/accelerations/);
    await assert.rejects(reads.drain(), /cannot read/);
  });

  it("on resume with the partition schedule, does not even read a partition the interrupted run acknowledged", async () => {
    const acked = { table: "accelerations" as const, partition: "t=000.0", loop: 0, dueOffset: 0, time: 0 };
    const { reader, scheduler, reads } = await setup({ acked });
    const releases = await readAll(scheduler, reads);
    assert.deepEqual(reader.reads, ["/fake/locations/t=003.0"], "locations and accelerations at t=0 are at or before the acknowledged release");
    assert.deepEqual(releases.map((r) => `${r.batch.table}/${r.batch.partition}`), ["locations/t=003.0"]);
  });
});
