import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { MemoryStreamSink, MemoryStreamSource, readStream, type JoinHow } from "../../lib/stream";
import { assertFramesEqual, at, msOf, rng, runToEnd, shuffleIntoBatches } from "./stream-fixtures";

interface Loc { uuid: string; t: number; speed: number; lid: number }
interface Acc { uuid: string; t: number; x: number; rid: number }

const locFrame = (rows: Loc[]) => pl.DataFrame({
  uuid: pl.Series("uuid", rows.map((r) => r.uuid), pl.Utf8),
  timestamp: pl.Series("timestamp", rows.map((r) => at(r.t)), pl.Datetime("ms")),
  speed: pl.Series("speed", rows.map((r) => r.speed), pl.Float64),
  lid: pl.Series("lid", rows.map((r) => r.lid), pl.Int64),
});
const accFrame = (rows: Acc[]) => pl.DataFrame({
  uuid: pl.Series("uuid", rows.map((r) => r.uuid), pl.Utf8),
  timestamp: pl.Series("timestamp", rows.map((r) => at(r.t)), pl.Datetime("ms")),
  x: pl.Series("x", rows.map((r) => r.x), pl.Float64),
  rid: pl.Series("rid", rows.map((r) => r.rid), pl.Int64),
});

/** Runs the join with each input's batches (batch i of both inputs share partition time i). */
async function runJoin(locBatches: Loc[][], accBatches: Acc[][], how: JoinHow, opts: { within?: string; watermark?: string } = {}) {
  const locations = new MemoryStreamSource("locations");
  const accelerations = new MemoryStreamSource("accelerations");
  locBatches.forEach((b, i) => b.length > 0 && locations.push(locFrame(b), i));
  accBatches.forEach((b, i) => b.length > 0 && accelerations.push(accFrame(b), i));
  const sink = new MemoryStreamSink();
  const wm = opts.watermark ?? "10 seconds";
  const query = readStream(locations).withWatermark("timestamp", wm)
    .join(readStream(accelerations).withWatermark("timestamp", wm), { on: "uuid", within: opts.within ?? "1.5 seconds", how, leftTimestamp: "loc_timestamp", rightTimestamp: "acc_timestamp" })
    .writeStream({ sinks: [sink], trigger: "once" });
  await runToEnd(query);
  return { query, sink };
}

/** The batch answer, the plain way: nested loops over all rows. */
function batchJoin(locs: Loc[], accs: Acc[], how: JoinHow, withinS: number): pl.DataFrame {
  const rows: { uuid: string; loc_timestamp: Date | null; acc_timestamp: Date | null; speed: number | null; lid: number | null; x: number | null; rid: number | null }[] = [];
  const matchedL = new Set<number>(), matchedR = new Set<number>();
  for (const l of locs) for (const r of accs) {
    if (l.uuid === r.uuid && Math.abs(at(l.t).getTime() - at(r.t).getTime()) <= withinS * 1000) {
      rows.push({ uuid: l.uuid, loc_timestamp: at(l.t), acc_timestamp: at(r.t), speed: l.speed, lid: l.lid, x: r.x, rid: r.rid });
      matchedL.add(l.lid); matchedR.add(r.rid);
    }
  }
  if (how === "left" || how === "full") for (const l of locs) if (!matchedL.has(l.lid)) rows.push({ uuid: l.uuid, loc_timestamp: at(l.t), acc_timestamp: null, speed: l.speed, lid: l.lid, x: null, rid: null });
  if (how === "right" || how === "full") for (const r of accs) if (!matchedR.has(r.rid)) rows.push({ uuid: r.uuid, loc_timestamp: null, acc_timestamp: at(r.t), speed: null, lid: null, x: r.x, rid: r.rid });
  return pl.DataFrame({
    uuid: pl.Series("uuid", rows.map((r) => r.uuid), pl.Utf8),
    loc_timestamp: pl.Series("loc_timestamp", rows.map((r) => r.loc_timestamp), pl.Datetime("ms")),
    acc_timestamp: pl.Series("acc_timestamp", rows.map((r) => r.acc_timestamp), pl.Datetime("ms")),
    speed: pl.Series("speed", rows.map((r) => r.speed), pl.Float64),
    lid: pl.Series("lid", rows.map((r) => r.lid), pl.Int64),
    x: pl.Series("x", rows.map((r) => r.x), pl.Float64),
    rid: pl.Series("rid", rows.map((r) => r.rid), pl.Int64),
  });
}

/** Rides with GPS fixes every ~3 s and accelerometer rows every ~0.4 s, with gaps on each side. */
function generate(seed: number, seconds: number) {
  const rand = rng(seed);
  const locs: Loc[] = [], accs: Acc[] = [];
  for (const uuid of ["u1", "u2", "u3", "only-left", "only-right"]) {
    if (uuid !== "only-right") for (let t = rand() * 3; t < seconds; t += 2 + 2 * rand()) locs.push({ uuid, t: Math.round(t * 1000) / 1000, speed: Math.round(rand() * 3000) / 100, lid: locs.length });
    if (uuid !== "only-left") for (let t = rand(); t < seconds; t += 0.2 + 0.4 * rand()) {
      if (Math.floor(t / 10) % 3 === 2 && uuid === "u2") continue; // a gap: u2's fixes there find no match
      accs.push({ uuid, t: Math.round(t * 1000) / 1000, x: Math.round(rand() * 100) / 100, rid: accs.length });
    }
  }
  return { rand, locs, accs };
}

const sortKeys = ["uuid", "lid", "rid"];

describe("stream-stream join", function () {
  this.timeout(180_000);

  for (const how of ["inner", "left", "right", "full"] as const) {
    it(`${how} join equals a batch ${how} join with the same time bound, on out-of-order data`, async () => {
      const { rand, locs, accs } = generate(42, 90);
      const locBatches = shuffleIntoBatches(rand, locs, 4, 3);
      const accBatches = shuffleIntoBatches(rand, accs, 4, 3);
      const { query, sink } = await runJoin(locBatches, accBatches, how);
      assert.equal(query.totals.rowsDroppedByWatermark, 0);
      const out = sink.table();
      assert.deepEqual(out.columns, ["uuid", "loc_timestamp", "acc_timestamp", "speed", "lid", "x", "rid", "batch_id"]);
      const expected = batchJoin(locs, accs, how, 1.5);
      assertFramesEqual(out.drop("batch_id"), expected, sortKeys);
      if (how !== "inner") assert.ok(out.filter(pl.col(how === "right" ? "lid" : "rid").isNull()).height > 0, "the data has unmatched rows");
    });
  }

  it("emits no null row for a row that found a match, even after it is evicted", async () => {
    const locs: Loc[][] = [[{ uuid: "u", t: 0, speed: 1, lid: 0 }], [], [{ uuid: "u", t: 100, speed: 2, lid: 1 }], [{ uuid: "u", t: 200, speed: 3, lid: 2 }]];
    // the match for lid 0 arrives one batch later; later batches move the watermark far past it
    const accs: Acc[][] = [[], [{ uuid: "u", t: 1, x: 9, rid: 0 }], [{ uuid: "u", t: 100.5, x: 8, rid: 1 }], [{ uuid: "u", t: 200.2, x: 7, rid: 2 }]];
    const { query, sink } = await runJoin(locs, accs, "full", { watermark: "5 seconds" });
    const out = sink.table();
    assert.equal(out.height, 3, out.toString());
    assert.equal(out.filter(pl.col("lid").isNull().or(pl.col("rid").isNull())).height, 0, "spurious null rows");
    assert.equal(query.lastProgress!.stateRows, 0, "all join state evicted at the end");
  });

  it("emits an unmatched row only once the watermark passed its time + within", async () => {
    const locs: Loc[][] = [[{ uuid: "lonely", t: 10, speed: 1, lid: 0 }], [{ uuid: "u", t: 13, speed: 1, lid: 1 }], [{ uuid: "u", t: 20, speed: 1, lid: 2 }], [{ uuid: "u", t: 40, speed: 1, lid: 3 }]];
    // the right input needs rows too: with the "min" policy the watermark waits for every input
    const accs: Acc[][] = [10, 13, 20, 40].map((t, i) => [{ uuid: "other", t, x: 0, rid: i }]);
    const { query, sink } = await runJoin(locs, accs, "left", { watermark: "2 seconds" });
    const hit = sink.outputs.find((o) => o.frame.filter(pl.col("lid").eq(0)).height > 0)!;
    const wm = query.recentProgress.find((p) => p.batchId === hit.batchId)!.watermark!;
    assert.ok(Date.parse(wm) > at(10 + 1.5).getTime(), `emitted in batch ${hit.batchId} under watermark ${wm}`);
    assert.ok(hit.batchId > 0 && wm !== "+infinity", "emitted before the end-of-input flush, once the watermark allowed it");
    const row = hit.frame.filter(pl.col("lid").eq(0)).toRecords()[0];
    assert.equal(row.acc_timestamp, null);
    assert.equal(msOf(row.loc_timestamp), at(10).getTime());
  });

  it("drops and counts late rows on both sides; they never join nor appear as unmatched rows", async () => {
    const locs: Loc[][] = [[{ uuid: "u", t: 50, speed: 1, lid: 0 }], [{ uuid: "u", t: 10, speed: 2, lid: 1 }]]; // 10 < watermark 50 - 5
    const accs: Acc[][] = [[{ uuid: "u", t: 50.5, x: 1, rid: 0 }], [{ uuid: "u", t: 10.2, x: 2, rid: 1 }]];
    const { query, sink } = await runJoin(locs, accs, "full", { watermark: "5 seconds" });
    assert.equal(query.recentProgress[1].rowsDroppedByWatermark, 2);
    const out = sink.table();
    assert.deepEqual(out.select("lid", "rid").toRecords().map((r) => [Number(r.lid), Number(r.rid)]), [[0, 0]]);
  });

  it("requires a watermark on both inputs for an outer join, and a time bound", () => {
    const a = readStream(new MemoryStreamSource("a")).withWatermark("timestamp", "5s");
    const b = readStream(new MemoryStreamSource("b"));
    assert.throws(() => a.join(b, { on: "uuid", how: "full" }), (e: unknown) => isStreamlabError(e, "QUERY") && /withWatermark on both inputs \(missing on "b"\)/.test(e.message));
    assert.throws(() => a.join(b.withWatermark("timestamp", "5s"), { on: "uuid", how: "full", within: null as unknown as string }), /needs a time bound \(within\)/);
    assert.throws(() => a.join(b, { on: "uuid", how: "sideways" as JoinHow }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "how");
    assert.throws(() => a.join(readStream(new MemoryStreamSource("a")), { on: "uuid" }), /distinct names/);
    assert.throws(() => a.join(b, { on: "uuid" }).writeStream({ mode: "complete", sinks: [new MemoryStreamSink()] }), /not "complete"/);
  });

  // Regression (phantom batch_id row): when a join had seen no row yet (every row of the batch
  // filtered out before it), its empty output had no columns, and adding batch_id as a literal
  // broadcast it to one row: the sink got a row holding only batch_id, counted in numOutputRows.
  it("emits nothing, not a lone batch_id row, when every input row was filtered out before the join", async () => {
    const locations = new MemoryStreamSource("locations");
    const accelerations = new MemoryStreamSource("accelerations");
    locations.push(locFrame([{ uuid: "a", t: 1, speed: 0, lid: 1 }]), 0);
    const sink = new MemoryStreamSink();
    const query = readStream(locations).withWatermark("timestamp", "10 seconds").filter(pl.col("speed").gt(0))
      .join(readStream(accelerations).withWatermark("timestamp", "10 seconds"), { on: "uuid", how: "inner" })
      .writeStream({ sinks: [sink], trigger: "once" });
    await runToEnd(query);
    assert.equal(sink.table().height, 0);
    assert.deepEqual(query.recentProgress.map((p) => p.numOutputRows), [0]);
  });

  // Found by the resumed pipeline at speed 40: the first micro-batch held locations only, and the
  // select after the join asked for acceleration columns the join could not name yet.
  it("runs a select after the join when the first batches hold one input only", async () => {
    const locations = new MemoryStreamSource("locations");
    const accelerations = new MemoryStreamSource("accelerations");
    locations.push(locFrame([{ uuid: "a", t: 1, speed: 2, lid: 1 }]), 0);
    accelerations.push(accFrame([{ uuid: "a", t: 1.5, x: 0.5, rid: 1 }]), 1);
    const sink = new MemoryStreamSink();
    const query = readStream(locations).withWatermark("timestamp", "10 seconds")
      .join(readStream(accelerations).withWatermark("timestamp", "10 seconds"), { on: "uuid", how: "full", leftTimestamp: "loc_timestamp", rightTimestamp: "acc_timestamp" })
      .select("uuid", "loc_timestamp", "acc_timestamp", "speed", "x", "batch_id")
      .writeStream({ sinks: [sink], trigger: "once", batchPerPartition: true });
    await runToEnd(query);
    assert.deepEqual(query.recentProgress.map((p) => [p.numInputRows.locations, p.numInputRows.accelerations, p.numOutputRows]), [[1, 0, 0], [0, 1, 1], [0, 0, 0]]);
    assert.deepEqual(sink.table().select("uuid", "speed", "x").toRecords(), [{ uuid: "a", speed: 2, x: 0.5 }]);
  });
});
