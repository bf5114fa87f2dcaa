/**
 * The course's windowed and joined queries on the real BDD sample (../shared/data/bdd), replayed
 * one partition per micro-batch, against batch answers computed directly from all the data; and
 * the same queries in batch (`read(...)`, issue #13 item 4) against the streaming runs' final results.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import pl from "nodejs-polars";
import { fileStreamSource, MemoryStreamSink, MemoryStreamSource, read, readStream, streamJoin, window, windowedSpeeds } from "../../lib/stream";
import { assertFramesEqual, BASE_MS } from "./stream-fixtures";

const DATA = path.resolve(__dirname, "../../../shared/data/bdd");

/** Every row of a table, stamped `timestamp = 2020-01-01 + offset` as the replay does, keyed by partition time. */
function readTable(table: string): { time: number; frame: pl.DataFrame }[] {
  const dir = path.join(DATA, table);
  return readdirSync(dir).filter((d) => d.startsWith("t=")).sort().map((d) => {
    const files = readdirSync(path.join(dir, d)).filter((f) => f.endsWith(".parquet")).map((f) => pl.readParquet(path.join(dir, d, f)));
    const frame = pl.concat(files, { how: "vertical" })
      .withColumns(pl.col("offset").mul(1000).round(0).add(BASE_MS).cast(pl.Int64).cast(pl.Datetime("ms")).alias("timestamp"));
    return { time: Number(d.slice(2)), frame };
  });
}

function source(name: string, parts: { time: number; frame: pl.DataFrame }[]): MemoryStreamSource {
  const src = new MemoryStreamSource(name);
  for (const p of parts) src.push(p.frame, p.time);
  return src.end();
}

const JOINED = ["uuid", "loc_timestamp", "acc_timestamp", "speed", "latitude", "longitude", "x", "y", "z"];

describe("stream engine on the real BDD sample", function () {
  this.timeout(300_000);
  let locations: { time: number; frame: pl.DataFrame }[] = [];
  let accelerations: { time: number; frame: pl.DataFrame }[] = [];

  before(function () {
    if (!existsSync(DATA)) {
      console.log(`    (skipped: the BDD sample is not at ${DATA}; these tests need ../shared/data/bdd)`);
      this.skip();
    }
    locations = readTable("locations");
    accelerations = readTable("accelerations");
  });

  it("windowed (watermark 30 s, 15 s windows, update): latest row per (ride_id, window_start) equals a plain group-by, for all 35 rides", async () => {
    const sink = new MemoryStreamSink();
    const q = readStream(source("locations", locations)).withWatermark("timestamp", "30 seconds")
      .groupBy("ride_id", window("timestamp", "15 seconds"))
      .agg({ mean_speed: pl.col("speed").mean(), count: pl.col("speed").count() })
      .writeStream({ mode: "update", sinks: [sink], trigger: "once" });
    await q.start().awaitTermination();
    const all = pl.concat(locations.map((p) => p.frame));
    assert.equal(all.height, 478);
    assert.equal(q.totals.inputRows.locations, 478);
    assert.equal(q.totals.rowsDroppedByWatermark, 0);
    const start = pl.col("timestamp").cast(pl.Int64).cast(pl.Float64).div(15_000).floor().mul(15_000).cast(pl.Int64);
    const expected = all.withColumns(start.cast(pl.Datetime("ms")).alias("window_start")).groupBy(["ride_id", "window_start"])
      .agg(pl.col("speed").mean().alias("mean_speed"), pl.col("speed").count().cast(pl.Int64).alias("count"))
      .withColumns(pl.col("window_start").cast(pl.Int64).add(15_000).cast(pl.Datetime("ms")).alias("window_end"));
    const latest = sink.latest(["ride_id", "window_start"]);
    assert.deepEqual(latest.columns, ["ride_id", "window_start", "window_end", "mean_speed", "count", "batch_id"]);
    assert.equal(latest.getColumn("ride_id").nUnique(), 35);
    assertFramesEqual(latest.drop("batch_id"), expected, ["ride_id", "window_start"]);
  });

  it("joined (full outer, within 1.5 s): equals a batch full outer join with the same time bound", async () => {
    const sink = new MemoryStreamSink();
    const q = readStream(source("locations", locations)).withWatermark("timestamp", "30 seconds")
      .join(readStream(source("accelerations", accelerations)).withWatermark("timestamp", "30 seconds"),
        { on: "uuid", how: "full", within: "1.5 seconds", leftTimestamp: "loc_timestamp", rightTimestamp: "acc_timestamp" })
      .select(...JOINED, "batch_id")
      .writeStream({ mode: "append", sinks: [sink], trigger: "once" });
    await q.start().awaitTermination();
    assert.equal(q.totals.rowsDroppedByWatermark, 0);
    const out = sink.table();
    assert.deepEqual(out.columns, [...JOINED, "batch_id"]);

    // Batch answer: key join, then the time bound; unmatched rows from each side with nulls.
    const loc = pl.concat(locations.map((p) => p.frame)).select("uuid", pl.col("timestamp").alias("loc_timestamp"), "speed", "latitude", "longitude").withRowCount("lrow");
    const acc = pl.concat(accelerations.map((p) => p.frame)).select("uuid", pl.col("timestamp").alias("acc_timestamp"), "x", "y", "z").withRowCount("arow");
    assert.equal(acc.height, 23_512);
    const pairs = loc.join(acc, { on: "uuid" })
      .filter(pl.col("loc_timestamp").cast(pl.Int64).sub(pl.col("acc_timestamp").cast(pl.Int64)).abs().lessThanEquals(1500));
    const lonelyLoc = loc.join(pairs.select("lrow").unique(), { on: "lrow", how: "anti" });
    const lonelyAcc = acc.join(pairs.select("arow").unique(), { on: "arow", how: "anti" });
    const expected = pl.concat([pairs.drop("lrow", "arow"), lonelyLoc.drop("lrow"), lonelyAcc.drop("arow")], { how: "diagonalRelaxed" }).select(...JOINED);
    assert.ok(lonelyLoc.height + lonelyAcc.height > 0, "the sample has unmatched rows on some side");
    assertFramesEqual(out.drop("batch_id"), expected, JOINED);
    assert.equal(out.filter(pl.col("loc_timestamp").isNull().and(pl.col("acc_timestamp").isNull())).height, 0);
  });

  describe("the same course query in batch (read(...).collect()) equals the streaming query's final result", () => {
    const windowed = { watermark: "30 seconds", window: "15 seconds" };
    const joined = { watermark: "30 seconds", within: "1.5 seconds", how: "full" as const };

    it("windowed, memory source: batch = the latest row per (ride_id, window_start) of the update stream", async () => {
      const sink = new MemoryStreamSink();
      const q = windowedSpeeds(source("locations", locations), windowed).writeStream({ mode: "update", sinks: [sink], trigger: "once" });
      await q.start().awaitTermination();
      assert.equal(q.totals.rowsDroppedByWatermark, 0);
      const batch = await windowedSpeeds(source("locations", locations), windowed, read).collect();
      assert.equal(batch.getColumn("ride_id").nUnique(), 35);
      assertFramesEqual(batch, sink.latest(["ride_id", "window_start"]).drop("batch_id"), ["ride_id", "window_start"]);
    });

    it("joined (full outer), memory sources: batch = every row the append stream emitted", async () => {
      const sink = new MemoryStreamSink();
      const q = streamJoin(source("locations", locations), source("accelerations", accelerations), joined).writeStream({ mode: "append", sinks: [sink], trigger: "once" });
      await q.start().awaitTermination();
      assert.equal(q.totals.rowsDroppedByWatermark, 0);
      const batch = await streamJoin(source("locations", locations), source("accelerations", accelerations), joined, read).collect();
      assert.deepEqual(batch.columns, JOINED);
      assertFramesEqual(batch, sink.table().drop("batch_id"), JOINED);
    });

    it("windowed and joined on the real parquet files (file stream source, several files per micro-batch)", async () => {
      const files = (table: string) => fileStreamSource({ dir: path.join(DATA, table), once: true, maxFilesPerTrigger: 50, deadLetter: false });
      const sink = new MemoryStreamSink();
      const w = windowedSpeeds(files("locations"), windowed).writeStream({ mode: "update", sinks: [sink], trigger: "once" });
      await w.start().awaitTermination();
      assert.equal(w.totals.inputRows.locations, 478);
      assert.equal(w.totals.rowsDroppedByWatermark, 0);
      assertFramesEqual(await windowedSpeeds(files("locations"), windowed, read).collect(), sink.latest(["ride_id", "window_start"]).drop("batch_id"), ["ride_id", "window_start"]);
      const joinSink = new MemoryStreamSink();
      const j = streamJoin(files("locations"), files("accelerations"), joined).writeStream({ mode: "append", sinks: [joinSink], trigger: "once" });
      await j.start().awaitTermination();
      assert.equal(j.totals.rowsDroppedByWatermark, 0);
      assertFramesEqual(await streamJoin(files("locations"), files("accelerations"), joined, read).collect(), joinSink.table().drop("batch_id"), JOINED);
    });
  });
});
