/**
 * `streamlab query` as a user runs it: option errors, a continuous query reading the file stream
 * while the replay writes it, Ctrl-C (SIGINT) and SIGTERM stopping a running query cleanly, and
 * the CLI piped into a reader that closes early (`| head`).
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pl from "nodejs-polars";
import { replay } from "../../lib/replay/replay";
import { FileSink } from "../../lib/sinks/files";
import { simpleQuery } from "../../lib/stream/queries";
import { readParquetOutput } from "../../lib/stream/sinks/read";
import { runCli, startCli, waitUntil } from "../helpers/cli";

const BDD = path.resolve(__dirname, "../../../shared/data/bdd");

function locationsFile(dir: string, part: string, uuid: string, offsets: number[]): void {
  mkdirSync(path.join(dir, "locations", part), { recursive: true });
  pl.DataFrame({
    ride_id: offsets.map(() => `ride-${uuid}`),
    uuid: offsets.map(() => uuid),
    timestamp: offsets.map((o) => new Date(Date.parse("2020-01-01T00:00:00Z") + o * 1000)),
    offset: offsets,
    speed: offsets.map((o) => o / 2),
  }).withColumn(pl.col("timestamp").cast(pl.Datetime("ms"))).writeParquet(path.join(dir, "locations", part, `${uuid}.parquet`));
}

describe("streamlab query (CLI)", function () {
  this.timeout(180_000);
  let root: string;
  beforeEach(() => { root = mkdtempSync(path.join(tmpdir(), "streamlab-qcli-")); });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("rejects bad option values with BAD_OPTION naming the flag as typed (--window, not window=), and exit code 2", async () => {
    const cases: [string[], RegExp][] = [
      [["query", "sideways"], /option query="sideways"/],
      [["query", "windowed", "--window", "fifteen"], /option --window "fifteen"/],
      [["query", "windowed", "--slide", "20 seconds"], /option --slide "20 seconds": slide must be <= window/],
      [["query", "joined", "--how", "cross"], /option --how "cross"/],
      [["query", "joined", "--mode", "complete"], /option --mode "complete"/],
      [["query", "simple", "--sink", "s3"], /option --sink "s3"/],
      [["query", "windowed", "--once", "--trigger", "1s"], /give either --trigger DUR or --once/],
      [["query", "windowed", "--source", "kafka", "--bootstrap", "localhost"], /option --bootstrap "localhost"/],
      [["query", "windowed", "--engine", "flink"], /option --engine "flink": expected one of streamlab, spark/],
    ];
    for (const [args, message] of cases) {
      const { code, err } = await runCli(...args, "--input", root, "--output", root);
      assert.equal(code, 2, args.join(" "));
      assert.match(err, /^error \[BAD_OPTION\]/, args.join(" "));
      assert.match(err, message);
    }
    assert.deepEqual(readdirSync(root), [], "nothing was written");
  });

  it("says in the summary when the input folder does not exist", async () => {
    const { code, out } = await runCli("query", "windowed", "--once", "--input", path.join(root, "nowhere"), "--output", path.join(root, "out"));
    assert.equal(code, 0);
    assert.match(out, /query windowed: 0 batches, input rows locations=0, output rows 0, rows dropped by the watermark 0, skipped 1/);
    assert.match(out, /skipped \[NO_DATA\] .*nowhere.locations: the input folder does not exist/);
  });

  it("stops a running query cleanly on SIGINT: prints the summary and exits with 130", async () => {
    const input = path.join(root, "input");
    locationsFile(input, "t=000.0", "a", [0, 1]);
    locationsFile(input, "t=003.0", "b", [3]);
    const cli = startCli(["query", "windowed", "--input", input, "--output", path.join(root, "output")]);
    await waitUntil("the first batch's progress line", () => /\[windowed\] batch 0: in locations=3/.test(cli.out()) || cli.child.exitCode !== null);
    cli.child.kill("SIGINT");
    assert.equal(await cli.exited, 130, cli.err());
    assert.match(cli.out(), /query windowed: \d+ batches, input rows locations=3, output rows \d+, rows dropped by the watermark 0/);
    assert.ok(readParquetOutput(path.join(root, "output", "windowed")).height > 0, "the batch written before the stop is there");
  });

  it("stops a running query cleanly on SIGTERM too, and exits with 143 (128 + 15, as shells report it)", async () => {
    const input = path.join(root, "input");
    locationsFile(input, "t=000.0", "a", [0, 1]);
    const cli = startCli(["query", "windowed", "--input", input, "--output", path.join(root, "output")]);
    await waitUntil("the first batch's progress line", () => /\[windowed\] batch 0: in locations=2/.test(cli.out()) || cli.child.exitCode !== null);
    cli.child.kill("SIGTERM");
    assert.equal(await cli.exited, 143, cli.err());
    assert.match(cli.out(), /query windowed: \d+ batches, input rows locations=2/);
    assert.equal(cli.err(), "");
  });

  it("exits quietly with 0 when the reader of its output has gone (`streamlab query --help | head -1`)", async () => {
    const cli = startCli(["query", "--help"]);
    // What `head -1` does once it has its line: close the pipe. The CLI, still starting, then writes into it.
    cli.child.stdout!.destroy();
    assert.equal(await cli.exited, 0, cli.err());
    assert.doesNotMatch(cli.err(), /EPIPE|Unhandled/);
  });
});

(existsSync(BDD) ? describe : describe.skip)("a continuous query while the replay writes the file stream", function () {
  this.timeout(300_000);
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("reads every file exactly once, never a partial one, while the replay is writing", async () => {
    root = mkdtempSync(path.join(tmpdir(), "streamlab-qlive-"));
    const input = path.join(root, "input");
    const output = path.join(root, "output");
    // The query starts first, on a folder that does not exist yet, with the default trigger.
    const query = simpleQuery({ input, output });
    await replay({ data: BDD, sinks: new FileSink({ out: root }), speed: "max", start: "2020-01-01T00:00:00Z" });
    await waitUntil("the query to read all 23,990 rows", () => {
      const s = query.summary();
      return (s.inputRows.locations ?? 0) + (s.inputRows.accelerations ?? 0) >= 23_990 || s.errors.length > 0;
    });
    const summary = await query.stop();
    assert.deepEqual(summary.errors, []);
    assert.deepEqual(summary.skipped, []);
    assert.deepEqual(summary.inputRows, { locations: 478, accelerations: 23_512 });
    for (const table of ["locations", "accelerations"]) {
      const dir = path.join(input, table);
      const files = readdirSync(dir).flatMap((p) => readdirSync(path.join(dir, p)).map((f) => pl.readParquet(path.join(dir, p, f))));
      const rows = (f: pl.DataFrame) => (f.toRecords() as Record<string, unknown>[]).map((r) => JSON.stringify(r)).sort();
      assert.deepEqual(rows(readParquetOutput(path.join(output, "simple", table))), rows(pl.concat(files)), `${table}: every row exactly once`);
    }
  });
});
