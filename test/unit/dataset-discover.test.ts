import assert from "node:assert/strict";
import path from "node:path";
import { mkdirSync } from "node:fs";
import { discoverDataset } from "../../lib/dataset";
import { DataError, isStreamlabError } from "../../lib/errors";
import { accelerationsFrame, locationsFrame, REAL_BDD, requireRealData, tempDir, writeBytes, writeFrame } from "../fixtures/dataset";

describe("dataset: discoverDataset", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("discover")));
  afterEach(() => cleanup());

  it("sorts partitions by their numeric time, not by name", async () => {
    for (const t of ["t=121.4", "t=000.0", "t=4.5", "t=010.6"]) writeFrame(dir, "locations", t, "a.parquet", locationsFrame());
    const scan = await discoverDataset(dir);
    assert.deepEqual(scan.partitions.locations.map((p) => p.name), ["t=000.0", "t=4.5", "t=010.6", "t=121.4"]);
    assert.deepEqual(scan.partitions.locations.map((p) => p.time), [0, 4.5, 10.6, 121.4]);
    assert.deepEqual(scan.partitions.accelerations, []);
    assert.equal(scan.partitions.locations[0].dir, path.join(dir, "locations", "t=000.0"));
    assert.deepEqual(scan.skipped, []);
  });

  it("lists each partition's parquet files sorted by name, with absolute paths", async () => {
    for (const name of ["c.parquet", "a.parquet", "b.parquet"]) writeFrame(dir, "accelerations", "t=003.3", name, accelerationsFrame());
    const scan = await discoverDataset(path.relative(process.cwd(), dir));
    assert.deepEqual(scan.partitions.accelerations[0].files, ["a", "b", "c"].map((n) => path.join(dir, "accelerations", "t=003.3", `${n}.parquet`)));
    assert.equal(scan.partitions.accelerations[0].table, "accelerations");
  });

  it("skips partition folders not named t=<number> with BAD_PARTITION naming the path and the expected form", async () => {
    writeFrame(dir, "locations", "t=001.0", "a.parquet", locationsFrame());
    for (const bad of ["t=abc", "x=1.0", "t=", "t=-1.0"]) writeFrame(dir, "locations", bad, "a.parquet", locationsFrame());
    const scan = await discoverDataset(dir);
    assert.deepEqual(scan.partitions.locations.map((p) => p.name), ["t=001.0"]);
    const bad = scan.skipped.filter((s) => s.code === "BAD_PARTITION");
    assert.equal(bad.length, 4);
    for (const s of bad) {
      assert.ok(s.path.startsWith(path.join(dir, "locations")));
      assert.match(s.reason, /t=<seconds>/);
      assert.ok(s.reason.startsWith(s.path), "the reason names the path");
    }
  });

  it("skips and reports stray files (_SUCCESS, .crc, .DS_Store, non-parquet)", async () => {
    const good = writeFrame(dir, "locations", "t=000.0", "a.parquet", locationsFrame());
    const strays = [
      writeBytes(dir, "locations/_SUCCESS", ""),
      writeBytes(dir, "locations/t=000.0/.a.parquet.crc", "crc"),
      writeBytes(dir, "locations/t=000.0/.DS_Store", "x"),
      writeBytes(dir, "locations/t=000.0/notes.txt", "x"),
    ];
    mkdirSync(path.join(dir, "locations", "t=000.0", "nested"));
    const scan = await discoverDataset(dir);
    assert.deepEqual(scan.partitions.locations[0].files, [good]);
    const reported = scan.skipped.filter((s) => s.code === "STRAY_FILE").map((s) => s.path).sort();
    assert.deepEqual(reported, [...strays, path.join(dir, "locations", "t=000.0", "nested")].sort());
  });

  it("throws NO_DATA naming the path and the expected layout when the root is missing", async () => {
    const missing = path.join(dir, "nope");
    await assert.rejects(discoverDataset(missing), (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.equal(e.code, "NO_DATA");
      assert.equal(e.path, missing);
      assert.match(e.message, /locations,accelerations\}\/t=<seconds>/);
      return true;
    });
  });

  it("throws NO_DATA when the root holds neither table folder", async () => {
    writeBytes(dir, "other/file.txt", "x");
    await assert.rejects(discoverDataset(dir), (e: unknown) => isStreamlabError(e, "NO_DATA") && e.message.includes("streamlab generate"));
  });

  it("looks only at the tables asked for", async () => {
    writeFrame(dir, "locations", "t=000.0", "a.parquet", locationsFrame());
    writeFrame(dir, "accelerations", "t=000.0", "a.parquet", accelerationsFrame());
    const scan = await discoverDataset(dir, { tables: ["accelerations"] });
    assert.equal(scan.partitions.accelerations.length, 1);
    assert.deepEqual(scan.partitions.locations, []);
    await assert.rejects(discoverDataset(dir, { tables: ["speeds" as never] }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "tables");
    await assert.rejects(discoverDataset(dir, { tables: [] }), (e: unknown) => isStreamlabError(e, "BAD_OPTION"));
  });

  it("finds the real dataset's 34 partitions per table and 808 files, skipping nothing", async function () {
    requireRealData(this);
    const scan = await discoverDataset(REAL_BDD);
    assert.equal(scan.partitions.locations.length, 34);
    assert.equal(scan.partitions.accelerations.length, 34);
    assert.equal(scan.partitions.locations[0].name, "t=000.0");
    assert.equal(scan.partitions.locations.at(-1)?.name, "t=121.4");
    const files = [...scan.partitions.locations, ...scan.partitions.accelerations].reduce((n, p) => n + p.files.length, 0);
    assert.equal(files, 808);
    assert.deepEqual(scan.skipped, []);
  });
});
