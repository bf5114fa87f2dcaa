import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { discoverDataset, readPartition } from "../../lib/dataset";
import { WorkerReader } from "../../lib/dataset/worker-reader";
import { accelerationsFrame, locationsFrame, REAL_BDD, requireRealData, tempDir, writeBytes, writeFrame } from "../fixtures/dataset";

/** The comparable content of a partition read: files (path, name, rows as records) and skips. */
function shape(data: Awaited<ReturnType<typeof readPartition>>) {
  return {
    files: data.files.map((f) => ({ path: f.path, name: f.name, columns: f.frame.columns, dtypes: f.frame.dtypes.map(String), rows: f.frame.toRecords() })),
    skipped: data.skipped.map((s) => [s.path, s.code]),
    rows: data.rows,
  };
}

describe("dataset: WorkerReader (parquet decoded on a worker thread)", function () {
  this.timeout(60_000);
  let dir: string;
  let cleanup: () => void;
  let reader: WorkerReader;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir("worker-read"));
    reader = new WorkerReader();
  });
  afterEach(async () => {
    await reader.close();
    cleanup();
  });

  it("returns what readPartition returns, bad files skipped with their codes, and the files as one frame", async () => {
    writeFrame(dir, "locations", "t=003.0", "a.parquet", locationsFrame(2, 3));
    writeFrame(dir, "locations", "t=003.0", "b.parquet", locationsFrame(3, 3));
    writeBytes(dir, "locations/t=003.0/c.parquet", "");
    writeBytes(dir, "locations/t=003.0/d.parquet", "PAR1 not really parquet PAR1");
    writeFrame(dir, "locations", "t=003.0", "e.parquet", locationsFrame(2).drop("speed"));
    const [partition] = (await discoverDataset(dir)).partitions.locations;
    const here = await readPartition(partition);
    const there = await reader.read(partition);
    assert.deepEqual(shape(there), shape(here));
    assert.deepEqual(there.skipped.map((s) => s.code), ["EMPTY_FILE", "BAD_PARQUET", "MISSING_COLUMN"]);
    assert.ok(there.frame, "one frame for the partition");
    assert.ok(there.frame!.frameEqual(pl.concat(here.files.map((f) => f.frame), { how: "diagonal" }), true));
  });

  it("keeps each file's own columns when the files' layouts differ (no whole frame then)", async () => {
    writeFrame(dir, "accelerations", "t=000.0", "a.parquet", accelerationsFrame(3));
    writeFrame(dir, "accelerations", "t=000.0", "b.parquet", accelerationsFrame(2).drop("x"));
    const [partition] = (await discoverDataset(dir)).partitions.accelerations;
    const there = await reader.read(partition);
    assert.deepEqual(shape(there), shape(await readPartition(partition)));
    assert.equal(there.frame, undefined);
    assert.ok(!there.files[1].frame.columns.includes("x"));
  });

  it("hands out a prefetched read, in order, and reads the same partition twice when asked twice", async () => {
    for (const t of ["t=000.0", "t=001.0"]) writeFrame(dir, "locations", t, "a.parquet", locationsFrame(4, Number(t.slice(2))));
    const [p0, p1] = (await discoverDataset(dir)).partitions.locations;
    reader.prefetch(p0);
    reader.prefetch(p1);
    reader.prefetch(p0);
    const a = await reader.read(p0), b = await reader.read(p1), c = await reader.read(p0);
    assert.equal(a.files[0].path, p0.files[0]);
    assert.equal(b.files[0].path, p1.files[0]);
    assert.deepEqual(shape(c), shape(a));
  });

  it("falls back to the main thread once the worker is gone, losing no read", async () => {
    writeFrame(dir, "locations", "t=000.0", "a.parquet", locationsFrame(3));
    const [partition] = (await discoverDataset(dir)).partitions.locations;
    reader.prefetch(partition);
    await reader.close();
    const data = await reader.read(partition);
    assert.equal(data.rows, 3);
    assert.deepEqual(shape(data), shape(await readPartition(partition)));
  });

  it("reads every partition of the real dataset as readPartition does", async function () {
    requireRealData(this);
    const scan = await discoverDataset(REAL_BDD);
    const all = [...scan.partitions.locations, ...scan.partitions.accelerations];
    for (const p of all) reader.prefetch(p);
    let checked = 0;
    for (const p of all) {
      const there = await reader.read(p);
      const here = await readPartition(p);
      assert.equal(there.rows, here.rows, p.dir);
      // Records, not frameEqual: NaN readings equal themselves here (Object.is), not in frameEqual.
      assert.deepEqual(there.frame!.toRecords(), pl.concat(here.files.map((f) => f.frame), { how: "diagonal" }).toRecords(), p.dir);
      checked++;
    }
    assert.equal(checked, all.length);
  });
});
