import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { FakeClock, type Clock } from "../../lib/replay/clock";
import { Replay, replay } from "../../lib/replay/replay";
import { MemorySink } from "../../lib/sinks/memory";
import { isStreamlabError } from "../../lib/errors";
import { FailingSink, fakeReader, type FakeDataset } from "./replay-fakes";

const T0 = 1_000_000; // the fake clock's start, epoch ms
const START = "2020-01-01T00:00:00Z";
const START_MS = Date.parse(START);

/** Two tables, partitions at different and shared times; locations has fewer partitions. */
const DATA: FakeDataset = {
  locations: [
    { time: 0, files: [{ name: "a.parquet", offsets: [0.2] }, { name: "b.parquet", offsets: [1.1] }] },
    { time: 3, files: [{ name: "a.parquet", offsets: [3.2] }] },
    { time: 7.5, files: [{ name: "b.parquet", offsets: [7.6] }] },
  ],
  accelerations: [
    { time: 0, files: [{ name: "a.parquet", offsets: [0, 0.05, 0.1] }] },
    { time: 1.5, files: [{ name: "a.parquet", offsets: [1.5, 1.55] }, { name: "b.parquet", offsets: [1.52] }] },
    { time: 3, files: [{ name: "b.parquet", offsets: [3.0, 3.1] }] },
    { time: 6, files: [{ name: "a.parquet", offsets: [6.0] }] },
  ],
};

/** The expected release order: by time, locations first on a tie. */
function expectedOrder(data: FakeDataset): { table: string; time: number }[] {
  const all = (["locations", "accelerations"] as const).flatMap((table, rank) => (data[table] ?? []).map((p) => ({ table, time: p.time, rank })));
  return all.sort((a, b) => a.time - b.time || a.rank - b.rank).map(({ table, time }) => ({ table, time }));
}

/** Distinct due moments in order. */
function dueTimes(data: FakeDataset): number[] {
  return [...new Set(expectedOrder(data).map((e) => e.time))];
}

function run(options: { speed?: number | "max"; clock?: Clock; maxEvents?: number; timeLimit?: number; signal?: AbortSignal; loop?: boolean; schedule?: "partition" | "row" }, data = DATA) {
  const sink = new MemorySink();
  const clock = options.clock ?? new FakeClock(T0);
  const promise = replay({ data: "/fake", sinks: sink, start: START, reader: fakeReader(data), ...options, clock });
  return { sink, clock, promise };
}

describe("replay scheduler (fake clock)", () => {
  it("releases partitions of both tables in time order, locations first on ties", async () => {
    const { sink, promise } = run({ speed: "max" });
    const summary = await promise;
    assert.deepEqual(sink.batches.map((b) => ({ table: b.table, time: b.dueOffset })), expectedOrder(DATA));
    assert.equal(summary.stopReason, "completed");
    assert.equal(summary.stoppedEarly, false);
    assert.equal(summary.releases, 7);
    assert.equal(summary.tables.locations.rows, 4);
    assert.equal(summary.tables.accelerations.rows, 9);
    assert.equal(summary.tables.accelerations.files, 5);
    assert.equal(summary.partitions, 7);
    assert.equal(summary.lateness, null, "nothing is due at speed max");
    assert.deepEqual(summary.sinks.memory, { batches: 7, rows: 13 });
  });

  for (const speed of [1, 10]) {
    it(`sleeps until t0 + offset / speed against the start instant at speed ${speed}`, async () => {
      const clock = new FakeClock(T0);
      const { promise } = run({ speed, clock });
      const summary = await promise;
      // one wake-up per distinct due moment: batches due together go out together
      assert.deepEqual(clock.sleeps, dueTimes(DATA).map((t) => T0 + (t * 1000) / speed));
      assert.equal(summary.wallMs, (7.5 * 1000) / speed);
      assert.equal(summary.lateness?.count, 7);
      assert.equal(summary.lateness?.maxMs, 0);
    });
  }

  it("does not sleep at all at speed max", async () => {
    const clock = new FakeClock(T0);
    await run({ speed: "max", clock }).promise;
    assert.deepEqual(clock.sleeps, []);
  });

  it("keeps due times absolute when every wake-up is late (no drift) and measures the lateness", async () => {
    const sleeps: number[] = [];
    let time = T0;
    const lateClock: Clock = {
      now: () => time,
      sleepUntil: async (t) => {
        sleeps.push(t);
        time = Math.max(time, t + 3); // wakes up 3 ms late every time
      },
    };
    const summary = await run({ speed: 1, clock: lateClock }).promise;
    assert.deepEqual(sleeps, dueTimes(DATA).map((t) => T0 + t * 1000));
    // p50/p99 come from an HDR histogram with 3 significant digits: within 0.1 %
    assert.ok(Math.abs(summary.lateness!.p50Ms - 3) <= 0.003, `p50 ${summary.lateness!.p50Ms}`);
    assert.ok(Math.abs(summary.lateness!.p99Ms - 3) <= 0.003, `p99 ${summary.lateness!.p99Ms}`);
    assert.equal(summary.lateness?.maxMs, 3);
  });

  it("stamps timestamp = start + offset on every released row", async () => {
    const { sink, promise } = run({ speed: "max" });
    await promise;
    for (const batch of sink.batches) {
      for (const file of batch.files) {
        const offsets = file.frame.getColumn("offset").toArray() as number[];
        const stamps = (file.frame.getColumn("timestamp").toArray() as unknown as Date[]).map((d) => d.getTime());
        assert.deepEqual(stamps, offsets.map((o) => START_MS + Math.round(o * 1000)));
        assert.equal(String(file.frame.getColumn("timestamp").dtype), String(pl.Datetime("ms")));
      }
    }
  });

  it("stops after maxEvents releases", async () => {
    const { sink, promise } = run({ speed: 1, maxEvents: 3 });
    const summary = await promise;
    assert.equal(sink.batches.length, 3);
    assert.equal(summary.releases, 3);
    assert.equal(summary.stopReason, "maxEvents");
    assert.equal(summary.stoppedEarly, true);
  });

  it("stops at the time limit without releasing what is due after it", async () => {
    const clock = new FakeClock(T0);
    const { sink, promise } = run({ speed: 1, timeLimit: 2, clock });
    const summary = await promise;
    assert.deepEqual(sink.batches.map((b) => b.dueOffset), [0, 0, 1.5]);
    assert.equal(summary.stopReason, "timeLimit");
    assert.equal(clock.sleeps.at(-1), T0 + 2000, "sleeps until the deadline, not past it");
  });

  it("stops cleanly when the signal aborts during a wait, and closes the sinks", async () => {
    const controller = new AbortController();
    const clock = new FakeClock(T0);
    clock.onSleep = (t) => {
      if (t >= T0 + 3000) controller.abort();
    };
    const { sink, promise } = run({ speed: 1, clock, signal: controller.signal });
    const summary = await promise;
    assert.deepEqual(sink.batches.map((b) => b.dueOffset), [0, 0, 1.5]);
    assert.equal(summary.stopReason, "aborted");
    assert.equal(sink.opened, 1);
    assert.equal(sink.closed, 1);
  });

  it("stop() on a Replay ends the run with stopReason aborted", async () => {
    const sink = new MemorySink();
    const clock = new FakeClock(T0);
    const run: Replay = new Replay({ data: "/fake", sinks: sink, clock, speed: 1, reader: fakeReader(DATA), onProgress: (p) => p.releases === 2 && run.stop() });
    const summary = await run.run();
    assert.equal(sink.batches.length, 2);
    assert.equal(summary.stopReason, "aborted");
    assert.equal(run.progress?.releases, 2);
  });

  it("reports progress after every release", async () => {
    const seen: number[] = [];
    const sink = new MemorySink();
    await replay({ data: "/fake", sinks: sink, speed: 1, clock: new FakeClock(T0), reader: fakeReader(DATA), onProgress: (p) => seen.push(p.rows.accelerations) });
    assert.deepEqual(seen, [0, 3, 6, 6, 8, 9, 9]);
  });

  it("reads each partition once, ahead of its release", async () => {
    const reader = fakeReader(DATA);
    const sink = new MemorySink();
    await replay({ data: "/fake", sinks: sink, speed: 1, clock: new FakeClock(T0), reader });
    assert.equal(reader.reads.length, 7);
    assert.equal(new Set(reader.reads).size, 7);
  });

  it("reads ahead a bounded number of partitions, not the whole dataset (regression: reads once cascaded)", async () => {
    const many = (t: number) => Array.from({ length: 40 }, (_, i) => ({ time: i, files: [{ name: `${t}.parquet`, offsets: [i + 0.1] }] }));
    const reader = fakeReader({ locations: many(1), accelerations: many(2) });
    const readsAtWrite: number[] = [];
    const sink = new MemorySink();
    const write = sink.write.bind(sink);
    sink.write = async (b) => {
      readsAtWrite.push(reader.reads.length);
      return write(b);
    };
    await replay({ data: "/fake", sinks: sink, speed: "max", clock: new FakeClock(T0), reader });
    assert.equal(reader.reads.length, 80);
    // lead = 3 partition intervals (3 s) at speed max: at most ~4 partitions per table ahead
    readsAtWrite.forEach((reads, i) => assert.ok(reads <= i + 1 + 10, `release ${i}: ${reads} partitions already read`));
  });

  it("schedules by each row's offset with --schedule row", async () => {
    const clock = new FakeClock(T0);
    const data: FakeDataset = {
      locations: [{ time: 0, files: [{ name: "r.parquet", offsets: [0.1, 3.5] }] }],
      accelerations: [{ time: 3, files: [{ name: "s.parquet", offsets: [2.96, 3.0, 3.0] }] }],
    };
    const { sink, promise } = run({ speed: 1, clock, schedule: "row" }, data);
    const summary = await promise;
    assert.deepEqual(sink.batches.map((b) => [b.table, b.dueOffset, b.rows]), [["locations", 0.1, 1], ["accelerations", 2.96, 1], ["accelerations", 3, 2], ["locations", 3.5, 1]]);
    assert.deepEqual(clock.sleeps, [100, 2960, 3000, 3500].map((ms) => T0 + ms));
    assert.deepEqual(sink.batches.map((b) => b.files.map((f) => f.name)), [["r-100.parquet"], ["s-2960.parquet"], ["s-3000.parquet"], ["r-3500.parquet"]]);
    assert.equal(summary.tables.locations.partitions, 1, "a partition counts once however many row releases it yields");
    assert.equal(summary.tables.locations.files, 1);
    assert.equal(summary.tables.locations.releases, 2);
  });

  it("lists skipped files from the scan and the reads once each", async () => {
    const skip = { path: "/fake/locations/t=000.0/bad.parquet", code: "BAD_PARQUET" as const, reason: "truncated" };
    const data: FakeDataset = { locations: [{ time: 0, files: [{ name: "a.parquet", offsets: [0] }], skipped: [skip] }] };
    const sink = new MemorySink();
    const stray = { path: "/fake/_SUCCESS", code: "STRAY_FILE" as const, reason: "not parquet" };
    const summary = await replay({ data: "/fake", sinks: sink, speed: "max", loop: true, maxEvents: 5, clock: new FakeClock(T0), reader: fakeReader(data, [stray]) });
    assert.deepEqual(summary.skipped, [stray, skip]);
  });

  it("fails with the sink's error, after closing every sink", async () => {
    const failing = new FailingSink(2);
    const memory = new MemorySink();
    await assert.rejects(
      replay({ data: "/fake", sinks: [memory, failing], speed: "max", clock: new FakeClock(T0), reader: fakeReader(DATA) }),
      (e: unknown) => isStreamlabError(e, "SINK_IO"),
    );
    assert.equal(failing.closed, 1);
    assert.equal(memory.closed, 1);
  });

  it("rejects a dataset without partitions with NO_DATA", async () => {
    await assert.rejects(
      replay({ data: "/fake", sinks: new MemorySink(), clock: new FakeClock(T0), reader: fakeReader({}) }),
      (e: unknown) => isStreamlabError(e, "NO_DATA"),
    );
  });

  it("stops a loop over data whose files were all skipped with NO_DATA instead of spinning", async () => {
    const data: FakeDataset = { locations: [{ time: 0, files: [] }, { time: 2, files: [] }] };
    await assert.rejects(
      replay({ data: "/fake", sinks: new MemorySink(), loop: true, speed: "max", clock: new FakeClock(T0), reader: fakeReader(data) }),
      (e: unknown) => isStreamlabError(e, "NO_DATA"),
    );
  });
});
