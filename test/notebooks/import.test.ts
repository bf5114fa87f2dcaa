/**
 * How notebooks reach lib/: tslab compiles each cell on its own (no tsconfig) and only accepts local
 * .ts imports under the notebook's folder, so notebooks import the compiled package "streamlab"
 * (node_modules/streamlab -> the project, main/types in dist/). Proved here with real Jupyter, the
 * real tslab kernel and `jupyter nbconvert --execute`, through scripts/jupyter.sh.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cellText, jupyterSh, readNotebook, ROOT, runNotebook } from "../helpers/notebooks";

const FIXTURES = path.join(__dirname, "fixtures");

describe("notebooks reach lib/ as the package \"streamlab\"", function () {
  this.timeout(600_000);
  let out: string;

  before(async function () {
    const setup = await jupyterSh(["setup"]);
    assert.equal(setup.code, 0, `scripts/jupyter.sh setup failed:\n${setup.stderr}`);
    out = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-nb-"));
  });

  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it("setup links node_modules/streamlab to the project and restores the link when it is gone", async function () {
    const link = path.join(ROOT, "node_modules", "streamlab");
    fs.rmSync(link, { force: true }); // what `npm ci` does to it
    const r = await jupyterSh(["setup"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.realpathSync(link), fs.realpathSync(ROOT));
    const pkg = JSON.parse(fs.readFileSync(path.join(link, "package.json"), "utf8")) as { name: string; main: string };
    assert.equal(pkg.name, "streamlab");
    assert.ok(fs.existsSync(path.join(link, pkg.main)), `${pkg.main} is missing: npm run build`);
  });

  it("installs the tslab kernelspec into the project's Python env, pointing at the project's own tslab", async function () {
    const r = await jupyterSh(["env"]);
    assert.equal(r.code, 0, r.stderr);
    const specPath = /^kernelspec:\s+(.+)$/m.exec(r.stdout)?.[1];
    assert.ok(specPath, `no kernelspec line in:\n${r.stdout}`);
    assert.ok(!specPath.startsWith(path.join(os.homedir(), ".local")), `kernelspec went to the user's folder: ${specPath}`);
    const spec = JSON.parse(fs.readFileSync(specPath, "utf8")) as { argv: string[]; env?: Record<string, string> };
    assert.equal(spec.argv[0], path.join(ROOT, "node_modules", ".bin", "tslab"));
    assert.deepEqual(spec.argv.slice(1), ["kernel", "--config-path", "{connection_file}"]);
    assert.match(spec.env?.PATH ?? "", /^\/.+:\$\{PATH\}$/);
  });

  it("executes a notebook that imports from \"streamlab\" and nodejs-polars, without touching the source", async function () {
    const source = path.join(FIXTURES, "import-streamlab.ipynb");
    const before = fs.readFileSync(source, "utf8");
    const r = await runNotebook(source, out);
    assert.equal(r.code, 0, r.stderr);
    const nb = readNotebook(r.executed);
    const code = nb.cells.filter((c) => c.cell_type === "code");
    assert.match(cellText(code[0]), /^duration-ms=1500$/m);
    assert.match(cellText(code[1]), /^error-code=BAD_OPTION$/m);
    assert.match(cellText(code[2]), /^polars-sum=5$/m);
    assert.match(cellText(code[2]), /shape: \(2, 2\)/);
    assert.equal(fs.readFileSync(source, "utf8"), before, "the source notebook was modified");
  });

  it("fails with a non-zero exit and tslab's message when a notebook imports ../lib directly (the trap)", async function () {
    const r = await runNotebook(path.join(FIXTURES, "import-relative-lib.ipynb"), out);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /is not under 'rootDir'/);
    assert.match(r.stderr, /FAILED: .*import-relative-lib\.ipynb/);
    assert.ok(!fs.existsSync(r.executed), "a failed run must not leave an executed copy that looks complete");
  });
});
