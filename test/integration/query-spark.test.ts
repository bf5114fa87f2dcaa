/**
 * `streamlab query … --engine spark` on the real course data: the replay writes ../shared/data/bdd
 * into the file stream, Apache Spark (spark-submit from the pinned pyspark, local[2]) runs the
 * generated program, and its final results equal the polars engine's on the same input: the latest
 * row per ride and window (windowed, run continuously and stopped with Ctrl-C), the multiset of join
 * rows (joined, with --once and its end-of-input step), every row (simple).
 * `bash scripts/spark.sh setup` runs first (idempotent): Java 17 and Python 3 are needed.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { replay } from "../../lib/replay/replay";
import { courseFigures, readCourseOutputs } from "../../lib/report/pipeline";
import { FileSink } from "../../lib/sinks/files";
import { locateSparkSubmit } from "../../lib/spark/submit";
import { joinedQuery, simpleQuery, windowedQuery } from "../../lib/stream/queries";
import { readParquetOutput } from "../../lib/stream/sinks/read";
import { runCli, startCli, waitUntil } from "../helpers/cli";
import { SHARED_BDD, hasSharedBdd } from "../helpers/kafka";
import { canonicalRow, lastPerWindow, repeats } from "../helpers/rows";

type Row = Record<string, unknown>;
const rowsOf = (dir: string): Row[] => readParquetOutput(dir).toRecords() as Row[];
const multiset = (rows: Row[]): string[] => rows.map(canonicalRow).sort();

describe("--engine spark on the course data (file stream)", function () {
  this.timeout(600_000);
  let root: string;
  let input: string;

  before(async function () {
    if (!hasSharedBdd()) {
      console.log(`    (skipped: the course dataset is not at ${SHARED_BDD})`);
      this.skip();
    }
    await locateSparkSubmit(); // installs pyspark once (scripts/spark.sh setup); a missing Java/Python fails here, naming it
    root = mkdtempSync(path.join(tmpdir(), "streamlab-spark-"));
    await replay({ data: SHARED_BDD, sinks: new FileSink({ out: root }), speed: "max", start: "2020-01-01T00:00:00Z", progressLog: false });
    input = path.join(root, "input");
  });
  after(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  async function onSpark(kind: string): Promise<string> {
    const { code, out, err } = await runCli("query", kind, "--once", "--engine", "spark", "--input", input, "--output", path.join(root, "spark"));
    assert.equal(code, 0, `${out}\n${err}`);
    return out;
  }

  it("windowed, continuous (default trigger) until Ctrl-C: the latest mean speed and count per ride and window equal the polars engine's", async () => {
    // The default trigger runs until stopped; SIGINT stops spark-submit (its process group) and exits 130.
    const cli = startCli(["query", "windowed", "--engine", "spark", "--input", input, "--output", path.join(root, "spark")]);
    await waitUntil("Spark's first micro-batch", () => /\[windowed\] batch 0:/.test(cli.out()) || cli.child.exitCode !== null, 300_000);
    assert.match(cli.out(), /\[windowed\] batch 0: in locations=478, out [1-9]\d*/, cli.err());
    cli.child.kill("SIGINT");
    assert.equal(await cli.exited, 130, cli.err());
    assert.match(cli.out(), /query windowed: \d+ batches, input rows locations=478, output rows [1-9]\d*, rows dropped by the watermark 0/);
    await windowedQuery({ input, output: path.join(root, "polars"), trigger: "once" }).awaitTermination();
    const spark = lastPerWindow(rowsOf(path.join(root, "spark", "windowed")));
    const polars = lastPerWindow(rowsOf(path.join(root, "polars", "windowed")));
    assert.equal(spark.twice, 0, "no (window, batch) written twice");
    assert.ok(polars.last.length > 100, `${polars.last.length} windows`);
    assert.deepEqual(spark.last, polars.last);
    // Same columns, same order: readers (notebooks, the report) read either engine's output.
    assert.deepEqual(readParquetOutput(path.join(root, "spark", "windowed")).columns, readParquetOutput(path.join(root, "polars", "windowed")).columns);
  });

  it("joined (full outer, with the end-of-input flush): the multiset of join rows equals the polars engine's", async () => {
    const out = await onSpark("joined");
    assert.match(out, /query joined: \d+ batches, input rows locations=478 accelerations=23512, output rows [1-9]\d*/);
    assert.match(out, /\[joined\] batch \d+: in locations=0 accelerations=0, out [1-9]\d*, late dropped 0, watermark \+infinity/, "the end-of-input batch emitted the unmatched rows");
    await joinedQuery({ input, output: path.join(root, "polars"), trigger: "once" }).awaitTermination();
    const sparkRows = rowsOf(path.join(root, "spark", "stream-joined"));
    const polarsRows = rowsOf(path.join(root, "polars", "stream-joined"));
    const unmatched = (rows: Row[]) => rows.filter((r) => r.loc_timestamp === null || r.acc_timestamp === null).length;
    assert.ok(unmatched(polarsRows) > 0, "the flush emitted unmatched rows (the case Spark alone leaves in its state)");
    assert.equal(unmatched(sparkRows), unmatched(polarsRows));
    assert.deepEqual(multiset(sparkRows), multiset(polarsRows));
    assert.deepEqual(readParquetOutput(path.join(root, "spark", "stream-joined")).columns, readParquetOutput(path.join(root, "polars", "stream-joined")).columns);
  });

  it("simple: every input row once, the same rows as the polars engine's", async () => {
    await onSpark("simple");
    await simpleQuery({ input, output: path.join(root, "polars"), trigger: "once" }).awaitTermination();
    for (const table of ["locations", "accelerations"]) {
      const spark = multiset(rowsOf(path.join(root, "spark", "simple", table)));
      const polars = multiset(rowsOf(path.join(root, "polars", "simple", table)));
      assert.equal(spark.length, table === "locations" ? 478 : 23_512);
      assert.equal(repeats(spark), repeats(polars), `${table}: no row twice`);
      assert.deepEqual(spark, polars, table);
    }
  });

  it("the report's reader and charts take Spark's output folder as they take streamlab's (after the three runs above)", () => {
    const spark = readCourseOutputs(path.join(root, "spark"));
    const polars = readCourseOutputs(path.join(root, "polars"));
    for (const k of ["windowed", "joined", "locations"] as const) assert.equal(spark[k].height, polars[k].height, k);
    const figs = { spark: courseFigures(spark), polars: courseFigures(polars) };
    assert.equal(figs.spark.speed.data.length, figs.polars.speed.data.length, "one speed line per ride");
    assert.equal(figs.spark.tracks.data.length, figs.polars.tracks.data.length);
  });
});
