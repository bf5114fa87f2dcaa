/**
 * The file source's formats (issue #13 item 1): JSON lines and CSV beside parquet, an optional
 * schema (Spark's `.schema(...)`: the columns and types each file must have), files directly in the
 * folder as well as in `t=…` partitions. A file that cannot be parsed or does not match the schema is
 * skipped, counted and dead-lettered with its reason, as a bad parquet file is. Real files in a temp folder.
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { fileStreamSource, foreachBatch, MemoryStreamSink, readStream, window, type FileStreamSourceOptions, type ProgressRecord } from "../../lib/stream";

const iso = (s: number) => new Date(Date.UTC(2020, 0, 1) + s * 1000).toISOString();
const jsonLines = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
const SCHEMA = { uuid: pl.Utf8, timestamp: pl.Datetime("ms"), speed: pl.Float64 };

describe("file source formats (json, csv, schema)", () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "streamlab-formats-"));
    dir = path.join(root, "events");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function put(rel: string, text: string | pl.DataFrame): string {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    if (typeof text === "string") writeFileSync(file, text);
    else text.writeParquet(file);
    return file;
  }

  async function run(options: Omit<FileStreamSourceOptions, "dir">) {
    const sink = new MemoryStreamSink();
    const progress: ProgressRecord[] = [];
    const query = readStream(fileStreamSource({ dir, once: true, maxFilesPerTrigger: 1, ...options }))
      .writeStream({ sinks: [sink], trigger: "once", onProgress: (p) => progress.push(p) }).start();
    await query.awaitTermination();
    return { out: sink.table(), skipped: query.skipped(), numSkipped: progress.reduce((n, p) => n + (p.numSkipped?.events ?? 0), 0) };
  }

  it("json: one object per line, the ISO timestamp becomes the Datetime event time, in partition order", async () => {
    put("t=003.0/b.json", jsonLines([{ uuid: "b", timestamp: iso(3.5), speed: 2 }]));
    put("t=000.0/a.json", jsonLines([{ uuid: "a", timestamp: iso(0.5), speed: 1.5 }, { uuid: "a", timestamp: iso(1), speed: 3 }]));
    put("t=000.0/ignored.csv", "uuid,timestamp\nz,2020-01-01T00:00:00Z\n"); // another format: not read
    const { out, skipped } = await run({ format: "json" });
    assert.deepEqual(out.getColumn("uuid").toArray(), ["a", "a", "b"]);
    assert.equal(out.getColumn("timestamp").dtype.variant, "Datetime");
    assert.deepEqual((out.getColumn("timestamp").toArray() as unknown as Date[]).map((d) => d.toISOString()), [iso(0.5), iso(1), iso(3.5)]);
    assert.deepEqual(out.getColumn("speed").toArray(), [1.5, 3, 2]);
    assert.deepEqual(skipped, []);
  });

  it("csv with a schema: values converted to its types, its columns only, in its order; a windowed count over them", async () => {
    put("t=000.0/a.csv", `speed,uuid,timestamp,extra\n1,a,${iso(0.5)},x\n2,b,${iso(1.5)},y\n`);
    put("t=005.0/b.csv", `uuid,timestamp,speed\na,${iso(5.5)},007\n`);
    const sink = new MemoryStreamSink();
    await readStream(fileStreamSource({ dir, once: true, format: "csv", schema: SCHEMA }))
      .withWatermark("timestamp", "1 second").groupBy(window("timestamp", "5 seconds")).agg({ n: pl.len(), total: pl.col("speed").sum() })
      .writeStream({ mode: "append", sinks: [sink], trigger: "once" }).start().awaitTermination();
    const t = sink.table().sort("window_start");
    assert.deepEqual(t.getColumn("n").toArray().map(Number), [2, 1]);
    assert.deepEqual(t.getColumn("total").toArray(), [3, 7]);
    const { out } = await run({ format: "csv", schema: SCHEMA });
    assert.deepEqual(out.columns, ["uuid", "timestamp", "speed"]);
    assert.deepEqual(out.dtypes.map((d) => d.variant), ["String", "Datetime", "Float64"]);
    assert.deepEqual(out.getColumn("speed").toArray(), [1, 2, 7]);
  });

  it("a file that cannot be parsed, or does not match the schema, is skipped, counted and dead-lettered; the good rows are read", async () => {
    put("t=000.0/good.json", jsonLines([{ uuid: "a", timestamp: iso(0), speed: 1 }]));
    const bad = {
      BAD_FILE: put("t=000.0/broken.json", '{"uuid": "b", "timestamp": \n'),
      EMPTY_FILE: put("t=001.0/empty.json", ""),
      MISSING_COLUMN: put("t=001.0/nospeed.json", jsonLines([{ uuid: "c", timestamp: iso(1) }])),
      BAD_COLUMN_TYPE: put("t=002.0/textspeed.json", jsonLines([{ uuid: "d", timestamp: iso(2), speed: "fast" }])),
      BAD_COLUMN_TYPE_TIME: put("t=002.0/badtime.json", jsonLines([{ uuid: "e", timestamp: "yesterday", speed: 1 }])),
    };
    put("t=003.0/good2.json", jsonLines([{ uuid: "f", timestamp: iso(3), speed: 2 }]));
    const { out, skipped, numSkipped } = await run({ format: "json", schema: SCHEMA });
    assert.deepEqual(out.getColumn("uuid").toArray(), ["a", "f"]);
    const codes = Object.fromEntries(skipped.map((s) => [s.path, s.code]));
    assert.deepEqual(codes, { [bad.BAD_FILE]: "BAD_FILE", [bad.EMPTY_FILE]: "EMPTY_FILE", [bad.MISSING_COLUMN]: "MISSING_COLUMN", [bad.BAD_COLUMN_TYPE]: "BAD_COLUMN_TYPE", [bad.BAD_COLUMN_TYPE_TIME]: "BAD_COLUMN_TYPE" });
    assert.equal(numSkipped, 5);
    assert.match(skipped.find((s) => s.code === "MISSING_COLUMN")!.reason, /no column "speed", which the schema asks for/);
    assert.match(skipped.find((s) => s.path === bad.BAD_COLUMN_TYPE_TIME)!.reason, /"timestamp".*ISO-8601/);
    // Dead-lettered like a bad parquet file: a copy beside its reason.
    const copy = path.join(dir, "_dead-letter", "t=000.0", "broken.json");
    assert.equal(readFileSync(copy, "utf8"), '{"uuid": "b", "timestamp": \n');
    assert.equal(JSON.parse(readFileSync(`${copy}.reason.json`, "utf8")).code, "BAD_FILE");
  });

  it("parquet with a schema: types converted (Int64 speed → Float64), a file without a schema column skipped", async () => {
    const frame = (uuid: string, s: number) => pl.DataFrame({ uuid: [uuid], timestamp: pl.Series("timestamp", [new Date(iso(s))], pl.Datetime("ms")), speed: pl.Series("speed", [3], pl.Int64), other: [1] });
    put("t=000.0/a.parquet", frame("a", 0));
    const missing = put("t=001.0/b.parquet", frame("b", 1).drop("speed"));
    const { out, skipped } = await run({ schema: SCHEMA });
    assert.deepEqual(out.columns, ["uuid", "timestamp", "speed"]);
    assert.equal(String(out.getColumn("speed").dtype), String(pl.Float64));
    assert.deepEqual(skipped.map((s) => [s.path, s.code]), [[missing, "MISSING_COLUMN"]]);
  });

  it("reads files dropped directly into the folder, including ones that arrive later (Spark's layout)", async () => {
    put("1.json", jsonLines([{ uuid: "a", timestamp: iso(0), speed: 1 }]));
    const batches: string[][] = [];
    const query = readStream(fileStreamSource({ dir, format: "json" }))
      .writeStream({ sinks: [foreachBatch((f) => { batches.push(f.getColumn("uuid").toArray() as string[]); })], idleSleep: 10 }).start();
    while (batches.length < 1) await new Promise((r) => setTimeout(r, 10));
    put("2.json", jsonLines([{ uuid: "b", timestamp: iso(1), speed: 2 }]));
    while (batches.length < 2) await new Promise((r) => setTimeout(r, 10));
    await query.stop();
    assert.deepEqual(batches, [["a"], ["b"]]);
  });

  it("a checkpointed query re-reads a logged batch of flat JSON files after a failure", async () => {
    put("1.json", jsonLines([{ uuid: "a", timestamp: iso(0), speed: 1 }]));
    put("2.json", jsonLines([{ uuid: "b", timestamp: iso(1), speed: 2 }]));
    const seen: [number, string[]][] = [];
    const run1 = (failAt: number) => readStream(fileStreamSource({ dir, format: "json", once: true, maxFilesPerTrigger: 1 }))
      .writeStream({ sinks: [foreachBatch((f, id) => { if (id === failAt) throw new Error("boom"); seen.push([id, f.getColumn("uuid").toArray() as string[]]); })], trigger: "once", checkpointLocation: path.join(root, "ckpt") })
      .start().awaitTermination();
    await assert.rejects(run1(1), /batch 1/);
    await run1(-1);
    assert.deepEqual(seen, [[0, ["a"]], [1, ["b"]]]);
  });

  it("rejects an unknown format and a schema that is not column → polars type", () => {
    assert.throws(() => fileStreamSource({ dir, format: "xml" as never }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /format/.test(e.message));
    assert.throws(() => fileStreamSource({ dir, schema: { speed: "double" as never } }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /schema\.speed/.test(e.message));
    assert.throws(() => fileStreamSource({ dir, schema: {} }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && /schema/.test(e.message));
    assert.equal(existsSync(dir), false);
  });
});
