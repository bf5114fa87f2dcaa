import assert from "node:assert/strict";
import { CassandraSalesStore, produceSales, saleOf, saveSales, simulateSales, startLocalCassandra, type LocalCassandra } from "../../lib/pipelines/sales";
import { requireBroker, uniqueTopic } from "../helpers/kafka";

/**
 * The lecture's database: a real single-node Cassandra started from the Maven Central jars (or one
 * already listening on 9042). Slow to start (~30 s), hence its own file.
 */
describe("store sales into Cassandra (real Cassandra, real Kafka)", function () {
  this.timeout(300_000);
  let node: LocalCassandra | undefined;
  let store: CassandraSalesStore | undefined;
  before(async () => {
    await requireBroker();
    node = await startLocalCassandra();
  });
  after(async () => {
    await store?.close();
    await node?.stop();
  });

  it("saves every sale once in store.sales, even when all of them are delivered again", async () => {
    const topic = uniqueTopic("sales");
    const sales = simulateSales({ count: 60, seed: 21 });
    await produceSales(sales, { topic });
    store = await CassandraSalesStore.open({ contactPoint: node!.contactPoint });
    const first = await saveSales(store, { topic, groupId: uniqueTopic("g") });
    const again = await saveSales(store, { topic, groupId: uniqueTopic("g") });
    assert.equal(first.saved, 60);
    assert.equal(again.received, 60);
    assert.equal(again.saved, 0);
    const mine = (await store.sales()).filter((s) => s.topic === topic);
    assert.deepEqual(mine.map(saleOf), sales);
  });
});
