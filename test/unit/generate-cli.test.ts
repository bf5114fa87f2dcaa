import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { runCli as run } from "../helpers/cli";
import { tempDir, writeBytes } from "../fixtures/dataset";

describe("generate: the streamlab generate command", function () {
  this.timeout(60_000);
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("generate-cli")));
  afterEach(() => cleanup());

  it("writes a dataset and prints a summary with rides, partitions, files, rows per table and bytes", async () => {
    const out = path.join(dir, "bdd");
    const r = await run("generate", "--rides", "2", "--duration", "20", "--seed", "5", "--out", out);
    assert.equal(r.code, 0, r.err);
    const files = readdirSync(path.join(out, "accelerations")).flatMap((p) => readdirSync(path.join(out, "accelerations", p)));
    assert.ok(files.length > 0);
    assert.match(r.out, /seed 5, 2 rides, 20 s/);
    for (const label of ["partitions:", "files:", "locations:", "accelerations:", "bytes:"]) assert.ok(r.out.includes(label), label);
  });

  it("refuses a non-empty folder without --force (exit code 2, names --force) and writes with it", async () => {
    writeBytes(dir, "something.txt", "x");
    const refused = await run("generate", "--rides", "1", "--duration", "10", "--out", dir);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /BAD_OPTION.*--force/);
    assert.ok(!existsSync(path.join(dir, "locations")));
    const forced = await run("generate", "--rides", "1", "--duration", "10", "--out", dir, "--force");
    assert.equal(forced.code, 0, forced.err);
    assert.ok(existsSync(path.join(dir, "locations")));
  });

  // Values the library rejects (rides 0, duration -5) name the flag too, not the library option (rides=).
  for (const [flag, value] of [["--rides", "abc"], ["--rides", "0"], ["--duration", "-5"], ["--seed", "x1"]]) {
    it(`rejects ${flag} ${value} with BAD_OPTION naming the flag as typed (exit code 2)`, async () => {
      const r = await run("generate", flag, value, "--out", path.join(dir, "never"));
      assert.equal(r.code, 2);
      assert.ok(r.err.includes(`[BAD_OPTION]: Invalid option ${flag} "${value}"`) || r.err.includes(`[BAD_OPTION]: Invalid option ${flag} ${value}:`), r.err);
      assert.ok(!existsSync(path.join(dir, "never")));
    });
  }

  it("documents every option and its default in --help", async () => {
    const r = await run("generate", "--help");
    assert.equal(r.code, 0);
    for (const text of ["--rides", "--duration", "--seed", "--out", "--force", 'default: "15"', 'default: "data/bdd"']) assert.ok(r.out.includes(text), text);
  });
});
