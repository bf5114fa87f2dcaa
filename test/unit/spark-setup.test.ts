/**
 * The Spark engine's set-up without Java: `scripts/spark.sh setup` (run by locateSparkSubmit) stops
 * with a ToolError naming Java 17 and how to install it, before anything is downloaded.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ToolError } from "../../lib/errors";
import { locateSparkSubmit } from "../../lib/spark/submit";

describe("Spark engine set-up", () => {
  it("without java on PATH: a ToolError (TOOL_MISSING) naming java and what to install", async () => {
    const bin = mkdtempSync(path.join(tmpdir(), "streamlab-nojava-"));
    const saved = { PATH: process.env.PATH, submit: process.env.STREAMLAB_SPARK_SUBMIT };
    try {
      // Only the tools the script needs before it looks for java.
      for (const tool of ["bash", "dirname", "mkdir", "flock"]) {
        symlinkSync(execFileSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), path.join(bin, tool));
      }
      process.env.PATH = bin;
      delete process.env.STREAMLAB_SPARK_SUBMIT;
      await assert.rejects(locateSparkSubmit(), (e: unknown) => {
        assert.ok(e instanceof ToolError, String(e));
        assert.equal(e.code, "TOOL_MISSING");
        assert.equal(e.context.tool, "java");
        assert.match(e.message, /Spark needs Java 17 .*openjdk-17/);
        return true;
      });
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.submit !== undefined) process.env.STREAMLAB_SPARK_SUBMIT = saved.submit;
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
