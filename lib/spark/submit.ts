/**
 * Runs a generated PySpark program with spark-submit from the pyspark the project installs
 * (`scripts/spark.sh setup`: the active conda env with pyspark, else `.venv-spark/`), reading the
 * program's progress lines as they come.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { QueryError, ToolError } from "../errors";
import { projectRoot } from "../notebooks/options";
import { PROGRESS_PREFIX } from "./helpers";
import { SPARK_KAFKA_PACKAGE } from "./program";

/** One micro-batch's progress as the program prints it (Spark's progress, mapped to streamlab's names). */
export interface SparkProgress {
  query: string;
  batchId: number;
  numInputRows: Record<string, number>;
  numOutputRows: number;
  rowsDroppedByWatermark: number;
  watermark: string | null;
  stateRows: number;
  durationMs: Record<string, number>;
  timestamp: string;
}

export interface SparkRunOptions {
  /** Spark master URL, e.g. `local[2]`, `spark://HOST:7077`, `yarn`. */
  master: string;
  /** Add the Kafka connector (`--packages`, resolved from Maven Central). */
  kafka: boolean;
  /** A name for the program file and messages. */
  name: string;
  onProgress?: (p: SparkProgress) => void;
  /** Aborting it stops spark-submit (SIGTERM to its process group). */
  signal?: AbortSignal;
}

let located: Promise<string> | undefined;

/**
 * Resolving `--packages` (Ivy) from two spark-submits at once can corrupt the shared Ivy cache: a
 * run with the Kafka connector starts once the previous one has resolved it (printed its first
 * progress line, or ended). The simple query starts two programs together.
 */
let packagesResolved: Promise<void> = Promise.resolve();

/**
 * The spark-submit to use: `STREAMLAB_SPARK_SUBMIT` when set, else the one `scripts/spark.sh setup`
 * installs (once, a few minutes for pyspark; quiet when done). Asynchronous: a notebook kernel
 * stays responsive while pip runs.
 *
 * @throws ToolError naming Java or Python (what to install) when the set-up cannot run
 */
export function locateSparkSubmit(): Promise<string> {
  const fromEnv = process.env.STREAMLAB_SPARK_SUBMIT?.trim();
  if (fromEnv) return Promise.resolve(fromEnv);
  located ??= setup().catch((e: unknown) => {
    located = undefined; // fixed (Java installed)? the next call tries again
    throw e;
  });
  return located;
}

function setup(): Promise<string> {
  const script = path.join(projectRoot(), "scripts", "spark.sh");
  return new Promise((resolve, reject) => {
    execFile("bash", [script, "setup"], { encoding: "utf8", maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error === null) return resolve(stdout.trim().split("\n").pop()!);
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return reject(new ToolError("bash", `cannot run ${script} (${error.message}); install bash`, error));
      const why = (stderr || stdout).trim().split("\n").slice(-3).join(" ");
      const tool = /'java'/.test(why) ? "java" : /python/i.test(why) ? "python" : "pyspark";
      reject(new ToolError(tool, `the Spark engine cannot be set up: ${why}`));
    });
  });
}

/** Lines of spark-submit's stderr worth showing when it fails: Python and Java errors, not Spark's INFO log. */
function errorLines(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  const useful = lines.filter((l) => /Error|Exception|Traceback|^\s+File |Caused by|not found|No such/.test(l) && !/^\s+at /.test(l));
  return (useful.length > 0 ? useful : lines).slice(-12).join("\n");
}

/**
 * Writes `program` to a temporary file and runs it with spark-submit; resolves when it ends
 * (the program's trigger `once` ends by itself; other triggers run until `signal` aborts).
 *
 * @throws ToolError when Java/Python/pyspark are missing; QueryError when the program fails (with its error lines)
 */
export async function runSparkProgram(program: string, o: SparkRunOptions): Promise<void> {
  const submit = await locateSparkSubmit();
  const dir = mkdtempSync(path.join(tmpdir(), "streamlab-spark-program-"));
  const file = path.join(dir, `${o.name.replace(/[^A-Za-z0-9_-]/g, "_")}.py`);
  writeFileSync(file, program);
  const bin = path.dirname(submit);
  const args = ["--master", o.master, ...(o.kafka ? ["--packages", SPARK_KAFKA_PACKAGE] : []), file];
  let resolved = () => {};
  if (o.kafka) {
    const before = packagesResolved;
    packagesResolved = new Promise<void>((r) => { resolved = r; });
    await before;
  }
  // The env's python runs the driver and finds SPARK_HOME (pyspark's own launcher asks `python3`).
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, PYSPARK_PYTHON: process.env.PYSPARK_PYTHON ?? path.join(bin, "python") };
  await new Promise<void>((resolve, reject) => {
    const child = spawn(submit, args, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let pending = "";
    const onAbort = () => {
      try { process.kill(-child.pid!, "SIGTERM"); } catch { /* ended already */ }
    };
    o.signal?.addEventListener("abort", onAbort, { once: true });
    if (o.signal?.aborted) onAbort();
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith(PROGRESS_PREFIX)) {
          resolved();
          o.onProgress?.(JSON.parse(line.slice(PROGRESS_PREFIX.length)) as SparkProgress);
        } else if (line.trim() !== "") process.stdout.write(`${line}\n`); // the program's own output (console sink)
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-200_000);
    });
    child.on("error", (e) => (resolved(), reject(new ToolError("spark-submit", `cannot start ${submit} (${e.message}); run 'bash scripts/spark.sh setup'`, e))));
    child.on("close", (code, signal) => {
    resolved();
      o.signal?.removeEventListener("abort", onAbort);
      if (code === 0 || o.signal?.aborted) return resolve();
      if (/JAVA_HOME is not set|java: not found|No such file or directory.*java/.test(stderr)) {
        return reject(new ToolError("java", "spark-submit needs Java 17: install it (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; conda: environment.yml has openjdk=17)"));
      }
      reject(new QueryError(`query "${o.name}" on Spark (${o.master}) failed: spark-submit exited with ${code ?? signal}. The program is ${file}; its errors:\n${errorLines(stderr)}`, { context: { engine: "spark", program: file } }));
    });
  });
  // A failed run keeps its program (the error names it) so the user can read and rerun it.
  rmSync(dir, { recursive: true, force: true });
}
