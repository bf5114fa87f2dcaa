/**
 * foreachBatch and the memory sink as a SQL table. Expected answers follow Spark's own suites:
 * ForeachBatchSinkSuite ("foreachBatch with non-stateful query", "… with stateful query in update
 * mode", "… in complete mode": the function sees each batch's rows and id) and MemorySinkSuite ("registering as a table in Append output mode": 1,2,3 then 1..6;
 * "registering as a table in Complete output mode": the table is the last complete result; update
 * mode adds rows as append does).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { fileStreamSource, foreachBatch, memorySink, memoryTables, MemoryStreamSource, readStream, sql } from "../../lib/stream";
import { at } from "./stream-fixtures";

const values = (vs: number[], t0 = 0) => pl.DataFrame({
  value: pl.Series("value", vs, pl.Int64),
  timestamp: pl.Series("timestamp", vs.map((_, i) => at(t0 + i)), pl.Datetime("ms")),
});
const column = (f: pl.DataFrame, c: string) => f.getColumn(c).toArray().map(Number);

/** Spark's MemoryStream[Int] in a frame: `value` plus the engine's event-time column. */
const ints = (vs: number[]) => values(vs);

describe("foreachBatch", () => {
  it("non-stateful query: each batch's rows once, as ForeachBatchSinkSuite \"foreachBatch with non-stateful query\"", async () => {
    const src = new MemoryStreamSource("mem");
    src.push(ints([1, 2, 3])).push(ints([5, 6, 7])).end();
    const recorded = new Map<number, number[]>();
    // out = in + 2 (1 in the query, 1 in the writer)
    await readStream(src).withColumns(pl.col("value").add(1).alias("value")).writeStream({
      sinks: [foreachBatch((frame, id) => { recorded.set(id, column(frame.withColumns(pl.col("value").add(1).alias("value")), "value")); })], trigger: "once",
    }).start().awaitTermination();
    assert.deepEqual([...recorded], [[0, [3, 4, 5]], [1, [7, 8, 9]]]);
  });

  it("stateful query in update mode: the changed keys per batch, as ForeachBatchSinkSuite \"foreachBatch with stateful query in update mode\"", async () => {
    const src = new MemoryStreamSource("mem");
    src.push(ints([0])).push(ints([1])).push(ints([2, 3])).end();
    const recorded = new Map<number, [number, number][]>();
    await readStream(src).select(pl.col("value").modulo(2).alias("key")).groupBy("key").agg({ value: pl.len() }).writeStream({
      mode: "update",
      // emptyBatches: false leaves out the end-of-input batch of the once trigger (no rows in update mode).
      sinks: [foreachBatch((frame, id) => { recorded.set(id, frame.sort("key").toRecords().map((r) => [Number(r.key), Number(r.value)])); }, { emptyBatches: false })], trigger: "once",
    }).start().awaitTermination();
    assert.deepEqual([...recorded], [[0, [[0, 1]]], [1, [[1, 1]]], [2, [[0, 2], [1, 2]]]]);
  });

  it("stateful query in complete mode: the whole table per batch, as ForeachBatchSinkSuite \"foreachBatch with stateful query in complete mode\"", async () => {
    const src = new MemoryStreamSource("mem");
    src.push(ints([0])).push(ints([1])).push(ints([2])).end();
    const recorded = new Map<number, [number, number][]>();
    await readStream(src).select(pl.col("value").modulo(2).alias("key")).groupBy("key").agg({ value: pl.len() }).writeStream({
      mode: "complete",
      sinks: [foreachBatch((frame, id) => { recorded.set(id, frame.sort("key").toRecords().map((r) => [Number(r.key), Number(r.value)])); })], trigger: "once",
    }).start().awaitTermination();
    assert.deepEqual([...recorded], [[0, [[0, 1]]], [1, [[0, 1], [1, 1]]], [2, [[0, 2], [1, 1]]]]);
  });

  it("calls the function with each micro-batch's rows and id, in order", async () => {
    const src = new MemoryStreamSource("numbers");
    src.push(values([1, 2, 3])).push(values([4, 5])).push(values([6])).end();
    const seen: { id: number; values: number[] }[] = [];
    const q = readStream(src).filter(pl.col("value").gt(1)).writeStream({
      sinks: [foreachBatch((frame, id) => { seen.push({ id, values: column(frame, "value") }); })], trigger: "once",
    }).start();
    await q.awaitTermination();
    assert.deepEqual(seen, [{ id: 0, values: [2, 3] }, { id: 1, values: [4, 5] }, { id: 2, values: [6] }]);
  });

  it("waits for an async function before the next batch", async () => {
    const src = new MemoryStreamSource("numbers");
    src.push(values([1])).push(values([2])).end();
    const log: string[] = [];
    const q = readStream(src).writeStream({
      sinks: [foreachBatch(async (_f, id) => { log.push(`start ${id}`); await new Promise((r) => setTimeout(r, 20)); log.push(`end ${id}`); })], trigger: "once",
    }).start();
    await q.awaitTermination();
    assert.deepEqual(log, ["start 0", "end 0", "start 1", "end 1"]);
  });

  it("a failing function stops the query with a QUERY error naming the batch; later batches do not run", async () => {
    const src = new MemoryStreamSource("numbers");
    src.push(values([1])).push(values([2])).push(values([3])).end();
    const ids: number[] = [];
    const q = readStream(src).writeStream({
      sinks: [foreachBatch((_f, id) => { ids.push(id); if (id === 1) throw new Error("database down"); }, { name: "to-db" })], trigger: "once",
    }).start();
    await assert.rejects(q.awaitTermination(), (e: unknown) => isStreamlabError(e, "QUERY") && /to-db.*batch 1 .*database down/.test(e.message));
    assert.deepEqual(ids, [0, 1]);
    assert.equal(q.isActive, false);
  });

  it("rejects a non-function with BAD_OPTION", () => {
    assert.throws(() => foreachBatch("nope" as never), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /foreachBatch/.test(e.message));
  });

  describe("with a checkpoint: at least once (a failed batch runs again on restart, with the same id and rows)", () => {
    let root: string;
    beforeEach(() => {
      root = mkdtempSync(path.join(tmpdir(), "streamlab-foreach-"));
      for (const [p, vs] of [[0, [1, 2]], [3, [3]], [6, [4, 5]]] as const) {
        const dir = path.join(root, "input", "numbers", `t=${p.toFixed(1).padStart(5, "0")}`);
        mkdirSync(dir, { recursive: true });
        values([...vs], p).writeParquet(path.join(dir, "part.parquet"));
      }
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it("the restarted query calls the function for the failed batch again and not for the committed ones", async () => {
      const run = (fn: (frame: pl.DataFrame, id: number) => void) => readStream(fileStreamSource({ dir: path.join(root, "input", "numbers"), once: true, maxFilesPerTrigger: 1, deadLetter: false }))
        .writeStream({ sinks: [foreachBatch(fn)], trigger: "once", checkpointLocation: path.join(root, "checkpoint") }).start().awaitTermination();
      const first: [number, number[]][] = [];
      await assert.rejects(run((f, id) => { if (id === 1) throw new Error("boom"); first.push([id, column(f, "value")]); }), /batch 1/);
      const second: [number, number[]][] = [];
      await run((f, id) => { second.push([id, column(f, "value")]); });
      assert.deepEqual(first, [[0, [1, 2]]]);
      assert.deepEqual(second, [[1, [3]], [2, [4, 5]]]);
    });
  });
});

describe("memory sink as a SQL table (sql)", () => {
  it("append mode: the table grows with each batch (MemorySinkSuite: 1,2,3 then 1..6)", async () => {
    const src = new MemoryStreamSource("numbers");
    const q = readStream(src).writeStream({ name: "memStream", sinks: [memorySink()], idleSleep: 5 }).start();
    src.push(values([1, 2, 3]));
    await waitFor(() => q.totals.batches === 1);
    assert.deepEqual(column(sql("select value from memStream order by value"), "value"), [1, 2, 3]);
    src.push(values([4, 5, 6])).end();
    await q.awaitTermination();
    assert.deepEqual(column(sql("select value from memStream order by value"), "value"), [1, 2, 3, 4, 5, 6]);
    assert.ok(memoryTables().includes("memStream"));
  });

  it("complete mode: the table is the last result, queryable with GROUP BY / WHERE / ORDER BY", async () => {
    const src = new MemoryStreamSource("words");
    const words = (ws: string[]) => pl.DataFrame({ word: ws, timestamp: pl.Series("timestamp", ws.map(() => at(0)), pl.Datetime("ms")) });
    src.push(words(["a", "b", "a"])).push(words(["b", "c", "a"])).end();
    const q = readStream(src).groupBy("word").agg({ n: pl.len() })
      .writeStream({ mode: "complete", sinks: [memorySink({ queryName: "wordCounts" })], trigger: "once" }).start();
    await q.awaitTermination();
    const top = sql("select word, n from wordCounts where n > 1 order by n desc, word");
    assert.deepEqual(top.getColumn("word").toArray(), ["a", "b"]);
    assert.deepEqual(column(top, "n"), [3, 2]);
    assert.equal(sql("select count(*) as rows from wordCounts").getColumn("rows").toArray().map(Number)[0], 3);
  });

  it("update mode: the changelog, every updated row with its batch_id", async () => {
    const src = new MemoryStreamSource("words");
    const words = (ws: string[]) => pl.DataFrame({ word: ws, timestamp: pl.Series("timestamp", ws.map(() => at(0)), pl.Datetime("ms")) });
    src.push(words(["a", "b"])).push(words(["a"])).end();
    await readStream(src).groupBy("word").agg({ n: pl.len() })
      .writeStream({ mode: "update", name: "changes", sinks: [memorySink()], trigger: "once" }).start().awaitTermination();
    const rows = sql("select word, n, batch_id from changes order by batch_id, word");
    assert.deepEqual(rows.getColumn("word").toArray(), ["a", "b", "a"]);
    assert.deepEqual(column(rows, "n"), [1, 1, 2]);
  });

  it("refuses a second running query with the same name, and a new run replaces a stopped one's table", async () => {
    const running = new MemoryStreamSource("a");
    const q1 = readStream(running).writeStream({ name: "taken", sinks: [memorySink()], idleSleep: 5 }).start();
    running.push(values([1]));
    await waitFor(() => q1.totals.batches === 1);
    const q2 = readStream(new MemoryStreamSource("b").push(values([9])).end()).writeStream({ name: "taken", sinks: [memorySink()], trigger: "once" }).start();
    await assert.rejects(q2.awaitTermination(), (e: unknown) => isStreamlabError(e, "QUERY") && /already owns the table "taken"/.test(e.message));
    await q1.stop();
    await readStream(new MemoryStreamSource("c").push(values([7])).end()).writeStream({ name: "taken", sinks: [memorySink()], trigger: "once" }).start().awaitTermination();
    assert.deepEqual(column(sql("select value from taken"), "value"), [7]);
  });

  it("a query polars cannot run is BAD_OPTION naming the tables", () => {
    assert.throws(() => sql("select * from no_such_table"), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /the tables are: .*memStream/.test(e.message));
    assert.throws(() => sql(""), (e: unknown) => isStreamlabError(e, "BAD_OPTION"));
  });
});

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}
