import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import pl from "nodejs-polars";
import { createTopics } from "../../lib/kafka/admin";
import { KafkaProducer } from "../../lib/kafka/producer";
import { subscribe } from "../../lib/kafka/consumer";
import { readTopic, readTopicMessages } from "../../lib/kafka/read";
import { isStreamlabError } from "../../lib/errors";
import { bootstrap, closeAll, deleteTestTopics, requireBroker, track, uniqueTopic, waitForMessages } from "../helpers/kafka";

function rides(n: number): pl.DataFrame {
  const uuids = ["ride-a", "ride-b", "ride-c", "ride-d", "ride-e"];
  return pl.DataFrame({
    uuid: Array.from({ length: n }, (_, i) => uuids[i % uuids.length]),
    offset: Array.from({ length: n }, (_, i) => i * 0.5),
    speed: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i * 1.25)),
    timestamp: Array.from({ length: n }, (_, i) => new Date(Date.UTC(2026, 10, 20, 10, 0, 0, i * 500))),
  }).withColumn(pl.col("timestamp").cast(pl.Datetime("ms")));
}

describe("kafka consumer helpers (real broker)", function () {
  this.timeout(90_000);
  before(requireBroker);
  afterEach(closeAll);
  after(deleteTestTopics);

  async function produced(topic: string, frame: pl.DataFrame, partitions = 3) {
    await createTopics(topic, { bootstrap: bootstrap(), partitions });
    const producer = track(await KafkaProducer.connect({ bootstrap: bootstrap() }));
    const reports = await producer.sendFrame(topic, frame, { keyField: "uuid" });
    return { producer, reports };
  }

  it("take returns the produced rows as a DataFrame, one partition per key", async () => {
    const topic = uniqueTopic("take");
    const source = rides(40);
    const { reports } = await produced(topic, source);
    const sub = track(await subscribe({ bootstrap: bootstrap(), topics: topic, from: "earliest" }));
    const df = await sub.take({ n: 40, timeoutMs: 30_000 });
    assert.equal(df.height, 40);
    const back = df.sort(["value.offset"]).select("uuid", "value.offset", "speed", "value.timestamp").rename({ "value.offset": "offset", "value.timestamp": "timestamp" });
    assert.ok(back.frameEqual(source, true), `${back.head(3)}\n!=\n${source.head(3)}`);
    const perKey = df.groupBy("key").agg(pl.col("partition").nUnique().alias("n"));
    assert.deepEqual([...new Set(perKey.getColumn("n").toArray())], [1]);
    // The delivery reports name the same partition/offset the consumer sees.
    const seen = new Set(df.select("partition", "offset").toRecords().map((r) => `${r.partition}/${r.offset}`));
    assert.deepEqual(new Set(reports.map((r) => `${r.partition}/${r.offset}`)), seen);
  });

  it("from latest sees only what is produced after subscribing", async () => {
    const topic = uniqueTopic("latest");
    const { producer } = await produced(topic, rides(10));
    const sub = track(await subscribe({ bootstrap: bootstrap(), topics: topic, from: "latest" }));
    await producer.send(topic, [{ key: "new", value: JSON.stringify({ n: 1 }) }]);
    const got = await sub.takeMessages({ n: 1, timeoutMs: 30_000 });
    assert.deepEqual(got.map((m) => [m.key, m.value]), [["new", { n: 1 }]]);
    assert.deepEqual(await sub.takeMessages({ n: 1, timeoutMs: 300 }), [], "nothing older arrives");
  });

  it("a named group resumes after its committed offsets; without commit it starts over", async () => {
    const topic = uniqueTopic("group");
    await produced(topic, rides(6), 1);
    const group = `${topic}-g`;
    const first = track(await subscribe({ bootstrap: bootstrap(), topics: topic, group }));
    const firstTwo = await first.takeMessages({ n: 2, timeoutMs: 30_000 });
    await first.commit();
    await first.close();
    const second = track(await subscribe({ bootstrap: bootstrap(), topics: topic, group }));
    const rest = await second.takeMessages({ n: 4, timeoutMs: 30_000 });
    assert.deepEqual(firstTwo.map((m) => m.offset), [0, 1]);
    assert.deepEqual(rest.map((m) => m.offset), [2, 3, 4, 5]);
    await second.close(); // no commit: a third member starts again at 2
    const third = track(await subscribe({ bootstrap: bootstrap(), topics: topic, group }));
    assert.equal((await third.next(30_000))?.offset, 2);
  });

  it("without a group nothing is committed and commit() is refused", async () => {
    const topic = uniqueTopic("nogroup");
    await produced(topic, rides(3), 1);
    const a = await waitForMessages(3, { topics: topic });
    const b = await waitForMessages(3, { topics: topic });
    assert.deepEqual(a.map((m) => m.offset), b.map((m) => m.offset));
    const sub = track(await subscribe({ bootstrap: bootstrap(), topics: topic }));
    await assert.rejects(sub.commit(), (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "group");
  });

  it("reads one partition from a given offset", async () => {
    const topic = uniqueTopic("partition");
    const { reports } = await produced(topic, rides(30));
    const p = reports[0].partition;
    const inP = reports.filter((r) => r.partition === p).map((r) => r.offset).sort((x, y) => x - y);
    const sub = track(await subscribe({ bootstrap: bootstrap(), topics: topic, partition: p, offset: 2 }));
    const got = await sub.takeMessages({ n: inP.length - 2, timeoutMs: 30_000 });
    assert.deepEqual(got.map((m) => [m.partition, m.offset]), inP.slice(2).map((o) => [p, o]));
    assert.deepEqual(await sub.takeMessages({ n: 1, timeoutMs: 300 }), [], "no other partition arrives");
    const read = await readTopicMessages(topic, { bootstrap: bootstrap(), partition: p, offset: 1 });
    assert.deepEqual(read.map((m) => m.offset), inP.slice(1));
  });

  it("a small buffer pauses fetching without losing or repeating a message", async () => {
    const topic = uniqueTopic("buffer");
    await produced(topic, rides(40), 1);
    const sub = track(await subscribe({ bootstrap: bootstrap(), topics: topic, bufferSize: 3 }));
    const got = [];
    for (let i = 0; i < 8; i++) got.push(...(await sub.takeMessages({ n: 5, timeoutMs: 30_000 })));
    assert.deepEqual(got.map((m) => m.offset), Array.from({ length: 40 }, (_, i) => i));
  });

  it("drain hands out what is buffered in one call (at most max), in order; next() goes on after it", async () => {
    const topic = uniqueTopic("drain");
    await produced(topic, rides(30), 1);
    const sub = track(await subscribe({ bootstrap: bootstrap(), topics: topic }));
    const first = await sub.drain(20, 30_000);
    assert.ok(first.length > 1 && first.length <= 20, `a fetch at once, capped at 20 (got ${first.length})`);
    const got = [...first];
    while (got.length < 30) {
      const m = await sub.next(30_000);
      assert.ok(m, "the rest arrives");
      got.push(m);
    }
    assert.deepEqual(got.map((m) => m.offset), Array.from({ length: 30 }, (_, i) => i));
    assert.equal(sub.count, 30);
    assert.deepEqual(sub.handedOffsets(topic), { 0: 30 });
    assert.deepEqual(await sub.drain(Infinity, 200), [], "nothing more: empty after the timeout");
  });

  it("readTopic reads from the earliest to the latest offset into a DataFrame", async () => {
    const topic = uniqueTopic("read");
    const { producer } = await produced(topic, rides(25));
    const df = await readTopic(topic, { bootstrap: bootstrap() });
    assert.equal(df.height, 25);
    assert.deepEqual(df.columns.slice(0, 5), ["topic", "partition", "offset", "key", "timestamp"]);
    assert.deepEqual(df.getColumn("value.offset").sort().toArray(), rides(25).getColumn("offset").toArray());
    await producer.send(topic, [{ key: "x", value: "{}" }]);
    assert.equal((await readTopic(topic, { bootstrap: bootstrap() })).height, 26);
  });

  it("printMessages prints topic, partition, offset, key and the pretty JSON value", async () => {
    const topic = uniqueTopic("print");
    const { reports } = await produced(topic, rides(2), 1);
    const lines: string[] = [];
    const sub = track(await subscribe({ bootstrap: bootstrap(), topics: topic }));
    const n = await sub.printMessages({ n: 2, idleTimeoutMs: 30_000, print: (l) => lines.push(l) });
    assert.equal(n, 2);
    assert.match(lines[0], new RegExp(`^${topic} \\[partition 0\\] offset ${reports[0].offset} key ride-a\\n\\{\\n  "uuid": "ride-a"`));
  });

  it("an AbortSignal ends a running loop cleanly and closes the consumer", async () => {
    const topic = uniqueTopic("abort");
    const { producer } = await produced(topic, rides(3), 1);
    const controller = new AbortController();
    const sub = track(await subscribe({ bootstrap: bootstrap(), topics: topic, signal: controller.signal }));
    const seen: number[] = [];
    const loop = (async () => {
      for await (const m of sub) {
        seen.push(m.offset);
        if (seen.length === 3) controller.abort();
      }
    })();
    await loop; // ends: the iterator finishes on abort instead of waiting forever
    assert.deepEqual(seen, [0, 1, 2]);
    assert.equal(sub.closed, true);
    await producer.send(topic, [{ key: "late", value: "{}" }]);
    assert.equal(await sub.next(200), undefined);
  });

  // Regression (abort listener never removed): subscribe() added a listener to the caller's
  // signal and never removed it, so one long-lived AbortController (a notebook's) collected one
  // listener, and kept one closed subscription alive, per subscribe() call.
  it("removes its abort listener when the subscription closes, so a long-lived signal does not pile them up", async () => {
    const topic = uniqueTopic("listeners");
    await produced(topic, rides(1), 1);
    const controller = new AbortController();
    for (let i = 0; i < 3; i++) {
      const sub = track(await subscribe({ bootstrap: bootstrap(), topics: topic, signal: controller.signal }));
      assert.equal(getEventListeners(controller.signal, "abort").length, 1);
      await sub.close();
      assert.equal(getEventListeners(controller.signal, "abort").length, 0);
    }
  });

  // Regression (stale waiters): a next() that timed out left its wake-up function in the waiter
  // list until the next message arrived: polling an idle topic grew that list without bound.
  it("a next() that times out leaves no waiter behind", async () => {
    const topic = uniqueTopic("idle");
    await createTopics(topic, { bootstrap: bootstrap(), partitions: 1 });
    const sub = track(await subscribe({ bootstrap: bootstrap(), topics: topic }));
    for (let i = 0; i < 5; i++) assert.equal(await sub.next(20), undefined);
    assert.equal(sub.waiting, 0);
  });
});
