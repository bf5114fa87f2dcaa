import { strict as assert } from "node:assert";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { fileStreamSource } from "../../lib/stream/sources";

const BDD = path.resolve(__dirname, "../../../shared/data/bdd");

/** A small locations frame shaped like the replay's output. */
function locations(uuid: string, offsets: number[]): pl.DataFrame {
  const start = Date.parse("2020-01-01T00:00:00Z");
  return pl.DataFrame({
    ride_id: offsets.map(() => `ride-${uuid}`),
    uuid: offsets.map(() => uuid),
    timestamp: offsets.map((o) => new Date(start + o * 1000)),
    offset: offsets,
    speed: offsets.map((o) => o * 2),
  }).withColumn(pl.col("timestamp").cast(pl.Datetime("ms")));
}

describe("fileStreamSource", () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "streamlab-src-"));
    dir = path.join(root, "input", "locations");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function put(part: string, name: string, frame: pl.DataFrame): string {
    mkdirSync(path.join(dir, part), { recursive: true });
    const file = path.join(dir, part, name);
    frame.writeParquet(file);
    return file;
  }

  it("returns one chunk per partition, oldest first, with partitionTime from the folder name", async () => {
    put("t=004.5", "b.parquet", locations("b", [4.5, 4.6]));
    put("t=000.0", "a.parquet", locations("a", [0]));
    put("t=000.0", "c.parquet", locations("c", [0.1]));
    const src = fileStreamSource({ dir });
    const chunks = await src.poll();
    assert.deepEqual(chunks.map((c) => c.partitionTime), [0, 4.5]);
    assert.deepEqual(chunks.map((c) => c.frame.height), [2, 2]);
    assert.deepEqual(chunks[0].frame.getColumn("uuid").toArray().sort(), ["a", "c"]);
    assert.equal(src.name, "locations");
    assert.equal(src.exhausted(), false);
    await src.close();
  });

  it("reads each file exactly once across polls, and picks up files renamed in later", async () => {
    put("t=000.0", "a.parquet", locations("a", [0]));
    const src = fileStreamSource({ dir });
    assert.equal((await src.poll()).length, 1);
    assert.deepEqual(await src.poll(), []);
    // A file being written under a hidden temp name is not read until it is renamed into place.
    const temp = put("t=003.0", ".b.parquet.tmp", locations("b", [3, 3.1, 3.2]));
    writeFileSync(path.join(dir, "t=003.0", ".half.parquet"), "PAR1");
    assert.deepEqual(await src.poll(), []);
    renameSync(temp, path.join(dir, "t=003.0", "b.parquet"));
    const chunks = await src.poll();
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0].partitionTime, 3);
    assert.ok(chunks[0].frame.frameEqual(locations("b", [3, 3.1, 3.2])));
    assert.deepEqual(await src.poll(), []);
    assert.equal(src.filesSeen(), 2);
    assert.deepEqual(src.skipped(), []);
  });

  it("skips bad files with the dataset reader's error codes, keeps the good rows of the same partition, and never rereads them", async () => {
    put("t=000.0", "good.parquet", locations("good", [0, 0.2]));
    mkdirSync(path.join(dir, "t=000.0"), { recursive: true });
    writeFileSync(path.join(dir, "t=000.0", "empty.parquet"), "");
    writeFileSync(path.join(dir, "t=000.0", "junk.parquet"), "PAR1 this is not parquet at all PAR1");
    put("t=000.0", "nospeed.parquet", locations("x", [0]).drop("speed"));
    mkdirSync(path.join(dir, "not-a-partition"));
    const src = fileStreamSource({ dir });
    const chunks = await src.poll();
    assert.equal(chunks.length, 1);
    assert.deepEqual(chunks[0].frame.getColumn("uuid").toArray(), ["good", "good"]);
    const codes = Object.fromEntries(src.skipped().map((s) => [path.basename(s.path), s.code]));
    assert.deepEqual(codes, { "empty.parquet": "EMPTY_FILE", "junk.parquet": "BAD_PARQUET", "nospeed.parquet": "MISSING_COLUMN", "not-a-partition": "BAD_PARTITION" });
    assert.ok(src.skipped().every((s) => s.reason.includes(path.basename(s.path))), "each reason names its file");
    await src.poll();
    assert.equal(src.skipped().length, 4, "bad files are reported once");
  });

  it("requires a Datetime timestamp (the event time) even when the table is unknown", async () => {
    dir = path.join(root, "input", "custom");
    put("t=000.0", "a.parquet", pl.DataFrame({ uuid: ["a"], timestamp: ["2020-01-01"] }));
    put("t=000.0", "b.parquet", pl.DataFrame({ uuid: ["b"] }));
    const src = fileStreamSource({ dir });
    assert.deepEqual(await src.poll(), []);
    assert.deepEqual(src.skipped().map((s) => s.code).sort(), ["BAD_COLUMN_TYPE", "MISSING_COLUMN"]);
  });

  // Regression (untyped stream files skipped the footer check): with no table, readStreamFile
  // handed the bytes straight to the native reader, so an empty file was BAD_PARQUET instead of
  // EMPTY_FILE and a truncated one reached polars, whose corrupt-footer path may abort the process.
  it("checks files of an unknown table like the dataset reader: EMPTY_FILE, and a truncated file is BAD_PARQUET", async () => {
    dir = path.join(root, "input", "custom");
    const good = put("t=000.0", "good.parquet", locations("good", [0, 0.1, 0.2]));
    const bytes = readFileSync(good);
    writeFileSync(path.join(dir, "t=000.0", "empty.parquet"), "");
    writeFileSync(path.join(dir, "t=000.0", "truncated.parquet"), bytes.subarray(0, bytes.length - 20));
    const src = fileStreamSource({ dir });
    const chunks = await src.poll();
    assert.deepEqual(chunks.map((c) => c.frame.height), [3]);
    const codes = Object.fromEntries(src.skipped().map((s) => [path.basename(s.path), s.code]));
    assert.deepEqual(codes, { "empty.parquet": "EMPTY_FILE", "truncated.parquet": "BAD_PARQUET" });
    await src.close();
  });

  it("treats a missing folder as no data yet, reports it, and reads it once it appears", async () => {
    const src = fileStreamSource({ dir });
    assert.deepEqual(await src.poll(), []);
    assert.deepEqual(src.skipped().map((s) => [s.path, s.code]), [[dir, "NO_DATA"]]);
    put("t=000.0", "a.parquet", locations("a", [0]));
    assert.equal((await src.poll()).length, 1);
    assert.deepEqual(src.skipped(), []);
    assert.equal(existsSync(dir), true);
  });

  it("in once mode takes what is there at the first poll and is then exhausted", async () => {
    put("t=000.0", "a.parquet", locations("a", [0]));
    const src = fileStreamSource({ dir, once: true, name: "locs" });
    assert.equal(src.exhausted(), false);
    assert.equal((await src.poll()).length, 1);
    assert.equal(src.exhausted(), true);
    put("t=009.0", "b.parquet", locations("b", [9]));
    assert.deepEqual(await src.poll(), []);
    assert.equal(src.name, "locs");
  });

  it("rejects bad options with OptionError naming the option", () => {
    const cases: [unknown, string][] = [[{ dir: "" }, "dir"], [{ dir: "x", once: "yes" }, "once"], [{ dir: "x", table: "rides" }, "table"], [undefined, "fileStreamSource"]];
    for (const [opts, option] of cases) {
      assert.throws(() => fileStreamSource(opts as never), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === option);
    }
  });

  (existsSync(BDD) ? it : it.skip)("reads every row of the real BDD locations once, 34 partitions in time order", async function () {
    this.timeout(60_000);
    const src = fileStreamSource({ dir: path.join(BDD, "locations"), once: true });
    const chunks = await src.poll();
    const tableDir = path.join(BDD, "locations");
    const expected = pl.concat(readdirSync(tableDir).flatMap((p) => readdirSync(path.join(tableDir, p)).map((f) => pl.readParquet(path.join(tableDir, p, f)))));
    const times = chunks.map((c) => c.partitionTime as number);
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
    const got = pl.concat(chunks.map((c) => c.frame));
    assert.equal(got.height, expected.height);
    assert.ok(got.sort(["uuid", "offset"]).frameEqual(expected.sort(["uuid", "offset"])));
    assert.deepEqual(src.skipped(), []);
  });
});
if (!existsSync(BDD)) console.warn(`stream-sources: ${BDD} is missing, skipping the real-data test`);
