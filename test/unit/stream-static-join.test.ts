/** Stream-static join: each micro-batch enriched with a static frame (Spark's stream-static join: inner, left outer). */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { MemoryStreamSink, MemoryStreamSource, readStream, window } from "../../lib/stream";
import { assertFramesEqual, generateRows, rideFrame, rng, runToEnd, shuffleIntoBatches } from "./stream-fixtures";

/** Metadata for some rides: ride-0 twice (two drivers), ride-5 absent, ride-9 never streamed. */
const meta = pl.DataFrame({
  ride_id: ["ride-0", "ride-0", "ride-1", "ride-2", "ride-3", "ride-4", "ride-9"],
  driver: ["Ada", "Ann", "Bo", "Cy", "Di", "Ed", "Zed"],
  speed: [1, 2, 3, 4, 5, 6, 7], // clashes with the stream's speed: renamed with the suffix
});

async function run(how: "inner" | "left") {
  const rand = rng(21);
  const rows = generateRows(rand, 6, 60, 2);
  const src = new MemoryStreamSource("locations");
  shuffleIntoBatches(rand, rows, 3, 10).forEach((b, i) => src.push(rideFrame(b), i));
  src.end();
  const sink = new MemoryStreamSink();
  await runToEnd(readStream(src).join(meta, { on: "ride_id", how, suffix: "_meta" }).writeStream({ sinks: [sink], trigger: "once" }));
  return { rows, sink };
}

describe("stream-static join", function () {
  this.timeout(60_000);

  for (const how of ["inner", "left"] as const) {
    it(`${how}: the streamed output equals a batch ${how} join of all rows with the static frame`, async () => {
      const { rows, sink } = await run(how);
      const want = rideFrame(rows).join(meta, { on: "ride_id", how, suffix: "_meta" });
      assertFramesEqual(sink.table(), want, ["ride_id", "timestamp", "driver"]);
      assert.deepEqual(sink.table().columns, ["ride_id", "timestamp", "speed", "driver", "speed_meta"]);
      const rides = new Set(sink.table().getColumn("ride_id").toArray());
      assert.equal(rides.has("ride-5"), how === "left", "a ride without metadata is kept by left only");
      assert.ok(!rides.has("ride-9"), "static rows no stream row matched are never emitted");
      const ride0 = rows.filter((r) => r.ride_id === "ride-0").length;
      assert.equal(sink.table().filter(pl.col("ride_id").eq(pl.lit("ride-0"))).height, 2 * ride0, "a key with two static rows gives two rows");
      if (how === "left") assert.ok(sink.table().filter(pl.col("ride_id").eq(pl.lit("ride-5"))).getColumn("driver").nullCount() > 0);
    });
  }

  it("enriches the output of a windowed aggregation (a step after it) and feeds one (a step before it)", async () => {
    const src = new MemoryStreamSource("locations");
    src.push(rideFrame([{ ride_id: "ride-1", t: 1, speed: 10 }, { ride_id: "ride-2", t: 2, speed: 20 }, { ride_id: "ride-1", t: 3, speed: 30 }])).end();
    const drivers = meta.select("ride_id", "driver").filter(pl.col("ride_id").neq(pl.lit("ride-0")));
    const after = new MemoryStreamSink(), before = new MemoryStreamSink();
    await runToEnd(readStream(src).withWatermark("timestamp", "5 seconds").groupBy("ride_id", window("timestamp", "10 seconds")).agg({ n: pl.len() })
      .join(drivers, { on: "ride_id" }).writeStream({ sinks: [after], trigger: "once" }));
    const src2 = new MemoryStreamSource("locations");
    src2.push(rideFrame([{ ride_id: "ride-1", t: 1, speed: 10 }, { ride_id: "ride-2", t: 2, speed: 20 }, { ride_id: "ride-1", t: 3, speed: 30 }])).end();
    await runToEnd(readStream(src2).join(drivers, { on: "ride_id" }).withWatermark("timestamp", "5 seconds").groupBy("driver", window("timestamp", "10 seconds")).agg({ n: pl.len() })
      .writeStream({ sinks: [before], trigger: "once" }));
    assert.deepEqual(after.table().select("ride_id", "driver", "n").sort("ride_id").toRecords(), [{ ride_id: "ride-1", driver: "Bo", n: 2 }, { ride_id: "ride-2", driver: "Cy", n: 1 }]);
    assert.deepEqual(before.table().select("driver", "n").sort("driver").toRecords(), [{ driver: "Bo", n: 2 }, { driver: "Cy", n: 1 }]);
  });

  it("validates its options against the static frame, and names a key missing from the stream or of another type", async () => {
    const s = () => readStream(new MemoryStreamSource("in"));
    assert.throws(() => s().join(meta, { on: "uuid" }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /the static frame has no column "uuid"; its columns are "ride_id", "driver", "speed"/.test(e.message));
    assert.throws(() => s().join(meta, { on: "ride_id", how: "full" as never }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /keeps the stream on the left/.test(e.message));
    assert.throws(() => s().join(meta, { on: [] }), (e: unknown) => isStreamlabError(e, "BAD_OPTION"));
    assert.throws(() => s().join({} as never, { on: "x" }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /a polars DataFrame for a stream-static join/.test(e.message));
    for (const [frame, pattern] of [
      [pl.DataFrame({ uuid: ["a"] }), /join with a static frame: column "ride_id" does not exist/],
      [pl.DataFrame({ ride_id: [1] }), /key "ride_id" is Float64 in the stream but (String|Utf8) in the static frame; cast one side/],
    ] as const) {
      const src = new MemoryStreamSource("in");
      src.push(frame).end();
      await assert.rejects(runToEnd(readStream(src).join(meta, { on: "ride_id" }).writeStream({ sinks: [new MemoryStreamSink()], trigger: "once" })),
        (e: unknown) => isStreamlabError(e, "QUERY") && pattern.test(e.message));
    }
  });
});
