import assert from "node:assert/strict";
import { FakeClock } from "../../lib/replay/clock";
import { replay } from "../../lib/replay/replay";
import { loopPeriod, typicalInterval } from "../../lib/replay/scheduler";
import { formatPartitionName } from "../../lib/dataset/partition-name";
import { MemorySink } from "../../lib/sinks/memory";
import { fakeReader, type FakeDataset } from "./replay-fakes";

const START_MS = Date.parse("2020-01-01T00:00:00Z");

const DATA: FakeDataset = {
  locations: [
    { time: 0, files: [{ name: "a.parquet", offsets: [0.5] }] },
    { time: 4.5, files: [{ name: "a.parquet", offsets: [4.5] }] },
    { time: 9, files: [{ name: "a.parquet", offsets: [9.2] }] },
  ],
  accelerations: [
    { time: 0, files: [{ name: "a.parquet", offsets: [0, 0.06] }] },
    { time: 3, files: [{ name: "a.parquet", offsets: [3.01] }] },
    { time: 9, files: [{ name: "a.parquet", offsets: [9.0, 9.9] }] },
  ],
};

async function loopRun(passes: number, schedule: "partition" | "row" = "partition") {
  const sink = new MemorySink();
  const reader = fakeReader(DATA);
  const scan = await reader.discover("/fake");
  const perPass = schedule === "partition" ? 6 : 8;
  const summary = await replay({ data: "/fake", sinks: sink, speed: "max", loop: true, maxEvents: passes * perPass, schedule, start: new Date(START_MS), clock: new FakeClock(0), reader });
  return { sink, summary, period: loopPeriod(scan.partitions) };
}

describe("replay loop mode", () => {
  it("derives the loop period from the last partition time plus the typical interval", async () => {
    const scan = await fakeReader(DATA).discover("/fake");
    // distinct times 0, 3, 4.5, 9: gaps 3, 1.5, 4.5 → median 3
    assert.equal(typicalInterval(scan.partitions), 3);
    assert.equal(loopPeriod(scan.partitions), 12);
  });

  it("keeps event time increasing: loop k releases every partition shifted by k x period", async () => {
    const { sink, summary, period } = await loopRun(3);
    const offsets = sink.batches.map((b) => b.dueOffset);
    for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i] >= offsets[i - 1], `release ${i} goes back in time: ${offsets[i - 1]} → ${offsets[i]}`);
    const firstPass = sink.batches.filter((b) => b.loop === 0).map((b) => [b.table, b.dueOffset]);
    for (const k of [1, 2]) {
      const pass = sink.batches.filter((b) => b.loop === k).map((b) => [b.table, b.dueOffset]);
      assert.deepEqual(pass, firstPass.map(([t, o]) => [t, (o as number) + k * period]));
    }
    assert.equal(summary.loops, 3);
    assert.equal(summary.stopReason, "maxEvents");
    assert.equal(summary.tables.locations.partitions, 9, "partitions count once per pass");
  });

  it("shifts partition folder names, offsets and timestamps by the loop", async () => {
    const { sink, period } = await loopRun(2);
    for (const batch of sink.batches) {
      const source = (DATA[batch.table] ?? []).find((p) => Math.abs(p.time + batch.loop * period - batch.dueOffset) < 1e-9)!;
      assert.ok(source, `no source partition for ${batch.table} ${batch.dueOffset}`);
      assert.equal(batch.partition, formatPartitionName(source.time + batch.loop * period));
      const offsets = batch.files[0].frame.getColumn("offset").toArray() as number[];
      const expected = source.files[0].offsets.map((o) => o + batch.loop * period);
      offsets.forEach((o, i) => assert.ok(Math.abs(o - expected[i]) < 1e-9, `offset ${o} != ${expected[i]}`));
      const stamps = (batch.files[0].frame.getColumn("timestamp").toArray() as unknown as Date[]).map((d) => d.getTime());
      assert.deepEqual(stamps, expected.map((o) => START_MS + Math.round(o * 1000)));
    }
    assert.deepEqual(sink.batches.filter((b) => b.loop === 1).map((b) => b.partition).slice(0, 2), ["t=012.0", "t=012.0"]);
  });

  it("keeps row offsets increasing across loops with --schedule row", async () => {
    const { sink, period } = await loopRun(2, "row");
    const offsets = sink.batches.map((b) => b.dueOffset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
    assert.equal(offsets.length, 16);
    assert.ok(Math.abs(offsets[8] - (0 + period)) < 1e-9);
  });
});
