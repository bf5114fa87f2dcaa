import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pl from "nodejs-polars";
import { replay } from "../../lib/replay/replay";
import { FileSink } from "../../lib/sinks/files";
import { runCli } from "../helpers/cli";

const BDD = path.resolve(__dirname, "../../../shared/data/bdd");
const HAVE_BDD = existsSync(BDD);
const START = "2020-01-01T00:00:00Z";
const START_MS = Date.parse(START);

/** Every `.parquet` file under dir, relative and sorted. */
function parquetFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".parquet")).sort();
}

/** Files (any kind) under dir. */
function anyFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[]).filter((e) => !e.isDirectory()).map((e) => e.name);
}

/**
 * A reader in another process: polls <input> and reads every new parquet file with polars the
 * moment it appears, until <done> exists (then one last scan). Prints {reads, rows, errors}.
 * It runs in its own process because polars writes synchronously: a reader in the replay's own
 * event loop could never observe a write in progress.
 */
const POLLER = `
const fs = require("fs"), path = require("path"), pl = require("nodejs-polars");
const [input, done] = process.argv.slice(1);
const seen = new Set(); let reads = 0, rows = 0; const errors = [];
const pause = new Int32Array(new SharedArrayBuffer(4));
function walk(dir, out) {
  let entries; try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries) { const p = path.join(dir, e.name); if (e.isDirectory()) walk(p, out); else out.push(p); }
  return out;
}
process.stdout.write("ready\\n");
for (;;) {
  const finished = fs.existsSync(done);
  for (const f of walk(input, [])) {
    if (seen.has(f)) continue;
    seen.add(f);
    try { rows += pl.readParquet(f).height; reads++; } catch (e) { errors.push(f + ": " + e.message); }
  }
  if (finished) break;
  Atomics.wait(pause, 0, 0, 1);
}
process.stdout.write(JSON.stringify({ reads, rows, errors }) + "\\n");
`;

function startPoller(input: string, done: string): { ready: Promise<void>; result: Promise<{ reads: number; rows: number; errors: string[] }> } {
  const child = spawn(process.execPath, ["-e", POLLER, input, done], { cwd: path.resolve(__dirname, "../.."), stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let onReady: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.startsWith("ready\n")) onReady();
  });
  const result = new Promise<{ reads: number; rows: number; errors: string[] }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out.split("\n")[1])) : reject(new Error(`poller exited with ${code}: ${out}`))));
  });
  return { ready, result };
}

describe("replay into the file stream (real files)", function () {
  this.timeout(180_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "streamlab-replay-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("the polling reader does catch a partial parquet file (control for the next test)", async () => {
    const input = path.join(dir, "input/locations/t=000.0");
    mkdirSync(input, { recursive: true });
    const whole = fakeFrameBytes();
    writeFileSync(path.join(input, "whole.parquet"), whole);
    writeFileSync(path.join(input, "partial.parquet"), whole.subarray(0, Math.floor(whole.length / 2)));
    writeFileSync(path.join(dir, "done"), "");
    const { result } = startPoller(path.join(dir, "input"), path.join(dir, "done"));
    const r = await result;
    assert.equal(r.reads, 1);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0], /partial\.parquet/);
  });

  it("a concurrent reader polling input/ never meets a partial file", async function () {
    if (!HAVE_BDD) this.skip(); // needs ../shared/data/bdd (the course's sample): not present on this machine
    const done = path.join(dir, "done");
    const poller = startPoller(path.join(dir, "out/input"), done);
    await poller.ready;
    const summary = await replay({ data: BDD, sinks: new FileSink({ out: path.join(dir, "out") }), speed: 40, start: START });
    writeFileSync(done, "");
    const r = await poller.result;
    assert.deepEqual(r.errors, []);
    assert.equal(r.reads, summary.files);
    assert.equal(r.rows, summary.rows);
    assert.equal(r.reads, 808);
  });

  it("replays the course's sample at speed max: 808 files, same partitions and names, same values, timestamp = start + offset", async function () {
    if (!HAVE_BDD) this.skip(); // needs ../shared/data/bdd (the course's sample): not present on this machine
    const out = path.join(dir, "out");
    const summary = await replay({ data: BDD, sinks: new FileSink({ out }), speed: "max", start: START });
    const source = parquetFiles(BDD);
    const written = parquetFiles(path.join(out, "input"));
    assert.equal(written.length, 808);
    assert.deepEqual(written, source);
    assert.deepEqual(anyFiles(path.join(out, "staging")), []);
    assert.equal(summary.tables.locations.rows, 478);
    assert.equal(summary.tables.accelerations.rows, 23_512);
    assert.deepEqual(summary.skipped, []);
    const rows = { locations: 0, accelerations: 0 } as Record<string, number>;
    for (const rel of written) {
      const src = pl.readParquet(path.join(BDD, rel));
      const got = pl.readParquet(path.join(out, "input", rel));
      rows[rel.split(path.sep)[0]] += got.height;
      assert.deepEqual(got.columns, src.columns, rel);
      assert.ok(got.drop("timestamp").frameEqual(src.drop("timestamp")), `${rel}: values differ from the source`);
      const offsets = src.getColumn("offset").toArray() as number[];
      const stamps = (got.getColumn("timestamp").toArray() as unknown as Date[]).map((d) => d.getTime());
      assert.deepEqual(stamps, offsets.map((o) => START_MS + Math.round(o * 1000)), `${rel}: timestamp != start + offset`);
    }
    assert.deepEqual(rows, { locations: 478, accelerations: 23_512 });
  });

  it("the CLI replays with --max-events, prints the summary, and rejects a bad --speed with exit code 2", async function () {
    if (!HAVE_BDD) this.skip(); // needs ../shared/data/bdd (the course's sample): not present on this machine
    const out = path.join(dir, "cli");
    const { code, out: text, err } = await runCli("replay", "--data", BDD, "--out", out, "--speed", "max", "--start", START, "--max-events", "4");
    assert.equal(code, 0, err);
    assert.match(text, /stopped early \(maxEvents\)/);
    assert.match(text, /total\s+[\d,]+ rows/);
    assert.equal(parquetFiles(path.join(out, "input")).filter((f) => f.includes("t=000.0")).length > 0, true);
    assert.equal((await runCli("replay", "--data", BDD, "--out", out, "--speed", "fast")).code, 2);
  });
});

function fakeFrameBytes(): Buffer {
  return pl.DataFrame({ uuid: ["a", "b", "c"], offset: [0.1, 0.2, 0.3] }).writeParquet();
}
