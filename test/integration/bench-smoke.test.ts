import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SECTION_IDS, SECTION_TITLES } from "../../bench/lib/report";

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * Smoke test of `npm run bench`: the quick mode's replay section (the full quick run starts three
 * Spark sessions and takes several minutes), written to a temp folder. Asserts the report's shape
 * only — never a timing: performance figures live in the bench's own report.
 */
describe("npm run bench -- --quick (smoke)", function () {
  // The first run creates .venv-bench (pip install of requirements-bench.txt, pyspark included).
  this.timeout(1_200_000);
  let out: string;

  before(() => {
    out = mkdtempSync(path.join(os.tmpdir(), "streamlab-bench-smoke-"));
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it("writes the JSON and markdown reports with every section present", async () => {
    await new Promise<void>((resolve, reject) => {
      execFile(path.join(ROOT, "node_modules", ".bin", "tsx"), ["bench/run.ts", "--quick", "--only", "replay", "--out", out],
        // Its own data/scratch folder: never shares files with a bench a developer runs meanwhile.
        { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, STREAMLAB_BENCH_DIR: path.join(out, "work") } }, (err, _stdout, stderr) => (err ? reject(new Error(`bench failed: ${err.message}\n${stderr.slice(-2000)}`)) : resolve()));
    });
    const files = readdirSync(out).filter((f) => f !== "work").sort();
    const md = files.find((f) => /^\d{4}-\d{2}-\d{2}-quick\.md$/.test(f));
    const json = files.find((f) => /^\d{4}-\d{2}-\d{2}-quick\.json$/.test(f));
    assert.ok(md && json, `expected <date>-quick.md and .json in ${out}, found ${files.join(", ")}`);

    const text = readFileSync(path.join(out, md), "utf8");
    assert.match(text, /^## Summary$/m);
    for (const id of SECTION_IDS) assert.match(text, new RegExp(`^## ${SECTION_TITLES[id].replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"), `section ${id} missing`);

    const report = JSON.parse(readFileSync(path.join(out, json), "utf8"));
    assert.equal(report.mode, "quick");
    assert.deepEqual(report.sections.map((s: { id: string }) => s.id), [...SECTION_IDS]);
    const replay = report.sections.find((s: { id: string }) => s.id === "replay");
    // speed 1 and 10 × files and kafka × streamlab and the course's replay: one row each, measured or
    // "not measured"; and per speed the machine's timer floor (a row when measured).
    const rows: unknown[][] = replay.tables[0].rows;
    assert.equal(rows.filter((r) => r[2] !== "timer floor (streamlab's clock, no work)").length, 8);
    assert.equal(rows.length - 8 + replay.notMeasured.filter((m: string) => /timer floor/.test(m)).length, 2, "a timer floor per speed, measured or not");
    assert.ok(report.datasets.length > 0, "the report lists the data it generated");
    for (const s of report.sections.filter((x: { id: string }) => x.id !== "replay")) assert.match(s.verdict, /not run/);
  });
});
