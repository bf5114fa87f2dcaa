/** The Python baselines' virtualenv: `.venv-bench/`, created on first use from requirements-bench.txt. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Child, NotMeasured } from "./proc";

export const ROOT = path.resolve(__dirname, "..", "..");
export const VENV = path.join(ROOT, ".venv-bench");
const REQUIREMENTS = path.join(ROOT, "requirements-bench.txt");
const STAMP = path.join(VENV, ".requirements-installed");
export const BASELINES = path.join(ROOT, "bench", "baselines");

async function sh(cmd: string, args: string[], timeoutMs: number, what: string): Promise<void> {
  const r = await new Child(cmd, args, { timeoutMs }).done;
  if (r.code !== 0) throw new NotMeasured(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
}

let ready: Promise<string> | undefined;

/**
 * Returns the venv's python, creating `.venv-bench/` and installing requirements-bench.txt when
 * missing or changed (a stamp file holds the installed requirements). Throws NotMeasured when
 * Python 3.11 or PyPI is not available, so only the Python rows of the report are lost.
 */
export function ensurePython(log: (m: string) => void): Promise<string> {
  ready ??= (async () => {
    const py = path.join(VENV, "bin", "python");
    const want = readFileSync(REQUIREMENTS, "utf8");
    if (existsSync(py) && existsSync(STAMP) && readFileSync(STAMP, "utf8") === want) return py;
    const base = ["python3.11", "python3"].find((p) => {
      try {
        require("node:child_process").execFileSync(p, ["--version"], { stdio: "ignore" });
        return true;
      } catch {
        return false;
      }
    });
    if (!base) throw new NotMeasured("python3.11 not found (needed for the Python/Spark baselines)");
    if (!existsSync(py)) {
      log(`creating ${path.relative(ROOT, VENV)}/ with ${base}…`);
      await sh(base, ["-m", "venv", VENV], 120_000, "python -m venv");
    }
    log("installing requirements-bench.txt into .venv-bench (once; pyspark is ~300 MB)…");
    await sh(py, ["-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", REQUIREMENTS], 900_000, "pip install -r requirements-bench.txt");
    writeFileSync(STAMP, want);
    return py;
  })();
  return ready;
}

/** Arguments to run one baseline script with the venv's python (unbuffered). */
export function baseline(script: string, args: string[]): string[] {
  return ["-u", path.join(BASELINES, script), ...args];
}
