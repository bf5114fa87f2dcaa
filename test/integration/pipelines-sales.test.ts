import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { createTopics, KafkaProducer, readTopicMessages } from "../../lib/kafka";
import { produceSales, SalesDatabase, saveSales, simulateSales, summarizeSales, saleOf, tumblingTotals } from "../../lib/pipelines/sales";
import { consumeInGroup } from "../../lib/pipelines/consume";
import { requireBroker, uniqueTopic } from "../helpers/kafka";

describe("store sales pipeline (real Kafka, real SQLite)", function () {
  this.timeout(120_000);
  before(requireBroker);
  let db: SalesDatabase | undefined;
  let dir: string | undefined;
  afterEach(() => {
    db?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    db = dir = undefined;
  });

  it("saves every sale once, even when all of them are delivered again", async () => {
    const topic = uniqueTopic("sales");
    const sales = simulateSales({ count: 300, seed: 11 });
    await produceSales(sales, { topic });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "store-"));
    db = await SalesDatabase.open({ path: path.join(dir, "store.sqlite") });
    const first = await saveSales(db, { topic, groupId: uniqueTopic("g") });
    assert.deepEqual(first, { received: 300, saved: 300, skipped: [] });
    // A second group re-reads the whole topic: the same messages delivered again.
    const again = await saveSales(db, { topic, groupId: uniqueTopic("g") });
    assert.equal(again.received, 300);
    assert.equal(again.saved, 0);
    assert.equal(await db.count(), 300);
    assert.deepEqual((await db.sales()).map(saleOf), sales);
    // The same group again: its offsets are committed, nothing is left to read.
  });

  it("reports a message that is not a sale and saves the rest", async () => {
    const topic = uniqueTopic("sales");
    await produceSales(simulateSales({ count: 3, seed: 1 }), { topic });
    const p = await KafkaProducer.connect({});
    await p.send(topic, [{ key: null, value: '{"item":"a","amount":"lots","time":9}' }]);
    await p.close();
    db = await SalesDatabase.open({ path: ":memory:" });
    const r = await saveSales(db, { topic, groupId: uniqueTopic("g") });
    assert.equal(r.saved, 3);
    assert.deepEqual(r.skipped, [{ at: `${topic}/0@3`, reason: "amount is not a number" }]);
  });

  it("publishes per-5-time-unit totals whose latest value per window equals a batch group-by of the same sales", async () => {
    const topic = uniqueTopic("sales");
    const to = uniqueTopic("sales-summary");
    await produceSales(simulateSales({ count: 400, seed: 12 }), { topic });
    const seen: number[] = [];
    const { windows, late, skipped } = await summarizeSales({ topic, to, size: 5, onWindow: (w) => seen.push(w.batch_id) });
    assert.equal(late, 0);
    assert.deepEqual(skipped, []);

    // Batch: the sales as stored in Kafka, grouped by floor(time / 5) with polars.
    const stored = (await readTopicMessages(topic)).map((m) => m.value as { amount: number; time: number });
    const batch = pl
      .DataFrame({ amount: stored.map((s) => s.amount), time: stored.map((s) => s.time) })
      .withColumn(pl.col("time").div(5).floor().mul(5).cast(pl.Int64).alias("window_start"))
      .groupBy("window_start")
      .agg(pl.col("amount").sum().alias("total"), pl.col("amount").count().alias("count"))
      .sort("window_start");
    // Update mode: a window's value is its message with the highest batch_id (keyed by window_start).
    const messages = await readTopicMessages(to);
    assert.equal(messages.length, seen.length, "every published update is on the topic");
    const latest = new Map<number, { window_start: number; window_end: number; total: number; count: number; batch_id: number }>();
    for (const m of messages) {
      const w = m.value as { window_start: number; window_end: number; total: number; count: number; batch_id: number };
      assert.equal(m.key, String(w.window_start));
      assert.equal(w.window_end, w.window_start + 5);
      if ((latest.get(w.window_start)?.batch_id ?? -1) < w.batch_id) latest.set(w.window_start, w);
    }
    const published = [...latest.values()].sort((a, b) => a.window_start - b.window_start);
    assert.equal(published.length, batch.height);
    assert.deepEqual(published.map((w) => w.window_start), batch.getColumn("window_start").toArray().map(Number));
    assert.deepEqual(published.map((w) => w.count), batch.getColumn("count").toArray().map(Number));
    const totals = batch.getColumn("total").toArray() as number[];
    published.forEach((w, i) => assert.ok(Math.abs(w.total - totals[i]) < 1e-6, `window ${w.window_start}: ${w.total} vs ${totals[i]}`));
    assert.deepEqual(windows, published.map(({ batch_id: _, ...w }) => w));
  });

  it("live: summarizes while the store sells at a pace (until never + expect), in several micro-batches, ending on the batch totals", async () => {
    const topic = uniqueTopic("sales");
    const to = uniqueTopic("sales-summary");
    const sales = simulateSales({ count: 60, seed: 13 });
    // The topic exists before the summary subscribes, as in the notebook.
    await createTopics([topic], { partitions: 1, replicationFactor: 1 });
    const sent: number[] = [];
    const reads: number[] = [];
    const batches = new Set<number>();
    const current = new Map<number, number>();
    const selling = produceSales(sales, { topic, perSecond: 30, onSent: (n) => sent.push(n) });
    const summary = summarizeSales({
      topic, to, size: 5, until: "never", expect: sales.length,
      onWindow: (w) => { batches.add(w.batch_id); current.set(w.window_start, w.total); },
      onRead: (n) => reads.push(n),
    });
    const [sold, { windows, late }] = await Promise.all([selling, summary]);
    assert.equal(sold, 60);
    assert.deepEqual(sent, sales.map((_, i) => i + 1), "one send per sale, in order");
    assert.equal(late, 0);
    assert.ok(batches.size > 1, `read while selling: expected several micro-batches, saw ${batches.size}`);
    assert.equal(reads.at(-1), 60);
    assert.deepEqual(reads, [...reads].sort((a, b) => a - b), "onRead counts only grow");
    const expected = tumblingTotals(sales, 5);
    assert.deepEqual(windows, expected);
    assert.deepEqual([...current].sort(([a], [b]) => a - b), expected.map((w) => [w.window_start, w.total]), "each window's latest update is its final total");
  });

  it("consumeInGroup's done() stops a run with until \"never\" once its input is complete, offsets committed", async () => {
    const topic = uniqueTopic("sales");
    const groupId = uniqueTopic("g");
    await createTopics([topic], { partitions: 1, replicationFactor: 1 });
    let handled = 0;
    const consuming = consumeInGroup({ topic, groupId, until: "never", done: () => handled >= 30, handle: async (ms) => { handled += ms.length; } });
    await produceSales(simulateSales({ count: 30, seed: 15 }), { topic, perSecond: 60 });
    await consuming; // resolves without an abort signal
    assert.equal(handled, 30);
    // The offsets were committed: the group has nothing left to read.
    db = await SalesDatabase.open({ path: ":memory:" });
    assert.equal((await saveSales(db, { topic, groupId })).received, 0);
  });

  it("expect stops the summary after that many messages, also when the topic holds more", async () => {
    const topic = uniqueTopic("sales");
    const to = uniqueTopic("sales-summary");
    const sales = simulateSales({ count: 50, seed: 14 });
    await produceSales(sales, { topic });
    const { windows } = await summarizeSales({ topic, to, size: 5, until: "never", expect: 20 });
    assert.deepEqual(windows, tumblingTotals(sales.slice(0, 20), 5));
    await assert.rejects(summarizeSales({ topic, to, expect: 0 }), /expect/);
  });
});
