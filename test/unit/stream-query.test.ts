import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { isStreamlabError, QueryError } from "../../lib/errors";
import { formatQueryProgress, MemoryStreamSink, MemoryStreamSource, readStream, window, type BatchOutput, type StreamSink } from "../../lib/stream";
import { assertFramesEqual, at, rideFrame, runToEnd, type Row } from "./stream-fixtures";

const rows = (ts: number[], ride = "a"): Row[] => ts.map((t, i) => ({ ride_id: ride, t, speed: i + 1 }));

/** A sink whose write fails on a given batch. */
class FailingSink implements StreamSink {
  readonly name = "broken-disk";
  closed = false;
  constructor(private readonly failOn: number) {}
  async open(): Promise<void> {}
  async write(o: BatchOutput): Promise<void> {
    if (o.batchId === this.failOn) throw new Error("ENOSPC: no space left on device");
  }
  async close(): Promise<void> { this.closed = true; }
}

function windowed(src: MemoryStreamSource, sink: StreamSink, trigger: string | undefined, extra: object = {}) {
  return readStream(src).withWatermark("timestamp", "5 seconds").groupBy("ride_id", window("timestamp", "10 seconds"))
    .agg({ mean_speed: pl.col("speed").mean(), count: pl.col("speed").count() })
    .writeStream({ mode: "append", sinks: [sink], trigger, idleSleep: "5 ms", ...extra });
}

describe("stream query loop", function () {
  this.timeout(120_000);

  it("once with batchPerPartition: one micro-batch per partition time across inputs, in time order, then the flush", async () => {
    const a = new MemoryStreamSource("locations"), b = new MemoryStreamSource("accelerations");
    const f = (t: number) => pl.DataFrame({ uuid: ["u"], timestamp: pl.Series("timestamp", [at(t)], pl.Datetime("ms")) });
    a.push(f(2), 2.0).push(f(0), 0.0); // delivered out of order: the query orders by partition time
    b.push(f(1), 1.0).push(f(2.1), 2.0).push(f(2.2), 2.0);
    const q = readStream(a).withWatermark("timestamp", "1 second")
      .join(readStream(b).withWatermark("timestamp", "1 second"), { on: "uuid", how: "full", within: "0.5 seconds" })
      .writeStream({ sinks: [new MemoryStreamSink()], trigger: "once", batchPerPartition: true });
    await runToEnd(q);
    assert.deepEqual(q.recentProgress.map((p) => p.numInputRows), [
      { locations: 1, accelerations: 0 }, { locations: 0, accelerations: 1 }, { locations: 1, accelerations: 2 }, { locations: 0, accelerations: 0 },
    ]);
    assert.equal(q.recentProgress.at(-1)!.watermark, "+infinity");
    assert.equal(q.isActive, false);
  });

  it("default trigger: runs a micro-batch per poll until the sources are exhausted, then flushes; same answer as once", async () => {
    const chunks = [rows([1, 2, 12]), rows([13, 25]), rows([26, 40, 41])];
    const cont = new MemoryStreamSource("s", [], { perPoll: 1 });
    chunks.forEach((c) => cont.push(rideFrame(c)));
    cont.end();
    const sinkA = new MemoryStreamSink();
    const qa = await runToEnd(windowed(cont, sinkA, undefined));
    assert.equal(qa.recentProgress.filter((p) => Object.values(p.numInputRows)[0] > 0).length, 3);
    assert.equal(qa.lastProgress!.watermark, "+infinity");
    const once = new MemoryStreamSource("s");
    chunks.forEach((c, i) => once.push(rideFrame(c), i));
    const sinkB = new MemoryStreamSink();
    await runToEnd(windowed(once, sinkB, "once"));
    assertFramesEqual(sinkA.table().drop("batch_id"), sinkB.table().drop("batch_id"), ["ride_id", "window_start"]);
    assert.equal(sinkA.table().height, 4, "windows [0,10) [10,20) [20,30) [40,50)");
  });

  // Regression (no-data batch never ran): the loop compared the watermark with its value after
  // the last batch's advance, which is always equal, so a watermark moved by the last input never
  // got its no-data batch: final windows waited (in append mode, forever) for more input.
  it("default trigger: a watermark moved by the last input emits the final windows without more input", async () => {
    const src = new MemoryStreamSource("s"); // never ended, nothing more arrives
    src.push(rideFrame(rows([1, 2, 30])));
    const sink = new MemoryStreamSink();
    const q = windowed(src, sink, undefined).start();
    const deadline = Date.now() + 5_000;
    while (sink.table().height === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await q.stop();
    assert.deepEqual(q.recentProgress.map((p) => p.numInputRows.s), [3, 0], "one batch with the rows, then one no-data batch");
    assert.deepEqual(sink.table().select("count").toRecords(), [{ count: 2 }], "window [0 s, 10 s) is final under watermark 25 s");
  });

  it("fixed-interval trigger processes every chunk and ends with the input", async () => {
    const src = new MemoryStreamSource("s", [], { perPoll: 1 });
    src.push(rideFrame(rows([1]))).push(rideFrame(rows([11]))).end();
    const sink = new MemoryStreamSink();
    const q = await runToEnd(windowed(src, sink, "20 ms"));
    assert.equal(q.totals.inputRows.s, 2);
    assert.equal(sink.table().height, 2);
  });

  it("stop() ends a running query cleanly, closing sources and sinks, without the end-of-input flush", async () => {
    const src = new MemoryStreamSource("s", [], { perPoll: 1 });
    src.push(rideFrame(rows([1]))).push(rideFrame(rows([2])));
    const sink = new MemoryStreamSink();
    let stopping: Promise<void> | undefined;
    const q = windowed(src, sink, undefined, { onProgress: () => { stopping ??= q.stop(); } }).start();
    await q.awaitTermination();
    await stopping;
    assert.equal(q.isActive, false);
    assert.equal(q.exception, null);
    assert.ok(src.isClosed && !sink.isOpen);
    assert.notEqual(q.lastProgress!.watermark, "+infinity");
  });

  it("an AbortSignal stops the query cleanly (awaitTermination resolves)", async () => {
    const src = new MemoryStreamSource("s"); // never ended: would run forever
    src.push(rideFrame(rows([1])));
    const controller = new AbortController();
    const q = windowed(src, new MemoryStreamSink(), undefined, { signal: controller.signal, onProgress: () => controller.abort() }).start();
    await q.awaitTermination();
    assert.equal(q.isActive, false);
    assert.equal(q.recentProgress.length, 1);
  });

  it("a failing sink stops the query with a QueryError carrying the cause; awaitTermination rejects", async () => {
    const src = new MemoryStreamSource("s", [], { perPoll: 1 });
    src.push(rideFrame(rows([1]))).push(rideFrame(rows([20]))).push(rideFrame(rows([40]))).end();
    const sink = new FailingSink(1);
    const q = windowed(src, sink, undefined).start();
    await assert.rejects(q.awaitTermination(), (e: unknown) => {
      assert.ok(e instanceof QueryError && e.code === "QUERY");
      assert.match(e.message, /sink "broken-disk" failed writing batch 1: ENOSPC/);
      assert.match(String((e.cause as Error).message), /ENOSPC/);
      return true;
    });
    assert.equal(q.exception?.code, "QUERY");
    assert.ok(sink.closed && src.isClosed, "closed what it opened");
    assert.equal(q.recentProgress.length, 1, "no progress record for the failed batch");
  });

  it("a failing source stops the query with a QueryError naming the source", async () => {
    const src = new MemoryStreamSource("kafka-locations");
    src.poll = async () => { throw new Error("broker went away"); };
    const q = readStream(src).writeStream({ sinks: [new MemoryStreamSink()] }).start();
    await assert.rejects(q.awaitTermination(), (e: unknown) => isStreamlabError(e, "QUERY") && /source "kafka-locations" failed: broker went away/.test(e.message));
  });

  it("a stateless query passes every row through unchanged, drops nothing late, adds no batch_id", async () => {
    const src = new MemoryStreamSource("locations");
    const first = rideFrame(rows([100, 101])), late = rideFrame(rows([1, 2]));
    src.push(first, 0).push(late, 1);
    const sink = new MemoryStreamSink();
    const q = await runToEnd(readStream(src).withWatermark("timestamp", "1 second").writeStream({ sinks: [sink], trigger: "once" }));
    assertFramesEqual(sink.table(), pl.concat([first, late]), ["timestamp"]);
    assert.equal(q.totals.rowsDroppedByWatermark, 0);
    assert.equal(q.recentProgress.length, 2, "no flush batch for a stateless query");
  });

  it("applies stateless steps before and after the aggregation", async () => {
    const src = new MemoryStreamSource("s");
    src.push(rideFrame([...rows([1, 2, 3], "a"), ...rows([1], "b"), { ride_id: "c", t: 1, speed: -1 }]), 0);
    const sink = new MemoryStreamSink();
    await runToEnd(readStream(src).filter(pl.col("speed").gt(0)).withColumns(pl.col("speed").mul(3.6).alias("kmh"))
      .groupBy(pl.col("ride_id")).agg({ n: pl.len(), top: pl.col("kmh").max() })
      .filter(pl.col("n").gtEq(2)).select("ride_id", "top")
      .writeStream({ mode: "complete", sinks: [sink], trigger: "once" }));
    assert.deepEqual(sink.last().toRecords(), [{ ride_id: "a", top: 3 * 3.6 }]);
  });

  it("records a progress entry per micro-batch (lastProgress, recentProgress, onProgress, totals)", async () => {
    const src = new MemoryStreamSource("s");
    [rows([1]), rows([2, 3]), rows([30])].forEach((r, i) => src.push(rideFrame(r), i));
    const seen: number[] = [];
    const sink = new MemoryStreamSink();
    const q = await runToEnd(windowed(src, sink, "once", { onProgress: (p: { batchId: number }) => seen.push(p.batchId), progressHistory: 2 }));
    assert.deepEqual(seen, [0, 1, 2, 3]);
    assert.deepEqual(q.recentProgress.map((p) => p.batchId), [2, 3], "recentProgress keeps progressHistory records");
    assert.deepEqual(q.lastProgress, q.recentProgress[1]);
    assert.deepEqual(q.totals.inputRows, { s: 4 });
    assert.equal(q.totals.outputRows, sink.table().height);
    const p = q.lastProgress!;
    assert.equal(p.numOutputRows, sink.outputs[3].frame.height);
    assert.ok(!Number.isNaN(Date.parse(p.timestamp)));
    for (const v of Object.values(p.durationMs)) assert.ok(v >= 0);
    assert.match(formatQueryProgress(p), /^batch 3: in s=0, out \d+, late dropped 0, watermark \+infinity, state 0, \d+ ms$/);
  });

  it("validates writeStream options with BAD_OPTION naming the option", () => {
    const frame = readStream(new MemoryStreamSource("s"));
    const sinks = [new MemoryStreamSink()];
    const option = (o: string) => (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === o;
    assert.throws(() => frame.writeStream({ sinks: [] }), option("sinks"));
    assert.throws(() => frame.writeStream({ sinks, trigger: "soon" }), option("trigger"));
    assert.throws(() => frame.writeStream({ sinks, trigger: 0 }), option("trigger"));
    assert.throws(() => frame.writeStream({ sinks, mode: "upsert" as "update" }), option("mode"));
    assert.throws(() => frame.writeStream({ sinks, mode: "complete" }), (e: unknown) => isStreamlabError(e, "QUERY") && /needs an aggregation/.test(e.message));
    assert.throws(() => frame.withWatermark("timestamp", "a while"), option("watermark"));
    const q = frame.writeStream({ sinks, trigger: "once" });
    q.start();
    assert.throws(() => q.start(), (e: unknown) => isStreamlabError(e, "QUERY") && /already started/.test(e.message));
    return q.awaitTermination();
  });
});
