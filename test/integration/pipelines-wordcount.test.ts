import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { KafkaProducer, readTopicMessages } from "../../lib/kafka";
import { MemoryStreamSink, socketSource } from "../../lib/stream";
import { batchWordCount, startLineServer, startWordCountPipeline, wordCount, type LineServer } from "../../lib/pipelines/wordcount";
import { requireBroker, uniqueTopic } from "../helpers/kafka";

const LINES = ["the quick brown fox", "jumps over the lazy dog", "The DOG sleeps", "a fox, a dog; THE end"];

/** Latest count per word from changelog rows (highest batch_id wins). */
function latest(rows: Array<{ word: string; count: number; batch_id: number }>): Array<{ word: string; count: number }> {
  const best = new Map<string, { count: number; batch_id: number }>();
  for (const r of rows) if ((best.get(r.word)?.batch_id ?? -1) <= r.batch_id) best.set(r.word, r);
  return [...best].sort(([a], [b]) => (a < b ? -1 : 1)).map(([word, r]) => ({ word, count: r.count }));
}

describe("word count pipeline (real Kafka, real socket)", function () {
  this.timeout(120_000);
  before(requireBroker);
  let server: LineServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  for (const mode of ["update", "complete"] as const) {
    it(`topic → ${mode} counts in the output topic equal a batch count`, async () => {
      const input = uniqueTopic("lines");
      const output = uniqueTopic("word-counts");
      const producer = await KafkaProducer.connect({ partitions: 2 });
      await producer.send(input, LINES.map((l) => ({ key: null, value: l })));
      await producer.close();
      const { query, outputTopic } = startWordCountPipeline({ source: "topic", input, output, mode, once: true });
      await query.awaitTermination();
      assert.equal(outputTopic, output);
      const rows = (await readTopicMessages(output)).map((m) => m.value as { word: string; count: number; batch_id: number });
      assert.deepEqual(latest(rows), batchWordCount(LINES));
      if (mode === "complete") {
        const last = Math.max(...rows.map((r) => r.batch_id));
        assert.equal(rows.filter((r) => r.batch_id === last).length, batchWordCount(LINES).length, "complete: the last batch holds every word");
      }
      // Keys are the words.
      assert.ok((await readTopicMessages(output)).every((m) => m.key === (m.value as { word: string }).word));
    });
  }

  it("socket → running counts equal a batch count of the lines sent", async () => {
    server = await startLineServer({ port: 0 });
    const sink = new MemoryStreamSink();
    const query = wordCount(socketSource({ host: "127.0.0.1", port: server.port }), { mode: "update", sinks: [sink] });
    await server.waitForClients();
    await server.send(LINES.slice(0, 2));
    await server.send(LINES.slice(2));
    await server.close(); // end of input: the source is exhausted, the query ends
    server = undefined;
    await query.awaitTermination();
    const t = sink.table().sort("word");
    const rows = t.toRecords().map((r) => ({ word: String(r.word), count: Number(r.count), batch_id: Number(r.batch_id) }));
    assert.deepEqual(latest(rows), batchWordCount(LINES));
    assert.ok(pl.DataFrame(rows).height >= batchWordCount(LINES).length);
  });

  it("a socket source with no server fails the query with a QUERY error naming host:port", async () => {
    const query = wordCount(socketSource({ host: "127.0.0.1", port: 1 }), { mode: "update", sinks: [new MemoryStreamSink()] });
    await assert.rejects(query.awaitTermination(), (e: Error & { code?: string }) => e.code === "QUERY" && /127\.0\.0\.1:1/.test(e.message));
  });
});
