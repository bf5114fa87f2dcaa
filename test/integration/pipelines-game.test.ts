import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateTraffic, kafkaEventLog, queryEvents, readEvents, startGameApi, storeEvents, type GameApi } from "../../lib/pipelines/game";
import type { EventLog } from "../../lib/pipelines/game";
import { requireBroker, uniqueTopic } from "../helpers/kafka";

describe("game events pipeline (real HTTP, real Kafka, real parquet)", function () {
  this.timeout(120_000);
  before(requireBroker);
  let api: GameApi | undefined;
  let log: EventLog | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await api?.close();
    await log?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    api = log = dir = undefined;
  });

  it("logs every accepted request to Kafka, none of the refused ones, and SQL on the stored events matches what was sent", async () => {
    const topic = uniqueTopic("events");
    log = await kafkaEventLog({ topic });
    api = await startGameApi(log, { port: 0 });
    const sent = await generateTraffic(api.url, { count: 60, seed: 3, badShare: 0.2 });
    const accepted = sent.filter((r) => r.status === 200);
    const refused = sent.filter((r) => r.status >= 400);
    assert.ok(refused.length > 0 && accepted.length > 0, "the mix has both accepted and refused requests");
    assert.ok(refused.every((r) => r.status < 500), "bad requests get 4xx, not 5xx");

    const { frame, skipped } = await readEvents(topic);
    assert.deepEqual(skipped, []);
    assert.equal(frame.height, accepted.length);
    // Headers are flattened to columns.
    assert.deepEqual([...new Set(frame.getColumn("user_agent").toArray())], ["streamlab-traffic"]);

    dir = fs.mkdtempSync(path.join(os.tmpdir(), "game-"));
    storeEvents(frame, dir);
    const result = queryEvents(dir, "SELECT item, SUM(quantity) AS bought FROM purchases GROUP BY item ORDER BY item");
    // Expected from the requests the API accepted, computed independently of Kafka and polars.
    const expected = new Map<string, number>();
    for (const r of accepted) {
      if (r.path !== "/purchase_item" && r.path !== "/purchase_a_sword") continue;
      const item = r.path === "/purchase_a_sword" ? "sword" : r.params.item;
      expected.set(item, (expected.get(item) ?? 0) + Number(r.params.quantity ?? 1));
    }
    assert.deepEqual(result.toRecords(), [...expected].sort(([a], [b]) => a.localeCompare(b)).map(([item, bought]) => ({ item, bought })));
    // The API's per-user inventories agree with the stored events too.
    const ann = queryEvents(dir, "SELECT item, SUM(quantity) AS n FROM purchases WHERE \"user\" = 'ann' GROUP BY item").toRecords();
    assert.deepEqual(Object.fromEntries(ann.map((r) => [r.item, r.n])), api.players.get("ann").inventory);
  });
});
