/**
 * The continuous trigger on the real broker: a stateless query over a Kafka topic processes each
 * fetched batch as it comes, every row once, and each progress record reports the latency of its
 * rows from their message timestamps.
 */
import { strict as assert } from "node:assert";
import pl from "nodejs-polars";
import { deleteTopics } from "../../lib/kafka/admin";
import { KafkaProducer } from "../../lib/kafka/producer";
import { kafkaSource, MemoryStreamSink, readStream, type ProgressRecord } from "../../lib/stream";
import { bootstrap, closeAll, requireBroker, track, uniqueTopic } from "../helpers/kafka";

const rows = (offsets: number[]) => pl.DataFrame({
  uuid: offsets.map((o) => `u${o % 3}`),
  timestamp: pl.Series("timestamp", offsets.map((o) => new Date(Date.parse("2020-01-01T00:00:00Z") + o * 1000)), pl.Datetime("ms")),
  offset: offsets,
  speed: offsets.map((o) => o * 1.5),
});

describe("continuous trigger on a Kafka topic (real broker)", function () {
  this.timeout(120_000);
  const topics: string[] = [];
  before(requireBroker);
  afterEach(closeAll);
  after(async () => {
    if (topics.length > 0) await deleteTopics(topics, { bootstrap: bootstrap() }).catch(() => undefined);
  });

  it("every row once, through a stateless query, with per-row latency in each progress record", async () => {
    const topic = uniqueTopic("qcont");
    topics.push(topic);
    const producer = track(await KafkaProducer.connect({ bootstrap: bootstrap(), partitions: 2 }));
    const firstSend = Date.now();
    await producer.sendFrame(topic, rows([0, 1, 2, 3]), { keyField: "uuid" });
    const sink = new MemoryStreamSink();
    const progress: ProgressRecord[] = [];
    const q = readStream(kafkaSource({ topic, name: "locations", bootstrap: bootstrap(), deadLetter: false }))
      .filter(pl.col("speed").gt(0))
      .withColumns(pl.col("speed").mul(3.6).alias("kmh"))
      .writeStream({ sinks: [sink], trigger: "continuous", onProgress: (p) => progress.push(p) })
      .start();
    for (const batch of [[4, 5], [6], [7, 8, 9]]) {
      await new Promise((r) => setTimeout(r, 100));
      await producer.sendFrame(topic, rows(batch), { keyField: "uuid" });
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

  it("a windowed aggregation with the continuous trigger is refused before it connects", () => {
    const source = kafkaSource({ topic: uniqueTopic("qcont-agg"), bootstrap: bootstrap() });
    assert.throws(() => readStream(source).groupBy("uuid").agg({ n: pl.len() }).writeStream({ mode: "update", sinks: [new MemoryStreamSink()], trigger: "continuous" }), /continuous trigger runs stateless queries only/);
  });
});
