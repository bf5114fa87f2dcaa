/**
 * The file source's dead-letter folder (issue #10: "a message … whose value is not JSON or lacks the
 * event-time field is skipped, counted in the progress record, and written with the reason to a
 * dead-letter topic, or a folder for the file source. Nothing stops the query."): bad files are
 * copied there with a reason file, rows without an event time are taken out of their file and
 * written there as parquet, every skip is counted in the progress records' numSkipped, and every
 * good row is processed. Real parquet files in a temp folder.
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { fileStreamSource, MemoryStreamSink, readParquetOutput, readStream, windowedQuery, type DeadLetterReason, type ProgressRecord, type SourceChunk } from "../../lib/stream";
import { runCli } from "../helpers/cli";

const START = Date.parse("2020-01-01T00:00:00Z");

/** A locations frame shaped like the replay's output; a null offset gives a row without its event time. */
function locations(uuid: string, offsets: (number | null)[]): pl.DataFrame {
  return pl.DataFrame({
    ride_id: offsets.map(() => `ride-${uuid}`),
    uuid: offsets.map(() => uuid),
    timestamp: pl.Series("timestamp", offsets.map((o) => (o === null ? null : new Date(START + o * 1000))), pl.Datetime("ms")),
    offset: offsets.map((o, i) => o ?? 100 + i),
    speed: offsets.map((_, i) => i + 1),
  });
}

const sorted = (f: pl.DataFrame) => f.select("uuid", "offset", "speed").sort(["uuid", "offset"]);

describe("file source dead-letter folder", () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "streamlab-dead-"));
    dir = path.join(root, "input", "locations");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function put(part: string, name: string, frame: pl.DataFrame | string): string {
    mkdirSync(path.join(dir, part), { recursive: true });
    const file = path.join(dir, part, name);
    if (typeof frame === "string") writeFileSync(file, frame);
    else frame.writeParquet(file);
    return file;
  }

  /** Good files, four bad ones and one with two rows lacking the event time, over three partitions. */
  function writeInput(): { good: pl.DataFrame; bad: Record<string, string>; partial: string } {
    const goodFrames = [locations("a", [0, 0.5]), locations("b", [3, 3.5, 4]), locations("c", [6.1])];
    put("t=000.0", "a.parquet", goodFrames[0]);
    put("t=003.0", "b.parquet", goodFrames[1]);
    put("t=006.0", "c.parquet", goodFrames[2]);
    // The last file read is a bad one: its poll has no rows, and the final batch still counts it.
    const bad = {
      EMPTY_FILE: put("t=000.0", "empty.parquet", ""),
      BAD_PARQUET: put("t=003.0", "junk.parquet", "PAR1 this is not parquet at all PAR1"),
      MISSING_COLUMN: put("t=003.0", "nospeed.parquet", locations("x", [3.1]).drop("speed")),
      BAD_COLUMN_TYPE: put("t=006.0", "strtime.parquet", locations("y", [6.5]).withColumn(pl.lit("2020-01-01").alias("timestamp"))),
    };
    const partialFrame = locations("p", [3.2, null, 3.4, null, 3.6]);
    const partial = put("t=003.0", "partial.parquet", partialFrame);
    const good = pl.concat([...goodFrames, partialFrame.filter(pl.col("timestamp").isNotNull())]);
    return { good, bad, partial };
  }

  const readReason = (file: string): DeadLetterReason => JSON.parse(readFileSync(`${file}.reason.json`, "utf8")) as DeadLetterReason;

  /** A pass-through query over `dir`, one file per micro-batch; its output, progress records and skips. */
  async function run(options: { deadLetter?: string | false } = {}) {
    const sink = new MemoryStreamSink();
    const progress: ProgressRecord[] = [];
    const source = fileStreamSource({ dir, maxFilesPerTrigger: 1, once: true, ...options });
    const query = readStream(source).writeStream({ sinks: [sink], trigger: "once", onProgress: (p) => progress.push(p) }).start();
    await query.awaitTermination();
    return { out: sink.table(), progress, skipped: query.skipped() };
  }

  it("copies each bad file with its reason, writes the rows without an event time as parquet, counts both in numSkipped, and processes every good row", async () => {
    const { good, bad, partial } = writeInput();
    const inputBytes = Object.fromEntries([...Object.values(bad), partial].map((f) => [f, readFileSync(f)]));
    const { out, progress, skipped } = await run();
    const dead = path.join(dir, "_dead-letter");

    // Every good row, and none of the rows without an event time.
    assert.ok(sorted(out).frameEqual(sorted(good)), "the output holds exactly the good rows");
    assert.equal(out.getColumn("timestamp").nullCount(), 0);

    // Each bad file: a byte-for-byte copy at the same place under the folder, with its code and reason.
    for (const [code, file] of Object.entries(bad)) {
      const copy = path.join(dead, path.relative(dir, file));
      assert.ok(existsSync(copy), `${copy} exists`);
      assert.deepEqual(readFileSync(copy), inputBytes[file], `${copy} is a copy of ${file}`);
      const why = readReason(copy);
      assert.equal(why.code, code);
      assert.equal(why.file, file);
      assert.equal(why.source, "locations");
      assert.ok(why.reason.includes(path.basename(file)), `the reason names the file: ${why.reason}`);
      // Copied, not moved: the input is as the replay wrote it.
      assert.deepEqual(readFileSync(file), inputBytes[file]);
    }

    // The file with rows lacking the event time: only those rows, as parquet, with the counts.
    const rows = path.join(dead, "t=003.0", "partial.rows.parquet");
    const deadRows = pl.readParquet(rows);
    assert.equal(deadRows.height, 2);
    assert.equal(deadRows.getColumn("timestamp").nullCount(), 2);
    assert.deepEqual(deadRows.getColumn("offset").toArray(), [101, 103]);
    const why = readReason(rows);
    assert.equal(why.code, "MISSING_EVENT_TIME");
    assert.equal(why.rows, 2);
    assert.equal(why.totalRows, 5);
    assert.match(why.reason, /2 of 5 rows have no "timestamp"/);
    assert.deepEqual(readFileSync(partial), inputBytes[partial], "the input file is left as it was");
    assert.equal(existsSync(path.join(dead, "t=003.0", "partial.parquet")), false, "the good rows are not dead letters");

    // Nothing else in the folder, and no temp file left behind.
    const listed = readdirSync(dead, { recursive: true }).map(String).filter((n) => n.includes(".parquet")).sort();
    const expected = [...Object.values(bad).map((f) => path.relative(dir, f)), path.join("t=003.0", "partial.rows.parquet")]
      .flatMap((n) => [n, `${n}.reason.json`]).sort();
    assert.deepEqual(listed, expected);

    // Reported: one record per bad file and one for the partial file, each saying where its dead letter is.
    assert.deepEqual(skipped.map((s) => s.code).sort(), ["BAD_COLUMN_TYPE", "BAD_PARQUET", "EMPTY_FILE", "MISSING_COLUMN", "MISSING_EVENT_TIME"]);
    for (const s of skipped) assert.ok(s.reason.includes(dead), `the skip says where the dead letter is: ${s.reason}`);

    // Counted in the progress records, each skip once, in the batch that met it.
    const counted = progress.reduce((n, p) => n + (p.numSkipped?.locations ?? 0), 0);
    assert.equal(counted, 5);
    assert.ok(progress.filter((p) => (p.numSkipped?.locations ?? 0) > 0).length >= 2, "skips are counted in the batches that met them, not all at the end");
  });

  it("never reads its dead letters back as input: a second run gives the same rows and skips", async () => {
    const { good } = writeInput();
    const first = await run();
    const second = await run();
    assert.ok(sorted(second.out).frameEqual(sorted(good)));
    assert.deepEqual(second.skipped.map((s) => s.path).sort(), first.skipped.map((s) => s.path).sort());
    assert.ok(second.skipped.every((s) => !s.path.includes("_dead-letter")), "the _dead-letter folder is never listed as a partition");
  });

  it("deadLetter: false only reports and counts: no folder, rows without an event time still dropped", async () => {
    const { good } = writeInput();
    const { out, progress, skipped } = await run({ deadLetter: false });
    assert.equal(existsSync(path.join(dir, "_dead-letter")), false);
    assert.ok(sorted(out).frameEqual(sorted(good)));
    assert.equal(skipped.length, 5);
    assert.ok(skipped.every((s) => !s.reason.includes("dead-letter")));
    assert.equal(progress.reduce((n, p) => n + (p.numSkipped?.locations ?? 0), 0), 5);
  });

  it("writes to a folder of the user's choosing, mirroring the partitions", async () => {
    const { bad } = writeInput();
    const folder = path.join(root, "rejected", "locations");
    await run({ deadLetter: folder });
    assert.equal(existsSync(path.join(dir, "_dead-letter")), false);
    assert.ok(existsSync(path.join(folder, "t=000.0", "empty.parquet")));
    assert.equal(readReason(path.join(folder, "t=003.0", "junk.parquet")).file, bad.BAD_PARQUET);
    assert.ok(existsSync(path.join(folder, "t=003.0", "partial.rows.parquet")));
  });

  it("a dead-letter folder that cannot be written does not stop the query; the skip says so", async () => {
    const { good } = writeInput();
    // A file where the folder should be: mkdir fails even for root (chmod would not stop root).
    const blocked = path.join(root, "blocked");
    writeFileSync(blocked, "not a folder");
    const { out, skipped, progress } = await run({ deadLetter: blocked });
    assert.ok(sorted(out).frameEqual(sorted(good)), "every good row is processed");
    assert.equal(skipped.length, 5);
    for (const s of skipped) assert.match(s.reason, /Not written to the dead-letter folder .*blocked/);
    assert.equal(progress.reduce((n, p) => n + (p.numSkipped?.locations ?? 0), 0), 5);
  });

  it("a checkpoint's re-read of a logged batch (the input files are still in place) drops and dead-letters the same rows again", async () => {
    writeInput();
    const first = fileStreamSource({ dir, once: true });
    const chunks: SourceChunk[] = [];
    for (let got = await first.poll(); got.length > 0; got = await first.poll()) chunks.push(...got);
    const partitionOf3 = chunks.find((c) => c.partitionTime === 3)!;
    const rowsFile = path.join(dir, "_dead-letter", "t=003.0", "partial.rows.parquet");
    const before = pl.readParquet(rowsFile);
    rmSync(path.join(dir, "_dead-letter"), { recursive: true });

    const again = fileStreamSource({ dir, once: true });
    const reread = await again.replayable!.reread([partitionOf3.origin]);
    assert.equal(reread.length, 1);
    assert.ok(reread[0].frame.frameEqual(partitionOf3.frame), "the same rows as the first read");
    assert.deepEqual(again.skipped().map((s) => s.code), ["MISSING_EVENT_TIME"]);
    assert.ok(pl.readParquet(rowsFile).frameEqual(before), "the same dead letters");
  });

  it("rejects a dead-letter folder the source would read as input, and values that are not a folder or false", () => {
    const cases: unknown[] = ["", 3, true, dir, path.join(dir, "t=999.0"), path.join(dir, "rejected")];
    for (const deadLetter of cases) {
      assert.throws(() => fileStreamSource({ dir, deadLetter: deadLetter as string }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "deadLetter", String(deadLetter));
    }
    assert.doesNotThrow(() => fileStreamSource({ dir, deadLetter: path.join(dir, "_rejected") }));
    assert.doesNotThrow(() => fileStreamSource({ dir, deadLetter: path.join(root, "elsewhere") }));
  });

  it("the course queries and the CLI take the folder root (<root>/<table>), or --no-dead-letter", async () => {
    writeInput();
    const input = path.join(root, "input");
    const folder = path.join(root, "dead");
    const q = windowedQuery({ input, output: path.join(root, "out"), trigger: "once", deadLetter: folder });
    const summary = await q.awaitTermination();
    assert.equal(summary.skipped.filter((s) => s.code !== "NO_DATA").length, 5);
    assert.ok(existsSync(path.join(folder, "locations", "t=003.0", "junk.parquet")));
    assert.ok(readParquetOutput(path.join(root, "out", "windowed")).height > 0);
    assert.throws(() => windowedQuery({ source: "kafka", deadLetter: folder }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "deadLetter");

    const cli = await runCli("query", "simple", "--input", input, "--output", path.join(root, "cli-out"), "--once", "--dead-letter", path.join(root, "cli-dead"));
    assert.equal(cli.code, 0, cli.err);
    assert.ok(existsSync(path.join(root, "cli-dead", "locations", "t=000.0", "empty.parquet.reason.json")));
    assert.match(cli.out, /skipped \[MISSING_EVENT_TIME\] .*partial\.parquet: 2 of 5 rows/);

    rmSync(path.join(dir, "_dead-letter"), { recursive: true, force: true });
    const off = await runCli("query", "simple", "--input", input, "--output", path.join(root, "cli-out"), "--once", "--no-dead-letter");
    assert.equal(off.code, 0, off.err);
    assert.equal(existsSync(path.join(dir, "_dead-letter")), false);
    // The progress line counts the 5 skips; the summary adds the missing accelerations folder (NO_DATA).
    assert.match(off.out, /^\[simple-locations\] batch 0: .*, skipped 5, /m);
    assert.match(off.out, /^query simple: .*, skipped 6$/m);
  });
});
