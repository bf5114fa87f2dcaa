/**
 * `resume`: the progress log (read, write, validation), which releases a resumed run skips, the
 * event times and schedule it keeps, the options it refuses, and the pure parts of the Kafka
 * sink's check for the release in flight at the crash. Fake clock and reader: no real waiting.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { OptionError, isStreamlabError } from "../../lib/errors";
import { FakeClock } from "../../lib/replay/clock";
import { readProgressLog, writeProgressLog, defaultProgressLog, type ReplayProgressLog, type ReleaseMark } from "../../lib/replay/progress-log";
import { compareMarks, isAcknowledged } from "../../lib/replay/resume";
import { Replay, replay } from "../../lib/replay/replay";
import type { ReplayOptions } from "../../lib/replay/options";
import type { ReleaseBatch, ReplaySink } from "../../lib/replay/types";
import { MemorySink } from "../../lib/sinks/memory";
import { FileSink } from "../../lib/sinks/files";
import { LandedMessages, landedRanges } from "../../lib/sinks/kafka-resume";
import { runCli } from "../helpers/cli";
import { fakeReader, fakeFrame, type FakeDataset } from "./replay-fakes";

const T0 = 1_000_000;
const START = "2020-01-01T00:00:00Z";

/** Both tables, shared and distinct partition times; row offsets spill past the next partition's time. */
const DATA: FakeDataset = {
  locations: [
    { time: 0, files: [{ name: "a.parquet", offsets: [0.2] }, { name: "b.parquet", offsets: [1.1] }] },
    { time: 3, files: [{ name: "a.parquet", offsets: [3.2, 4.6] }] },
    { time: 4.5, files: [{ name: "b.parquet", offsets: [4.6] }] },
    { time: 7.5, files: [{ name: "b.parquet", offsets: [7.6] }] },
  ],
  accelerations: [
    { time: 0, files: [{ name: "a.parquet", offsets: [0, 0.05, 0.1] }] },
    { time: 1.5, files: [{ name: "a.parquet", offsets: [1.5, 1.55] }, { name: "b.parquet", offsets: [1.52] }] },
    { time: 3, files: [{ name: "b.parquet", offsets: [3.0, 3.1] }] },
    { time: 6, files: [{ name: "a.parquet", offsets: [6.0] }] },
  ],
};

/** A release as a comparable value: where it goes, when it is due, and every row's event time. */
function shape(b: ReleaseBatch): string {
  const rows = b.files.map((f) => `${f.name}:${(f.frame.getColumn("timestamp").toArray() as unknown as Date[]).map((d) => d.toISOString()).join(",")}`);
  return `${b.table} ${b.partition} loop${b.loop} @${b.dueOffset} [${rows.join(" ")}]`;
}

/** A sink that records what it received, and fails ("the process died") on its n-th write. */
class CrashingSink implements ReplaySink {
  readonly name = "memory";
  readonly received: ReleaseBatch[] = [];
  writes = 0;
  constructor(private readonly crashOn = Infinity) {}
  async open(): Promise<void> {}
  async write(batch: ReleaseBatch): Promise<void> {
    if (++this.writes >= this.crashOn) throw new Error("crash");
    this.received.push(batch);
  }
  async close(): Promise<void> {}
  stats(): Record<string, number> {
    return { writes: this.writes };
  }
}

describe("replay resume", () => {
  let dir: string;
  let log: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "streamlab-resume-"));
    log = path.join(dir, "progress.json");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const base = (o: Partial<ReplayOptions> = {}): ReplayOptions => ({ data: "/fake", sinks: new MemorySink(), reader: fakeReader(DATA), clock: new FakeClock(T0), progressLog: log, ...o });

  async function full(o: Partial<ReplayOptions> = {}): Promise<string[]> {
    const sink = new MemorySink();
    await replay(base({ sinks: sink, progressLog: false, ...o }));
    return sink.batches.map(shape);
  }

  describe("the release order", () => {
    const m = (dueOffset: number, table: "locations" | "accelerations", loop = 0, time = dueOffset): ReleaseMark => ({ table, partition: "t", loop, dueOffset, time });
    it("orders by due moment, then table (locations first), then loop and source partition time", () => {
      assert.ok(compareMarks(m(1, "accelerations"), m(2, "locations")) < 0);
      assert.ok(compareMarks(m(2, "locations"), m(2, "accelerations")) < 0);
      assert.ok(compareMarks(m(4.6, "locations", 0, 3), m(4.6, "locations", 0, 4.5)) < 0, "same moment, cut from an earlier partition first");
      assert.equal(compareMarks(m(3, "locations"), m(3, "locations")), 0);
      assert.equal(isAcknowledged(m(3, "locations"), null), false);
      assert.equal(isAcknowledged(m(3, "locations"), m(3, "locations")), true);
      assert.equal(isAcknowledged(m(3, "accelerations"), m(3, "locations")), false);
    });
  });

  describe("the progress log file", () => {
    it("is written atomically and read back as written; a missing file reads as undefined", async () => {
      await replay(base({ speed: "max", start: START, maxEvents: 3 }));
      const written = (await readProgressLog(log))!;
      assert.equal(written.released, 3);
      assert.equal(written.start, "2020-01-01T00:00:00.000Z");
      assert.equal(written.stopReason, "maxEvents");
      assert.deepEqual(written.last, { table: "accelerations", partition: "t=001.5", loop: 0, dueOffset: 1.5, time: 1.5 });
      assert.deepEqual(readdirSync(dir), ["progress.json"], "no temp file left behind");
      await writeProgressLog(log, { ...written, released: 4 });
      assert.equal((await readProgressLog(log))!.released, 4);
      assert.equal(await readProgressLog(path.join(dir, "none.json")), undefined);
    });

    it("rejects a file that is not a progress log with an OptionError naming the file and what to do", async () => {
      for (const text of ["{ not json", "[]", JSON.stringify({ version: 99 }), JSON.stringify({ version: 1, data: "/x" })]) {
        writeFileSync(log, text);
        await assert.rejects(readProgressLog(log), (e: unknown) => e instanceof OptionError && e.option === "progressLog" && e.message.includes(log) && /without --resume/.test(e.message), text);
      }
    });

    it("defaults to results/replay/<sink names>-progress.json", () => {
      assert.equal(defaultProgressLog([{ name: "files" }]), path.resolve("results/replay/files-progress.json"));
      assert.equal(defaultProgressLog([{ name: "memory" }, { name: "a b" }]), path.resolve("results/replay/memory+a_b-progress.json"));
    });
  });

  for (const schedule of ["partition", "row"] as const) {
    it(`schedule ${schedule}: a run stopped after k releases, then resumed, releases exactly the uninterrupted run's batches, same event times`, async () => {
      const want = await full({ speed: "max", schedule });
      assert.ok(want.length >= 8);
      for (const k of [1, 3, want.length - 1]) {
        const first = new MemorySink();
        // No start given: the first run stamps from its clock's now; the resume must reuse that instant.
        await replay(base({ sinks: first, speed: "max", schedule, maxEvents: k }));
        const second = new MemorySink();
        const summary = await replay(base({ sinks: second, resume: true, clock: new FakeClock(T0 + 999_999) }));
        assert.deepEqual([...first.batches, ...second.batches].map(shape), want, `k=${k}`);
        assert.equal(summary.resumedAfter, k);
        assert.equal(summary.schedule, schedule, "taken from the log");
        assert.equal(summary.stopReason, "completed");
        assert.equal((await readProgressLog(log))!.released, want.length);
      }
    });
  }

  it("loop mode: resumes in a later pass with the loop's shifted event times", async () => {
    const want = await full({ speed: "max", loop: true, maxEvents: 20, start: START });
    const first = new MemorySink();
    await replay(base({ sinks: first, speed: "max", loop: true, maxEvents: 11, start: START }));
    const second = new MemorySink();
    await replay(base({ sinks: second, resume: true, maxEvents: 9 }));
    assert.deepEqual([...first.batches, ...second.batches].map(shape), want);
    assert.equal(second.batches[0].loop, 1);
  });

  it("the release in flight when a sink failed (the process died) is sent again, nothing before it", async () => {
    const want = await full({ speed: "max", start: START });
    const crashing = new CrashingSink(4);
    await assert.rejects(replay(base({ sinks: crashing, speed: "max", start: START })), /crash/);
    const acked = (await readProgressLog(log))!;
    assert.equal(acked.stopReason, "running", "a run that died leaves the log as of its last acknowledged release");
    const resumed = new CrashingSink();
    await replay(base({ sinks: resumed, resume: true }));
    assert.deepEqual(resumed.received.map(shape), want.slice(acked.released));
    assert.deepEqual([...crashing.received.slice(0, acked.released), ...resumed.received].map(shape), want);
  });

  it("does not read partitions the interrupted run had sent (schedule partition), and a finished run resumes to nothing", async () => {
    await replay(base({ speed: "max", start: START, maxEvents: 5 }));
    const reader = fakeReader(DATA);
    await replay(base({ reader, resume: true }));
    assert.equal(reader.reads.length, 8 - 5);
    const again = new MemorySink();
    const summary = await replay(base({ sinks: again, reader: fakeReader(DATA), resume: true }));
    assert.equal(again.batches.length, 0);
    assert.equal(summary.stopReason, "completed");
    assert.equal(summary.resumedAfter, 8);
  });

  it("re-anchors the schedule: the next release is due at once, the following ones at their original distance", async () => {
    await replay(base({ speed: 2, start: START, maxEvents: 3 })); // releases at 0, 0, 1.5
    const clock = new FakeClock(5_000_000);
    const summary = await replay(base({ resume: true, clock }));
    // remaining due moments 3, 4.5, 6, 7.5 (s of data) at speed 2 (taken from the log): 0, 750, 1500, 2250 ms apart
    assert.deepEqual(clock.sleeps, [0, 750, 1500, 2250].map((ms) => 5_000_000 + ms));
    assert.equal(summary.speed, 2);
    assert.equal(summary.lateness?.maxMs, 0);
  });

  describe("refuses what would not continue the same run", () => {
    beforeEach(async () => {
      await replay(base({ speed: 10, start: START, maxEvents: 2 }));
    });
    const refuses = async (o: Partial<ReplayOptions>, option: string): Promise<void> => {
      await assert.rejects(replay(base({ resume: true, ...o })), (e: unknown) => {
        assert.ok(e instanceof OptionError, String(e));
        assert.equal(e.option, option);
        assert.match(e.message, /without --resume/);
        return true;
      });
    };

    it("another speed, start, schedule, loop or data folder names the option and the recorded value", async () => {
      await refuses({ speed: 20 }, "speed");
      await refuses({ start: "2021-01-01T00:00:00Z" }, "start");
      await refuses({ schedule: "row" }, "schedule");
      await refuses({ loop: true }, "loop");
      await refuses({ data: "/elsewhere" }, "data");
      await assert.rejects(replay(base({ resume: true, speed: 20 })), (e: unknown) => e instanceof Error && e.message.includes("10") && e.message.includes(log));
      // the same values, given again, are fine
      const summary = await replay(base({ resume: true, speed: 10, start: START, schedule: "partition", loop: false, data: "/fake" }));
      assert.equal(summary.stopReason, "completed");
    });

    it("other sinks, or the same sink writing elsewhere", async () => {
      await refuses({ sinks: new MemorySink("other") }, "sinks");
      await refuses({ sinks: new FileSink({ out: path.join(dir, "out") }) }, "sinks");
      await refuses({ sinks: Object.assign(new MemorySink(), { destination: "/somewhere/else" }) }, "sinks");
    });

    it("a dataset whose partitions or files changed", async () => {
      const changed: FakeDataset = { ...DATA, locations: [...DATA.locations!, { time: 9, files: [{ name: "c.parquet", offsets: [9] }] }] };
      await refuses({ reader: fakeReader(changed) }, "data");
    });

    it("no log to resume from, or none kept", async () => {
      await assert.rejects(replay(base({ resume: true, progressLog: path.join(dir, "missing.json") })), (e: unknown) => e instanceof OptionError && e.option === "resume" && e.message.includes("missing.json"));
      assert.throws(() => new Replay(base({ resume: true, progressLog: false })), (e: unknown) => e instanceof OptionError && e.option === "resume");
      assert.throws(() => new Replay(base({ resume: "yes" as unknown as boolean })), (e: unknown) => e instanceof OptionError && e.option === "resume");
      assert.throws(() => new Replay(base({ progressLog: "" })), (e: unknown) => e instanceof OptionError && e.option === "progressLog");
    });

    it("leaves the destination untouched when it refuses", async () => {
      const sink = new MemorySink();
      await assert.rejects(replay(base({ sinks: sink, resume: true, speed: 1 })));
      assert.equal(sink.opened, 0);
    });
  });

  it("a fresh run (without resume) starts over and replaces the log", async () => {
    await replay(base({ speed: "max", start: START, maxEvents: 5 }));
    await replay(base({ speed: "max", start: "2021-06-01T00:00:00Z", maxEvents: 2 }));
    const written = (await readProgressLog(log))!;
    assert.equal(written.released, 2);
    assert.equal(written.start, "2021-06-01T00:00:00.000Z");
  });

  it("a fresh run replaces the older log before its sinks open, so a crash then cannot resume the older run", async () => {
    await replay(base({ speed: "max", start: START, maxEvents: 5 }));
    const broken: ReplaySink = { name: "memory", open: async () => { throw new Error("died while opening"); }, write: async () => undefined, close: async () => undefined, stats: () => ({}) };
    await assert.rejects(replay(base({ sinks: broken, speed: "max", start: START })), /died while opening/);
    const written = (await readProgressLog(log))!;
    assert.equal(written.released, 0);
    assert.equal(written.last, null);
  });

  describe("the file sink, resumed", () => {
    it("keeps input/ and replaces a file released again instead of adding a second copy", async () => {
      const out = path.join(dir, "out");
      const b: ReleaseBatch = { table: "locations", partition: "t=000.0", dueOffset: 0, loop: 0, files: [{ path: "/src/a.parquet", name: "a.parquet", frame: fakeFrame("a", [0, 0.5]) }], rows: 2 };
      const first = new FileSink({ out });
      await first.open();
      await first.write(b);
      await first.close();
      const resumed = new FileSink({ out });
      await resumed.open({ resume: { state: null } });
      await resumed.write(b);
      await resumed.close();
      assert.deepEqual(readdirSync(path.join(out, "input/locations/t=000.0")), ["a.parquet"]);
      assert.equal(resumed.destination, path.resolve(out));
      const fresh = new FileSink({ out });
      await fresh.open();
      assert.equal(existsSync(path.join(out, "input/locations/t=000.0")), false, "a fresh run still clears input/");
    });
  });

  describe("the Kafka sink's check for the release in flight at the crash (pure parts)", () => {
    const msg = (key: string, value: string) => ({ key, value });

    it("leaves out, once each, the messages already in the topic, for the first due moment only", () => {
      const landed = new LandedMessages();
      landed.add("T-locations", [msg("a", "1"), msg("a", "1"), msg("b", "2")]);
      assert.equal(landed.size, 3);
      const sent = landed.take("T-locations", 4.5, [msg("a", "1"), msg("a", "1"), msg("a", "1"), msg("b", "2"), msg("c", "3")]);
      assert.deepEqual(sent, [msg("a", "1"), msg("c", "3")]);
      assert.equal(landed.skipped, 3);
      assert.deepEqual(landed.take("T-accelerations", 4.5, [msg("a", "1")]), [msg("a", "1")], "another topic's bag");
    });

    it("forgets what is left over once a later due moment is written (messages someone else wrote)", () => {
      const landed = new LandedMessages();
      landed.add("T", [msg("x", "9")]);
      assert.deepEqual(landed.take("T", 1, [msg("a", "1")]), [msg("a", "1")]);
      assert.deepEqual(landed.take("T", 2, [msg("x", "9")]), [msg("x", "9")]);
      assert.equal(landed.skipped, 0);
    });

    it("reads back only offsets beyond the recorded ones, and refuses a topic emptied or repartitioned since", () => {
      const ends = new Map([[0, 10], [1, 4], [2, 7]]);
      assert.deepEqual(landedRanges("T", { "0": 10, "1": 2, "2": 7 }, ends), [{ partition: 1, from: 2, to: 4 }]);
      assert.deepEqual(landedRanges("T", undefined, ends), []);
      assert.throws(() => landedRanges("T", { "0": 11, "1": 4, "2": 7 }, ends), (e: unknown) => isStreamlabError(e, "KAFKA") && /partition 0 ends at offset 10/.test(e.message) && /without --resume/.test(e.message));
      assert.throws(() => landedRanges("T", { "0": 1, "1": 1 }, ends), (e: unknown) => isStreamlabError(e, "KAFKA") && /3 partitions/.test(e.message));
    });
  });

  describe("the CLI", () => {
    const BDD = path.resolve(__dirname, "../../data/bdd");
    it("--resume without a log: exit 2 naming --resume and the file", async () => {
      const r = await runCli("replay", "--data", BDD, "--out", path.join(dir, "out"), "--resume", "--progress-log", path.join(dir, "none.json"));
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /BAD_OPTION.*--resume.*none\.json/s);
    });

    it("--resume takes the flags left out from the log and refuses one given with another value", async () => {
      const out = path.join(dir, "out");
      const first = await runCli("replay", "--data", BDD, "--out", out, "--speed", "max", "--start", START, "--max-events", "3", "--progress-log", log);
      assert.equal(first.code, 0, first.err);
      const bad = await runCli("replay", "--out", out, "--resume", "--speed", "5", "--progress-log", log);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /Invalid option --speed 5: .*"max"/);
      const resumed = await runCli("replay", "--out", out, "--resume", "--max-events", "2", "--progress-log", log);
      assert.equal(resumed.code, 0, resumed.err);
      assert.match(resumed.out, /resumed\s+after 3 releases/);
      assert.match(resumed.out, /speed max/);
      assert.match(resumed.out, /start 2020-01-01T00:00:00.000Z/);
      assert.equal(JSON.parse(readFileSync(log, "utf8")).released, 5);
    });
  });
});
