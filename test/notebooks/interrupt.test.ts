/**
 * Interrupting the kernel (what JupyterLab's ■ does: SIGINT) stops a running replay through
 * stopOnInterrupt(): tslab alone would only reject the awaiting cell and leave the loop running.
 * Driven through jupyter_client against the real tslab kernel (fixtures/interrupt.py).
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { jupyterSh, ROOT, testDataset } from "../helpers/notebooks";
import { runProcess } from "../helpers/process";

describe("interrupting the tslab kernel stops a replay started with stopOnInterrupt()", function () {
  this.timeout(600_000);

  it("the awaiting cell is rejected, the replay ends with stopReason \"aborted\", and awaiting it again returns", async function () {
    const data = testDataset();
    if (data === undefined) {
      console.log("    (skipped: no dataset; expected ../shared/data/bdd or data/bdd — run `npx streamlab generate`)");
      this.skip();
    }
    const env = await jupyterSh(["env"]);
    assert.equal(env.code, 0, env.stderr);
    const python = /^python:\s+(.+)$/m.exec(env.stdout)?.[1];
    const jupyterPath = /^jupyter_path:\s+(.+)$/m.exec(env.stdout)?.[1];
    assert.ok(python && jupyterPath, env.stdout);
    const r = await runProcess(python, [path.join(__dirname, "fixtures", "interrupt.py"), path.join(ROOT, "notebooks"), data!], { env: { JUPYTER_PATH: jupyterPath } });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, string>;
    assert.equal(result.start, "ok");
    assert.equal(result.await, "error", "tslab rejects the interrupted cell");
    assert.equal(result.again, "ok", "awaiting the run again returned: the replay stopped");
    const m = /stopReason=(\w+) released=(\d+) aborted=(\w+)/.exec(result.output);
    assert.ok(m, result.output);
    assert.equal(m[1], "aborted");
    assert.ok(Number(m[2]) >= 1);
    assert.equal(m[3], "true");
  });
});
