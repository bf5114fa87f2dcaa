/**
 * The engine's Kafka source and sink against the real broker (`npm run kafka:start`): a topic
 * that appears after the query started, messages produced while it runs, a message that is not a
 * JSON row, and the sink's key + JSON value; the continuous trigger (each fetched batch processed at
 * once, per-row latency in the progress records).
 */
import { strict as assert } from "node:assert";
import pl from "nodejs-polars";
import { deleteTopics } from "../../lib/kafka/admin";
import { KafkaProducer } from "../../lib/kafka/producer";
import { readTopic, readTopicMessages } from "../../lib/kafka/read";
import { read, readStream } from "../../lib/stream/stream-frame";
import { window } from "../../lib/stream/window";
import { MemoryStreamSink } from "../../lib/stream/memory";
import type { ProgressRecord } from "../../lib/stream/types";
import { kafkaSink } from "../../lib/stream/sinks/kafka";
import { kafkaSource } from "../../lib/stream/sources/kafka";
import type { SourceChunk } from "../../lib/stream/types";
import { bootstrap, closeAll, requireBroker, track, uniqueTopic } from "../helpers/kafka";

const rows = (offsets: number[]) => pl.DataFrame({
  uuid: offsets.map((o) => `u${o % 2}`),
  timestamp: offsets.map((o) => new Date(Date.parse("2020-01-01T00:00:00Z") + o * 1000)),
  offset: offsets,
  speed: offsets.map((o) => o * 1.5),
}).withColumn(pl.col("timestamp").cast(pl.Datetime("ms")));

/** Rows for the continuous-trigger test: three keys (so two partitions both get rows). */
const contRows = (offsets: number[]) => rows(offsets).withColumn(pl.Series("uuid", offsets.map((o) => `u${o % 3}`)));

describe("kafkaSource and kafkaSink on the real broker", function () {
  this.timeout(120_000);
  const topics: string[] = [];
  before(requireBroker);
  afterEach(closeAll);
  after(async () => {
    if (topics.length > 0) await deleteTopics(topics, { bootstrap: bootstrap() }).catch(() => undefined);
  });

  async function pollUntil(source: ReturnType<typeof kafkaSource>, n: number): Promise<pl.DataFrame> {
    const chunks: SourceChunk[] = [];
    const deadline = Date.now() + 60_000;
    while (chunks.reduce((k, c) => k + c.frame.height, 0) < n) {
      if (Date.now() > deadline) throw new Error(`got ${chunks.length} chunks, fewer than ${n} rows`);
      chunks.push(...(await source.poll()));
    }
    return pl.concat(chunks.map((c) => c.frame));
  }

  it("waits for a topic that does not exist yet (reported as NO_DATA), then reads rows produced while it runs, with Datetime timestamps", async () => {
    const topic = uniqueTopic("qsrc");
    topics.push(topic);
    const source = track(kafkaSource({ topic, name: "locations", bootstrap: bootstrap() }));
    assert.deepEqual(await source.poll(), []);
    assert.deepEqual(source.skipped().map((s) => [s.path, s.code]), [[topic, "NO_DATA"]]);
    assert.match(source.skipped()[0].reason, /does not exist/);
    const producer = track(await KafkaProducer.connect({ bootstrap: bootstrap(), partitions: 1 }));
    await producer.sendFrame(topic, rows([0, 1, 2]), { keyField: "uuid" });
    const first = await pollUntil(source, 3);
    assert.deepEqual(source.skipped(), []);
    assert.ok(first.frameEqual(rows([0, 1, 2])), first.toString());
    // Later messages, and one that is not a JSON row: the rows arrive, the bad message is reported.
    await producer.send(topic, [{ key: "x", value: "not json" }]);
    await producer.sendFrame(topic, rows([3]), { keyField: "uuid" });
    const second = await pollUntil(source, 1);
    assert.ok(second.frameEqual(rows([3])), second.toString());
    assert.deepEqual(source.skipped().map((s) => s.code), ["KAFKA"]);
    assert.equal(source.exhausted(), false, "an unbounded source is never exhausted");
  });

  it("bad messages (not JSON, a JSON array, no event time) are skipped, counted in the progress records and dead-lettered with the reason; every good row is processed", async () => {
    const topic = uniqueTopic("qbad");
    const deadLetter = `${topic}-dead`;
    topics.push(topic, deadLetter);
    const producer = track(await KafkaProducer.connect({ bootstrap: bootstrap(), partitions: 1 }));
    await producer.sendFrame(topic, rows([0, 1]), { keyField: "uuid" });
    await producer.send(topic, [
      { key: "b1", value: "not json" },
      { key: "b2", value: "[1,2]" },
      { key: "b3", value: JSON.stringify({ uuid: "u9", offset: 3, speed: 1 }) },
    ]);
    await producer.sendFrame(topic, rows([4, 5]), { keyField: "uuid" });
    const sink = new MemoryStreamSink();
    const progress: ProgressRecord[] = [];
    const source = kafkaSource({ topic, name: "locations", bootstrap: bootstrap(), once: true, deadLetter });
    const q = readStream(source).withWatermark("timestamp", "10 seconds").writeStream({ sinks: [sink], trigger: "once", onProgress: (p) => progress.push(p) });
    await q.start().awaitTermination();
    assert.deepEqual([...sink.table().getColumn("offset").toArray()].sort(), [0, 1, 4, 5], "every good row, nothing else");
    assert.equal(progress.reduce((n, p) => n + (p.numSkipped?.locations ?? 0), 0), 3, "counted in the progress records");
    assert.deepEqual(q.skipped().map((k) => k.code), ["KAFKA", "KAFKA", "KAFKA"]);
    const dead = await readTopicMessages(deadLetter, { bootstrap: bootstrap(), idleTimeoutMs: 5_000 });
    assert.deepEqual(dead.map((m) => m.key).sort(), ["b1", "b2", "b3"]);
    const reasons = Object.fromEntries(dead.map((m) => [m.key, m.value as { reason: string; topic: string; value: string }]));
    assert.match(reasons.b1.reason, /not a JSON object/);
    assert.match(reasons.b2.reason, /not a JSON object/);
    assert.match(reasons.b3.reason, /no "timestamp"/);
    assert.equal(reasons.b1.value, "not json");
    assert.equal(reasons.b3.topic, topic);
  });

  it("in once mode reads up to the end as of its first poll, then is exhausted", async () => {
    const topic = uniqueTopic("qonce");
    topics.push(topic);
    const producer = track(await KafkaProducer.connect({ bootstrap: bootstrap(), partitions: 3 }));
    await producer.sendFrame(topic, rows([0, 1, 2, 3, 4, 5]), { keyField: "uuid" });
    const source = track(kafkaSource({ topic, bootstrap: bootstrap(), once: true }));
    const chunks: SourceChunk[] = [];
    for (let got = await source.poll(); got.length > 0; got = await source.poll()) {
      chunks.push(...got);
      await producer.sendFrame(topic, rows([100]), { keyField: "uuid" }); // after the start: not read
    }
    assert.equal(source.exhausted(), true);
    const frame = pl.concat(chunks.map((c) => c.frame)).sort("offset");
    assert.ok(frame.frameEqual(rows([0, 1, 2, 3, 4, 5])), frame.toString());
    assert.equal(source.name, topic.replace(/^.*-/, ""));
  });

  it("kafkaSink sends one message per row: key = the key column, value = the row as JSON with ISO timestamps and batch_id", async () => {
    const topic = uniqueTopic("qsink");
    topics.push(topic);
    const sink = track(kafkaSink({ topic, key: "uuid", bootstrap: bootstrap() }));
    await sink.open();
    await sink.write({ batchId: 7, mode: "update", frame: rows([0, 1, 2]) });
    await sink.write({ batchId: 8, mode: "update", frame: rows([]) });
    assert.deepEqual(sink.stats(), { messages: 3 });
    const got = (await readTopic(topic, { bootstrap: bootstrap(), parseDates: false })).sort("value.offset");
    assert.deepEqual(got.getColumn("key").toArray(), ["u0", "u1", "u0"]);
    assert.deepEqual(got.getColumn("value.timestamp").toArray(), ["2020-01-01T00:00:00.000Z", "2020-01-01T00:00:01.000Z", "2020-01-01T00:00:02.000Z"]);
    assert.deepEqual(got.getColumn("speed").toArray(), [0, 1.5, 3]);
    assert.deepEqual(got.getColumn("batch_id").toArray(), [7, 7, 7]);
  });

  it("continuous trigger: every row once, through a stateless query, with per-row latency in each progress record", async () => {
    const topic = uniqueTopic("qcont");
    topics.push(topic);
    const producer = track(await KafkaProducer.connect({ bootstrap: bootstrap(), partitions: 2 }));
    const firstSend = Date.now();
    await producer.sendFrame(topic, contRows([0, 1, 2, 3]), { keyField: "uuid" });
    const sink = new MemoryStreamSink();
    const progress: ProgressRecord[] = [];
    const q = readStream(kafkaSource({ topic, name: "locations", bootstrap: bootstrap(), deadLetter: false }))
      .filter(pl.col("speed").gt(0))
      .withColumns(pl.col("speed").mul(3.6).alias("kmh"))
      .writeStream({ sinks: [sink], trigger: "continuous", onProgress: (p) => progress.push(p) })
      .start();
    for (const batch of [[4, 5], [6], [7, 8, 9]]) {
      await new Promise((r) => setTimeout(r, 100));
      await producer.sendFrame(topic, contRows(batch), { keyField: "uuid" });
    }
    const deadline = Date.now() + 60_000;
    while (sink.table().height < 9 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await q.stop();
    assert.equal(q.exception, null);
    const out = sink.table().sort("offset");
    assert.deepEqual(out.getColumn("offset").toArray().map(Number), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(out.getColumn("kmh").toArray(), [1, 2, 3, 4, 5, 6, 7, 8, 9].map((o) => o * 1.5 * 3.6));
    const withRows = progress.filter((p) => p.numInputRows.locations > 0);
    assert.ok(withRows.length >= 2, "rows produced while the query runs come in later batches");
    const elapsed = Date.now() - firstSend;
    for (const p of withRows) {
      const l = p.latencyMs!;
      assert.equal(l.rows, p.numInputRows.locations, "one latency per input row");
      assert.ok(l.p50 >= 0 && l.p50 <= l.p99 && l.p99 <= l.max && l.max <= elapsed, JSON.stringify(l));
    }
  });

  it("continuous trigger: a windowed aggregation is refused before it connects", () => {
    const source = kafkaSource({ topic: uniqueTopic("qcont-agg"), bootstrap: bootstrap() });
    assert.throws(() => readStream(source).groupBy("uuid").agg({ n: pl.len() }).writeStream({ mode: "update", sinks: [new MemoryStreamSink()], trigger: "continuous" }), /continuous trigger runs stateless queries only/);
  });

  it("read(kafkaSource({ once: true })).collect(): the same windowed query in batch equals the stream's final result", async () => {
    const topic = uniqueTopic("qbatch");
    topics.push(topic);
    const producer = track(await KafkaProducer.connect({ bootstrap: bootstrap(), partitions: 2 }));
    await producer.sendFrame(topic, contRows([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), { keyField: "uuid" });
    const build = (start: typeof readStream) => start(kafkaSource({ topic, name: "locations", bootstrap: bootstrap(), once: true, maxOffsetsPerTrigger: 4, deadLetter: false }))
      .withWatermark("timestamp", "10 seconds")
      .groupBy("uuid", window("timestamp", "5 seconds"))
      .agg({ n: pl.len(), speed: pl.col("speed").sum() });
    const sink = new MemoryStreamSink();
    const q = build(readStream).writeStream({ mode: "update", sinks: [sink], trigger: "once" });
    await q.start().awaitTermination();
    assert.ok(q.totals.batches >= 3, "several micro-batches (maxOffsetsPerTrigger 4)");
    const keys = ["uuid", "window_start"];
    const streamed = sink.latest(keys).drop("batch_id").sort(keys);
    const batch = (await build(read).collect()).sort(keys);
    assert.ok(batch.frameEqual(streamed), `batch:\n${batch}\nstream:\n${streamed}`);
    assert.equal(Number(batch.getColumn("n").sum()), 12);
  });
});
