/**
 * notebooks/structured-streaming.ipynb executed headless (real Jupyter, tslab, nbconvert) against the
 * real broker under a topic prefix of its own: the lecture's list (sources, sinks, output modes,
 * triggers, event time, batch). Expected values come from what the notebook left in Kafka and on
 * disk, or from the consistency of its own outputs (append = the final windows once each, the batch
 * run = the stream plus the rows it dropped as late), not from constants.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pl from "nodejs-polars";
import { deleteTopics, readTopicMessages } from "../../lib/kafka";
import { readParquetOutput } from "../../lib/stream/sinks/read";
import { uniquePrefix } from "../helpers/kafka";
import { cellText, ensureBroker, jupyterSh, notebookText, readNotebook, ROOT, runNotebook, type Notebook } from "../helpers/notebooks";

const NOTEBOOK = path.join(ROOT, "notebooks", "structured-streaming.ipynb");
const source = (v: unknown): string => (Array.isArray(v) ? v.join("") : String(v ?? ""));

/** `[00:00 n=3, 00:10 n=2]` → Map(window → n). */
function windows(text: string): Map<string, number> {
  return new Map([...text.matchAll(/(\d\d:\d\d) n=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

describe("structured-streaming notebook, headless, against the real broker", function () {
  this.timeout(600_000);
  const prefix = uniquePrefix("Ss");
  let bootstrap: string;
  let out: string;
  let nb: Notebook;
  let text: string;
  const kafka = () => ({ bootstrap, topicPrefix: prefix });

  before(async () => {
    bootstrap = await ensureBroker();
    const setup = await jupyterSh(["setup"]);
    assert.equal(setup.code, 0, `scripts/jupyter.sh setup failed:\n${setup.stderr}`);
    out = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-ss-nb-"));
    const r = await runNotebook(NOTEBOOK, path.join(out, "executed"), { STREAMLAB_BOOTSTRAP: bootstrap, STREAMLAB_TOPIC_PREFIX: prefix, STREAMLAB_OUT: path.join(out, "files") });
    assert.equal(r.code, 0, `the notebook failed:\n${r.stdout}\n${r.stderr}`);
    nb = readNotebook(r.executed);
    text = notebookText(nb);
  });

  after(async () => {
    if (out) fs.rmSync(out, { recursive: true, force: true });
    if (bootstrap) await deleteTopics(["ss-rides", "ss-live", "ss-fast"], kafka()).catch(() => undefined);
  });

  const cellWith = (pattern: RegExp): string => {
    const cell = nb.cells.find((c) => c.cell_type === "code" && pattern.test(source(c.source)));
    assert.ok(cell, `no code cell matches ${pattern}`);
    return cellText(cell);
  };

  it("sources: rate counts up from 0, JSON/CSV files with a schema (the broken file skipped and dead-lettered), a socket, Kafka", async () => {
    const rate = /rate: (\d+) rows in \d+ micro-batches, values ([\d,]+)/.exec(text);
    assert.ok(rate, text);
    assert.deepEqual(rate[2].split(",").map(Number), Array.from({ length: Number(rate[1]) }, (_, i) => i));
    assert.match(text, /^json: 5 rows; skipped: 003\.json \(BAD_FILE\)$/m);
    const dead = path.join(out, "files", "events", "_dead-letter");
    assert.deepEqual(fs.readdirSync(dead).sort(), ["003.json", "003.json.reason.json"]);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dead, "003.json.reason.json"), "utf8")).code, "BAD_FILE");
    assert.match(text, /^csv: 2 rows, types String, Datetime, Float64$/m);
    assert.match(text, /^socket: hello streaming \| hello batch$/m);
    const inTopic = await readTopicMessages("ss-rides", kafka());
    assert.ok(inTopic.length > 0);
    assert.match(text, new RegExp(`^kafka: ${inTopic.length} rows from ${prefix}-ss-rides$`, "m"));
  });

  it("sinks: console tables, foreachBatch per batch, parquet files and the memory table's SQL answer agree", () => {
    const shown = cellWith(/memorySink\(\)/);
    const batches = [...shown.matchAll(/^foreachBatch: batch (\d+), (\d+) rows$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    assert.ok(batches.length >= 2);
    assert.deepEqual(batches.map((b) => b[0]), batches.map((_, i) => i));
    assert.equal((shown.match(/^Batch: \d+ \(complete, \d+ rows\)$/gm) ?? []).length, batches.length, "the console sink printed every batch");
    const files = readParquetOutput(path.join(out, "files", "speeds"));
    assert.equal(files.height, batches.reduce((n, b) => n + b[1], 0));
    assert.match(shown, new RegExp(`^parquet: ${files.height} rows in the files`, "m"));
    // The SQL answer is the last complete table, ordered by max_speed.
    const last = files.filter(pl.col("batch_id").eq(pl.lit(batches.length - 1))).sort("max_speed", true);
    const table = shown.slice(shown.lastIndexOf("shape:"));
    const rows = [...table.matchAll(/│ (\w+)\s+┆ (\d+)\s+┆ ([\d.]+)\s+│/g)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
    assert.deepEqual(rows, last.toRecords().map((r) => [r.uuid, Number(r.n), Number(r.max_speed)]));
  });

  it("output modes: append emits each final window once, update's latest values and complete's last table are the same", () => {
    const modes = cellWith(/for \(const mode of \["append", "update", "complete"\]/);
    const line = (mode: string) => modes.split("\n").find((l) => l.startsWith(mode))!;
    const perBatch = (mode: string) => line(mode).split(/ {2}batch \d+: /).slice(1).map(windows);
    const append = perBatch("append");
    const update = perBatch("update");
    const complete = perBatch("complete");
    const final = complete[complete.length - 1];
    assert.ok(final.size >= 2);
    const appended = append.flatMap((m) => [...m]);
    assert.equal(appended.length, final.size, "append: each window once");
    assert.deepEqual(new Map(appended), final);
    const latest = new Map<string, number>();
    for (const m of update) for (const [k, v] of m) latest.set(k, v);
    assert.deepEqual(latest, final);
  });

  it("triggers: the continuous query forwards the fast rows to Kafka with per-row latency; an aggregation is refused", async () => {
    const fast = await readTopicMessages("ss-fast", kafka());
    assert.ok(fast.length > 0);
    assert.ok(fast.every((m) => (m.value as { speed: number }).speed >= 10));
    assert.match(text, new RegExp(`^continuous: ${fast.length} rows with speed >= 10 in \\d+ micro-batches; every batch reports its rows' latency: true$`, "m"));
    assert.match(text, /^batch \d+: \d+ rows in, latency p50 \d+(\.\d+)? ms, max \d+(\.\d+)? ms$/m);
    assert.match(text, /^an aggregation: the continuous trigger runs stateless queries only/m);
  });

  it("event time: the late row is dropped and counted; the batch run counts it (withWatermark has no effect there)", () => {
    const records = [...cellWith(/recentProgress/).matchAll(/^batch \d+: (\d+) rows in, watermark (\S+), dropped as late (\d+)$/gm)];
    const dropped = records.reduce((n, m) => n + Number(m[3]), 0);
    const rowsIn = records.reduce((n, m) => n + Number(m[1]), 0);
    assert.ok(dropped >= 1);
    assert.equal(records[records.length - 1][2], "+infinity");
    const modes = cellWith(/for \(const mode of \["append", "update", "complete"\]/);
    const completeLine = modes.split("\n").find((l) => l.startsWith("complete"))!;
    const streamed = [...windows(completeLine.slice(completeLine.lastIndexOf("batch")))].reduce((n, [, v]) => n + v, 0);
    const batch = windows(/^batch: {2}(.*)$/m.exec(text)![1]);
    const batchRows = [...batch.values()].reduce((n, v) => n + v, 0);
    assert.equal(batchRows, rowsIn, "the batch run counts every row");
    assert.equal(batchRows, streamed + dropped, "the stream lacks exactly the rows it dropped as late");
  });
});
