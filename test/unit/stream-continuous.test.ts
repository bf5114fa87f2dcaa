/**
 * The continuous trigger (issue #13 item 5; Spark's `Trigger.Continuous`): stateless queries only
 * (Spark's UnsupportedOperationChecker refuses aggregations and joins in continuous mode), each
 * polled chunk processed at once, each progress record with its rows' latency from arrival. The
 * Kafka source end to end: test/integration/query-continuous.test.ts.
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { MemoryStreamSink, MemoryStreamSource, readStream, rowLatencies, window, type ProgressRecord, type SourceChunk } from "../../lib/stream";
import { at } from "./stream-fixtures";

const frame = (n: number, t0 = 0) => pl.DataFrame({
  k: Array.from({ length: n }, (_, i) => `k${i % 2}`),
  timestamp: pl.Series("timestamp", Array.from({ length: n }, (_, i) => at(t0 + i)), pl.Datetime("ms")),
});

describe("continuous trigger", () => {
  it("runs a stateless query chunk by chunk and reports each batch's per-row latency from the arrival times", async () => {
    const now = Date.now();
    const chunks: SourceChunk[] = [
      { frame: frame(3), arrivalMs: [now - 3000, now - 2000, now - 1000] },
      { frame: frame(2, 10), arrivalMs: [now - 500, now - 400] },
    ];
    const src = new MemoryStreamSource("events", chunks).end();
    const sink = new MemoryStreamSink();
    const progress: ProgressRecord[] = [];
    await readStream(src).filter(pl.col("k").eq(pl.lit("k0"))).writeStream({ sinks: [sink], trigger: "continuous", onProgress: (p) => progress.push(p) }).start().awaitTermination();
    assert.equal(sink.table().height, 3); // k0 rows of both chunks
    assert.deepEqual(progress.map((p) => p.numInputRows.events), [3, 2]);
    const [a, b] = progress.map((p) => p.latencyMs!);
    assert.equal(a.rows, 3);
    assert.ok(a.p50 >= 2000 && a.p50 < 60_000 && a.p99 >= 3000 && a.max === a.p99, JSON.stringify(a));
    assert.equal(b.rows, 2);
    assert.ok(b.p50 >= 400 && b.max >= 500 && b.max < a.max, JSON.stringify(b));
  });

  it("the default trigger reports no latency; a chunk without arrival times neither", async () => {
    const progress: ProgressRecord[] = [];
    const src = new MemoryStreamSource("events", [{ frame: frame(2), arrivalMs: [Date.now(), Date.now()] }]).end();
    await readStream(src).writeStream({ sinks: [new MemoryStreamSink()], onProgress: (p) => progress.push(p) }).start().awaitTermination();
    const none = new MemoryStreamSource("events", [{ frame: frame(2) }]).end();
    await readStream(none).writeStream({ sinks: [new MemoryStreamSink()], trigger: "continuous", onProgress: (p) => progress.push(p) }).start().awaitTermination();
    assert.deepEqual(progress.map((p) => p.latencyMs), [undefined, undefined]);
  });

  it("refuses an aggregation or a join with QUERY naming the trigger (stateless queries only, as Spark)", () => {
    const agg = readStream(new MemoryStreamSource("a")).withWatermark("timestamp", "1 second").groupBy("k", window("timestamp", "5 seconds")).agg({ n: pl.len() });
    assert.throws(() => agg.writeStream({ sinks: [new MemoryStreamSink()], trigger: "continuous", mode: "update" }), (e: unknown) => isStreamlabError(e, "QUERY") && /continuous trigger runs stateless queries only.*aggregation/.test(e.message));
    const join = readStream(new MemoryStreamSource("l")).join(readStream(new MemoryStreamSource("r")), { on: "k" });
    assert.throws(() => join.writeStream({ sinks: [new MemoryStreamSink()], trigger: "continuous" }), (e: unknown) => isStreamlabError(e, "QUERY") && /stream-stream join/.test(e.message));
    // dropDuplicates keeps state outside the plan's one stateful operator: refused too.
    const dedup = readStream(new MemoryStreamSource("d")).dropDuplicates(["k"]);
    assert.throws(() => dedup.writeStream({ sinks: [new MemoryStreamSink()], trigger: "continuous" }), (e: unknown) => isStreamlabError(e, "QUERY") && /dropDuplicates/.test(e.message));
  });

  it("rowLatencies: nearest-rank p50 and p99, and the max", () => {
    const arrivals = Array.from({ length: 100 }, (_, i) => 1000 - (i + 1)); // latencies 1..100 at done = 1000
    assert.deepEqual(rowLatencies([{ chunk: { frame: frame(100), arrivalMs: arrivals } }], 1000), { rows: 100, p50: 50, p99: 99, max: 100 });
    assert.equal(rowLatencies([{ chunk: { frame: frame(1) } }], 1000), undefined);
  });
});
