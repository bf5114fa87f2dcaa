/** union(other): two streams as one (Spark's union / unionByName), watermark = min of the inputs. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { MemoryStreamSink, MemoryStreamSource, readStream, window } from "../../lib/stream";
import { assertFramesEqual, at, generateRows, rideFrame, rng, runToEnd, shuffleIntoBatches } from "./stream-fixtures";
import { assertResumes, indexed, writeFileStream } from "./stream-restart";

const rides = (rows: [string, number][]) => rideFrame(rows.map(([ride_id, t]) => ({ ride_id, t, speed: t })));

describe("union", function () {
  this.timeout(60_000);

  it("passes the rows of both streams through, steps after it applied to each", async () => {
    const east = new MemoryStreamSource("east"), west = new MemoryStreamSource("west");
    east.push(rides([["a", 1], ["b", 2]]), 0).end();
    west.push(rides([["c", 3]]), 0).push(rides([["d", 40]]), 1).end();
    const sink = new MemoryStreamSink();
    await runToEnd(readStream(east).union(readStream(west)).filter(pl.col("speed").lt(10)).select("ride_id")
      .writeStream({ sinks: [sink], trigger: "once" }));
    assert.deepEqual(sink.table().getColumn("ride_id").toArray().sort(), ["a", "b", "c"]);
  });

  it("a windowed count over the union equals the batch count over all rows; the watermark is the min of the inputs'", async () => {
    const rand = rng(5);
    const rows = generateRows(rand, 6, 120, 1);
    const east = new MemoryStreamSource("east"), west = new MemoryStreamSource("west");
    // East runs 20 s ahead of west (its batches arrive earlier): with the max, west's rows would be late.
    const eastRows = rows.filter((_, i) => i % 2 === 0), westRows = rows.filter((_, i) => i % 2 === 1);
    shuffleIntoBatches(rand, eastRows, 2, 10).forEach((b, i) => east.push(rideFrame(b), i));
    shuffleIntoBatches(rand, westRows, 2, 10).forEach((b, i) => west.push(rideFrame(b), i + 2));
    east.end(); west.end();
    const sink = new MemoryStreamSink();
    const q = await runToEnd(readStream(east).union(readStream(west)).withWatermark("timestamp", "5 seconds")
      .groupBy("ride_id", window("timestamp", "10 seconds")).agg({ n: pl.len() })
      .writeStream({ mode: "append", sinks: [sink], trigger: "once", batchPerPartition: true }));
    assert.equal(q.totals.rowsDroppedByWatermark, 0, "no row late under the min watermark");
    const counts = new Map<string, number>();
    for (const r of rows) {
      const key = `${r.ride_id}|${Math.floor(at(r.t).getTime() / 10_000) * 10_000}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const keys = [...counts.keys()].map((k) => k.split("|"));
    const want = pl.DataFrame({
      ride_id: keys.map((k) => k[0]),
      window_start: pl.Series("window_start", keys.map((k) => new Date(Number(k[1]))), pl.Datetime("ms")),
      window_end: pl.Series("window_end", keys.map((k) => new Date(Number(k[1]) + 10_000)), pl.Datetime("ms")),
      n: pl.Series("n", [...counts.values()], pl.Int64),
    });
    assertFramesEqual(sink.table().drop("batch_id"), want, ["ride_id", "window_start"]);
    // Each record's watermark is at most each input's max event time so far minus the delay.
    const marks = q.recentProgress.map((p) => p.watermark).filter((w): w is string => w !== null && w !== "+infinity");
    assert.ok(marks.length > 0);
    const westMax = Math.max(...westRows.map((r) => at(r.t).getTime()));
    for (const w of marks) assert.ok(Date.parse(w) <= westMax - 5000);
  });

  it("stops with an error naming both inputs when their columns differ", async () => {
    const east = new MemoryStreamSource("east"), west = new MemoryStreamSource("west");
    east.push(rides([["a", 1]])).end();
    west.push(rides([["b", 1]]).rename({ speed: "velocity" })).end();
    const q = readStream(east).union(readStream(west)).writeStream({ sinks: [new MemoryStreamSink()], trigger: "once", batchPerPartition: true });
    // One poll of each source is one micro-batch: both frames meet in batch 0.
    await assert.rejects(q.start().awaitTermination(), (e: unknown) => isStreamlabError(e, "QUERY")
      && /inputs "east" and "west" have different columns; "west" lacks "speed"; "west" has "velocity" that "east" lacks/.test(e.message));
  });

  it("refuses inputs with one name, a stateful input, watermarks on different columns, and joining a union", () => {
    const s = (name: string) => readStream(new MemoryStreamSource(name));
    assert.throws(() => s("a").union(s("a")), (e: unknown) => isStreamlabError(e, "QUERY") && /two inputs are named "a"/.test(e.message));
    assert.throws(() => s("a").groupBy("k").agg({ n: pl.len() }).union(s("b")), (e: unknown) => isStreamlabError(e, "QUERY") && /before any groupBy/.test(e.message));
    assert.throws(() => s("a").withWatermark("t1", "1s").union(s("b").withWatermark("t2", "1s")), (e: unknown) => isStreamlabError(e, "QUERY") && /different columns \("t1", "t2"\)/.test(e.message));
    assert.throws(() => s("a").union(s("b")).join(s("c"), { on: "k" }), (e: unknown) => isStreamlabError(e, "QUERY") && /a union cannot feed it/.test(e.message));
    assert.throws(() => s("a").union("b" as never), (e: unknown) => isStreamlabError(e, "BAD_OPTION"));
  });

  it("with dropDuplicates after it: a key seen on either input is emitted once, also across a stop and resume", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "streamlab-union-"));
    try {
      const frame = (offset: number) => indexed(pl.DataFrame({ id: Array.from({ length: 30 }, (_, i) => `e${i}`), t: Array.from({ length: 30 }, (_, i) => i + offset) }));
      writeFileStream(root, "east", frame(0), 5);
      writeFileStream(root, "west", frame(3), 5); // the same ids, 3 s later
      const out = await assertResumes(root, ["east", "west"], ([e, w]) => readStream(e).union(readStream(w)).dropDuplicates("id").select("id"), "append", ["id"]);
      assert.equal(out.height, 30);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
