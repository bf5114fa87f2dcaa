import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import pl from "nodejs-polars";
import { discoverDataset, loadDataset, readParquetFile, readPartition, requiredColumns, SCHEMA, validateFrame, type Partition } from "../../lib/dataset";
import { DataError } from "../../lib/errors";
import { accelerationsFrame, locationsFrame, REAL_BDD, requireRealData, tempDir, writeBytes, writeFrame } from "../fixtures/dataset";

function rejectsWith(code: string, file: string, extra?: (e: DataError) => void) {
  return (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.path, file);
    assert.ok(e.message.includes(file), "the message names the file");
    extra?.(e);
    return true;
  };
}

describe("dataset: schema", () => {
  it("keeps the full schema as data, with uuid, offset and speed required", () => {
    assert.deepEqual(requiredColumns("locations"), ["uuid", "offset", "speed"]);
    assert.deepEqual(requiredColumns("accelerations"), ["uuid", "offset"]);
    assert.equal(SCHEMA.locations.length, 13);
    assert.equal(SCHEMA.accelerations.length, 10);
  });

  it("accepts a frame with the required columns and extra ones", () => {
    assert.doesNotThrow(() => validateFrame("locations", locationsFrame(), "f.parquet"));
  });

  for (const [table, column] of [["locations", "uuid"], ["locations", "offset"], ["locations", "speed"], ["accelerations", "uuid"], ["accelerations", "offset"]] as const) {
    it(`rejects a ${table} frame without "${column}" with MISSING_COLUMN`, () => {
      const frame = (table === "locations" ? locationsFrame() : accelerationsFrame()).drop(column);
      assert.throws(() => validateFrame(table, frame, "x.parquet"), rejectsWith("MISSING_COLUMN", "x.parquet", (e) => assert.equal(e.context.column, column)));
    });
  }

  it("rejects a required column of the wrong dtype with BAD_COLUMN_TYPE naming found and expected types", () => {
    const frame = locationsFrame().withColumn(pl.col("offset").cast(pl.String));
    assert.throws(() => validateFrame("locations", frame, "y.parquet"), rejectsWith("BAD_COLUMN_TYPE", "y.parquet", (e) => {
      assert.equal(e.context.column, "offset");
      assert.match(e.message, /type String, expected Float64/);
    }));
    const intUuid = accelerationsFrame().withColumn(pl.lit(7).cast(pl.Int64).alias("uuid"));
    assert.throws(() => validateFrame("accelerations", intUuid, "z.parquet"), rejectsWith("BAD_COLUMN_TYPE", "z.parquet"));
  });
});

describe("dataset: readParquetFile and readPartition", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("read")));
  afterEach(() => cleanup());

  it("reads a valid file into an equal frame", async () => {
    const frame = locationsFrame(4, 10);
    const file = writeFrame(dir, "locations", "t=010.0", "a.parquet", frame);
    const read = await readParquetFile(file, "locations");
    assert.ok(read.frameEqual(frame, true));
  });

  it("accepts a file with 0 rows", async () => {
    const file = writeFrame(dir, "accelerations", "t=000.0", "empty.parquet", accelerationsFrame(3).head(0));
    assert.equal((await readParquetFile(file, "accelerations")).height, 0);
  });

  it("rejects a zero-byte file with EMPTY_FILE", async () => {
    const file = writeBytes(dir, "locations/t=000.0/zero.parquet", "");
    await assert.rejects(readParquetFile(file, "locations"), rejectsWith("EMPTY_FILE", file));
  });

  it("rejects random bytes with BAD_PARQUET", async () => {
    const bytes = Buffer.alloc(3000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 251;
    const file = writeBytes(dir, "locations/t=000.0/random.parquet", bytes);
    await assert.rejects(readParquetFile(file, "locations"), rejectsWith("BAD_PARQUET", file));
  });

  it("rejects a truncated copy of a parquet file with BAD_PARQUET", async () => {
    const good = writeFrame(dir, "locations", "t=000.0", "good.parquet", locationsFrame(50));
    const bytes = readFileSync(good);
    const file = writeBytes(dir, "locations/t=000.0/truncated.parquet", bytes.subarray(0, Math.floor(bytes.length / 2)));
    await assert.rejects(readParquetFile(file, "locations"), rejectsWith("BAD_PARQUET", file, (e) => assert.match(e.message, /truncated/)));
  });

  it("turns a native polars decoding error (corrupt footer, valid magic bytes) into BAD_PARQUET with the cause", async () => {
    const good = writeFrame(dir, "accelerations", "t=000.0", "good.parquet", accelerationsFrame(50));
    const bytes = Buffer.from(readFileSync(good));
    const footer = bytes.readUInt32LE(bytes.length - 8);
    bytes.fill(0xff, bytes.length - 8 - footer, bytes.length - 8);
    const file = writeBytes(dir, "accelerations/t=000.0/corrupt.parquet", bytes);
    await assert.rejects(readParquetFile(file, "accelerations"), rejectsWith("BAD_PARQUET", file, (e) => assert.ok(e.cause instanceof Error)));
  });

  it("survives 60 randomly corrupted copies of a file: each reads as a valid frame or is BAD_PARQUET", async () => {
    const good = readFileSync(writeFrame(dir, "locations", "t=000.0", "good.parquet", locationsFrame(40)));
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    const codes = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const bytes = Buffer.from(good);
      for (let k = 0; k < 1 + (i % 5); k++) bytes[4 + (next() % (bytes.length - 8))] ^= 0xff;
      const file = writeBytes(dir, `locations/t=000.0/c${i}.parquet`, bytes);
      try {
        assert.ok((await readParquetFile(file, "locations")).height >= 0);
        codes.add("read");
      } catch (e) {
        assert.ok(e instanceof DataError && ["BAD_PARQUET", "MISSING_COLUMN", "BAD_COLUMN_TYPE"].includes(e.code), String(e));
        codes.add(e.code);
      }
    }
    assert.ok(codes.has("BAD_PARQUET"), "some corruptions are detected");
  });

  it("rejects a truncated copy of a real file with BAD_PARQUET", async function () {
    requireRealData(this);
    const scan = await discoverDataset(REAL_BDD, { tables: ["accelerations"] });
    const real = readFileSync(scan.partitions.accelerations[3].files[0]);
    const file = writeBytes(dir, "accelerations/t=000.0/real-truncated.parquet", real.subarray(0, real.length - 100));
    await assert.rejects(readParquetFile(file, "accelerations"), rejectsWith("BAD_PARQUET", file));
  });

  it("reads a partition once, skipping each bad file with its code, never throwing", async () => {
    const good1 = writeFrame(dir, "locations", "t=003.0", "a.parquet", locationsFrame(2, 3));
    const good2 = writeFrame(dir, "locations", "t=003.0", "b.parquet", locationsFrame(3, 3));
    const zero = writeBytes(dir, "locations/t=003.0/c.parquet", "");
    const junk = writeBytes(dir, "locations/t=003.0/d.parquet", "PAR1 not really parquet PAR1");
    const noSpeed = writeFrame(dir, "locations", "t=003.0", "e.parquet", locationsFrame(2).drop("speed"));
    const [partition] = (await discoverDataset(dir)).partitions.locations;
    const seen: string[] = [];
    const data = await readPartition(partition, { onSkip: (s) => seen.push(s.code) });
    assert.deepEqual(data.files.map((f) => f.path), [good1, good2]);
    assert.deepEqual(data.files.map((f) => f.name), ["a.parquet", "b.parquet"]);
    assert.equal(data.rows, 5);
    assert.deepEqual(data.skipped.map((s) => [s.path, s.code]), [[zero, "EMPTY_FILE"], [junk, "BAD_PARQUET"], [noSpeed, "MISSING_COLUMN"]]);
    assert.deepEqual(seen, ["EMPTY_FILE", "BAD_PARQUET", "MISSING_COLUMN"]);
    for (const s of data.skipped) assert.ok(s.reason.includes(s.path));
  });

  it("reads a partition of corrupted copies natively first: each file is read or skipped with a code, the process never aborts", async () => {
    const good = readFileSync(writeFrame(dir, "locations", "t=007.0", "good.parquet", locationsFrame(40, 7)));
    let state = 777;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 40; i++) {
      const bytes = Buffer.from(good);
      for (let k = 0; k < 1 + (i % 5); k++) bytes[4 + (next() % (bytes.length - 8))] ^= 0xff;
      writeBytes(dir, `locations/t=007.0/c${String(i).padStart(2, "0")}.parquet`, i % 7 === 0 ? bytes.subarray(0, bytes.length - 50) : bytes);
    }
    const partition = (await discoverDataset(dir)).partitions.locations.find((p) => p.name === "t=007.0")!;
    let pauses = 0;
    const data = await readPartition(partition, { pause: async () => void pauses++ });
    assert.equal(data.files.length + data.skipped.length, 41, "every file accounted for once");
    assert.ok(data.files.some((f) => f.name === "good.parquet"));
    assert.ok(data.skipped.length > 0, "some corruptions are detected");
    for (const s of data.skipped) assert.ok(["BAD_PARQUET", "MISSING_COLUMN", "BAD_COLUMN_TYPE"].includes(s.code), s.reason);
    assert.equal(pauses, 41, "the pause is awaited before each file");
  });

  it("reports a file that vanished between discovery and reading as BAD_PARQUET", async () => {
    const partition: Partition = { table: "locations", name: "t=000.0", time: 0, dir, files: [path.join(dir, "gone.parquet")] };
    const data = await readPartition(partition);
    assert.equal(data.skipped[0].code, "BAD_PARQUET");
    assert.equal(data.rows, 0);
  });

  it("loadDataset concatenates the valid files and collects every skip", async () => {
    writeFrame(dir, "locations", "t=000.0", "a.parquet", locationsFrame(2, 0));
    writeFrame(dir, "locations", "t=003.5", "a.parquet", locationsFrame(1, 3.5));
    writeBytes(dir, "locations/t=003.5/b.parquet", "");
    writeBytes(dir, "locations/_SUCCESS", "");
    const { frames, skipped } = await loadDataset(dir);
    assert.deepEqual(frames.locations?.getColumn("offset").toArray(), [0, 1, 3.5]);
    assert.equal(frames.accelerations, undefined);
    assert.deepEqual(skipped.map((s) => s.code).sort(), ["EMPTY_FILE", "STRAY_FILE"]);
  });

  it("reads all of the real dataset: 478 + 23,512 rows, every file valid", async function () {
    requireRealData(this);
    const { frames, skipped } = await loadDataset(REAL_BDD);
    assert.deepEqual(skipped, []);
    assert.equal(frames.locations?.height, 478);
    assert.equal(frames.accelerations?.height, 23_512);
  });
});

