import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isStreamlabError } from "../../lib/errors";
import { SalesDatabase } from "../../lib/pipelines/sales";

describe("sales database (real SQLite file)", () => {
  let dir: string;
  let db: SalesDatabase | undefined;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "salesdb-"))));
  afterEach(() => {
    db?.close();
    db = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sale = (offset: number, item = "a") => ({ topic: "sales", partition: 0, offset, item, amount: 1.5 * offset, time: offset });

  it("keeps one row per (topic, partition, offset) and survives a reopen", async () => {
    const file = path.join(dir, "store.sqlite");
    db = await SalesDatabase.open({ path: file });
    assert.equal(await db.save([sale(0), sale(1)]), 2);
    assert.equal(await db.save([sale(1), sale(2)]), 1);
    db.close();
    db = await SalesDatabase.open({ path: file });
    assert.deepEqual((await db.sales()).map((s) => s.offset), [0, 1, 2]);
  });

  it("stores hostile text as data: values are bound, never spliced into SQL", async () => {
    db = await SalesDatabase.open({ path: path.join(dir, "store.sqlite") });
    const evil = "a'); DROP TABLE sales; --";
    await db.save([sale(0, evil)]);
    assert.deepEqual(await db.query("SELECT item FROM sales WHERE item = ?", [evil]), [{ item: evil }]);
    assert.equal(await db.count(), 1);
  });

  it("refuses a folder as the database file with SINK_IO naming the path", async () => {
    await assert.rejects(SalesDatabase.open({ path: dir }), (e) => isStreamlabError(e, "SINK_IO") && e.context.path === dir);
  });
});
