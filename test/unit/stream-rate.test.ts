/**
 * The rate source. Expected answers from Spark's RateSourceSuite (sql/core, streaming): "basic",
 * "uniform distribution of event timestamps", "valueAtSecond" and "rampUpTime", with Spark's manual
 * clock played by a FakeClock starting at 0 (so timestamps are epoch + offset, as in the suite).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { FakeClock, type Clock } from "../../lib/replay/clock";
import { MemoryStreamSink, rateSource, rateValueAtSecond, readStream, window } from "../../lib/stream";

const pairs = (f: pl.DataFrame) => {
  const ts = f.getColumn("timestamp").toArray() as unknown as Date[];
  const vs = f.getColumn("value").toArray().map(Number);
  return ts.map((t, i) => [t.getTime(), vs[i]]);
};
const range = (from: number, to: number, f: (v: number) => number) => Array.from({ length: to - from }, (_, i) => [f(from + i), from + i]);

async function pollAfter(src: ReturnType<typeof rateSource>, clock: FakeClock, seconds: number): Promise<pl.DataFrame> {
  clock.advance(seconds * 1000);
  const chunks = await src.poll();
  assert.equal(chunks.length, 1);
  return chunks[0].frame;
}

describe("rateSource", () => {
  it("basic: 10 rows per second, timestamps 100 ms apart (RateSourceSuite \"basic\")", async () => {
    const clock = new FakeClock(0);
    const src = rateSource({ rowsPerSecond: 10, clock });
    assert.deepEqual(await src.poll(), []); // time starts at the first poll: nothing yet
    const first = await pollAfter(src, clock, 1);
    assert.deepEqual(first.columns, ["timestamp", "value"]);
    assert.deepEqual(pairs(first), range(0, 10, (v) => v * 100));
    assert.deepEqual(pairs(await pollAfter(src, clock, 1)), range(10, 20, (v) => v * 100));
  });

  it("spreads a second's rows uniformly (RateSourceSuite \"uniform distribution of event timestamps\")", async () => {
    const clock = new FakeClock(0);
    const src = rateSource({ rowsPerSecond: 1500, clock });
    await src.poll();
    assert.deepEqual(pairs(await pollAfter(src, clock, 1)), range(0, 1500, (v) => Math.round(v * (1000 / 1500))));
  });

  it("valueAtSecond (RateSourceSuite \"valueAtSecond\")", () => {
    assert.deepEqual([0, 1].map((s) => rateValueAtSecond(s, 5, 0)), [0, 5]);
    assert.deepEqual([0, 1, 2, 3].map((s) => rateValueAtSecond(s, 5, 2)), [0, 1, 3, 8]);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((s) => rateValueAtSecond(s, 10, 4)), [0, 2, 6, 12, 20, 30]);
  });

  it("rampUpTime: speed 2, 4, 6, 8, then 10 rows per second (RateSourceSuite \"rampUpTime\")", async () => {
    const clock = new FakeClock(0);
    const src = rateSource({ rowsPerSecond: 10, rampUpTime: "4s", clock });
    await src.poll();
    assert.deepEqual(pairs(await pollAfter(src, clock, 1)), range(0, 2, (v) => v * 500));
    assert.deepEqual(pairs(await pollAfter(src, clock, 1)), range(2, 6, (v) => 1000 + (v - 2) * 250));
    assert.deepEqual(pairs(await pollAfter(src, clock, 1)), [[2000, 6], [2167, 7], [2333, 8], [2500, 9], [2667, 10], [2833, 11]]);
    assert.deepEqual(pairs(await pollAfter(src, clock, 1)), range(12, 20, (v) => 3000 + (v - 12) * 125));
    assert.deepEqual(pairs(await pollAfter(src, clock, 1)), range(20, 30, (v) => 4000 + (v - 20) * 100));
    assert.deepEqual(pairs(await pollAfter(src, clock, 1)), range(30, 40, (v) => 5000 + (v - 30) * 100));
  });

  it("several seconds in one poll, and totalRows ends the input", async () => {
    const clock = new FakeClock(0);
    const src = rateSource({ rowsPerSecond: 4, totalRows: 10, clock });
    await src.poll();
    assert.deepEqual(pairs(await pollAfter(src, clock, 2)).map((p) => p[1]), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(src.exhausted(), false);
    assert.deepEqual(pairs(await pollAfter(src, clock, 5)).map((p) => p[1]), [8, 9]);
    assert.equal(src.exhausted(), true);
  });

  it("rejects bad options with BAD_OPTION naming them", () => {
    for (const [opts, option] of [[{ rowsPerSecond: -1 }, "rowsPerSecond"], [{ rowsPerSecond: 1.5 }, "rowsPerSecond"], [{ rampUpTime: "1500 ms" }, "rampUpTime"], [{ totalRows: 0 }, "totalRows"]] as const) {
      assert.throws(() => rateSource(opts), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.message.includes(option));
    }
  });

  /** A clock one second later at each look: each poll of the query is one more second. */
  const ticking = (): Clock => { let t = 0; return { now: () => (t += 1000) - 1000, sleepUntil: async () => {} }; };

  it("in a windowed query: counts per 1-second window equal rowsPerSecond (memory sink)", async () => {
    const sink = new MemoryStreamSink();
    await readStream(rateSource({ rowsPerSecond: 5, totalRows: 20, clock: ticking() }))
      .withWatermark("timestamp", "0 seconds")
      .groupBy(window("timestamp", "1 second")).agg({ n: pl.len(), first: pl.col("value").min() })
      .writeStream({ mode: "append", sinks: [sink], idleSleep: 0 }).start().awaitTermination();
    const t = sink.table().sort("window_start");
    assert.deepEqual(t.getColumn("n").toArray().map(Number), [5, 5, 5, 5]);
    assert.deepEqual(t.getColumn("first").toArray().map(Number), [0, 5, 10, 15]);
  });

  it("checkpointed: a restarted query regenerates a logged batch's rows exactly", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "streamlab-rate-"));
    try {
      const seen: number[][] = [];
      const run = (failAt: number) => {
        const sink = { name: "check", async open() {}, async close() {}, async write(o: { batchId: number; frame: pl.DataFrame }) {
          if (o.batchId === failAt) throw new Error("boom");
          seen.push(o.frame.getColumn("value").toArray().map(Number));
        } };
        return readStream(rateSource({ rowsPerSecond: 3, totalRows: 9, clock: ticking() }))
          .writeStream({ sinks: [sink], idleSleep: 0, checkpointLocation: dir }).start().awaitTermination();
      };
      await assert.rejects(run(1), /batch 1/);
      await run(-1);
      assert.deepEqual(seen, [[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
