/**
 * Helpers of the notebook tests: run notebooks headless through scripts/jupyter.sh (the same path
 * as `npm run notebooks`), read the executed .ipynb, make sure a Kafka broker answers.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import pl from "nodejs-polars";
import { ROOT, runProcess, type ProcessResult } from "./process";

export { ROOT };
export const JUPYTER_SH = path.join(ROOT, "scripts", "jupyter.sh");

export interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
}
export interface NotebookCell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  outputs?: NotebookOutput[];
}
export interface Notebook {
  cells: NotebookCell[];
  metadata: { kernelspec?: { name: string } };
}

export interface RunResult {
  /** Exit code of `scripts/jupyter.sh run`. */
  code: number;
  stdout: string;
  stderr: string;
  /** Path of the executed copy (exists only when the run succeeded). */
  executed: string;
}

const join = (t: string | string[] | undefined): string => (Array.isArray(t) ? t.join("") : t ?? "");

/** Runs `bash scripts/jupyter.sh <args>` with extra environment variables; never throws on exit code. */
export function jupyterSh(args: string[], env: Record<string, string> = {}): Promise<ProcessResult> {
  return runProcess("bash", [JUPYTER_SH, ...args], { env });
}

/** Executes one notebook headless into `outputDir` (what `npm run notebooks` does per notebook). */
export async function runNotebook(notebook: string, outputDir: string, env: Record<string, string> = {}, timeoutSec = 300): Promise<RunResult> {
  const r = await jupyterSh(["run", "--output-dir", outputDir, "--timeout", String(timeoutSec), notebook], env);
  return { ...r, executed: path.join(outputDir, path.basename(notebook)) };
}

export function readNotebook(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
}

/** Everything a code cell showed: its stream text and the text/plain of its displays (each on lines of its own), in order. */
export function cellText(cell: NotebookCell): string {
  return (cell.outputs ?? []).map((o) => join(o.text) + (o.data?.["text/plain"] === undefined ? "" : `${join(o.data["text/plain"])}\n`)).join("");
}

/** The text of every code cell's outputs, in order. */
export function notebookText(nb: Notebook): string {
  return nb.cells.filter((c) => c.cell_type === "code").map(cellText).join("\n");
}

/** Outputs of one type (e.g. `display_data`) over the whole notebook. */
export function outputsOfType(nb: Notebook, type: string): NotebookOutput[] {
  return nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === type);
}

/** True when something accepts TCP connections at host:port within `timeoutMs`. */
export function reachable(hostPort: string, timeoutMs = 2000): Promise<boolean> {
  const i = hostPort.lastIndexOf(":");
  const host = hostPort.slice(0, i);
  const port = Number(hostPort.slice(i + 1));
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * The bootstrap server of the tests: KAFKA_BOOTSTRAP_SERVERS, else the project's local broker,
 * started with `scripts/kafka.sh ensure` when nothing answers (and left running: it is shared).
 */
export async function ensureBroker(): Promise<string> {
  const bootstrap = (process.env.KAFKA_BOOTSTRAP_SERVERS ?? "localhost:9092").split(",")[0].trim();
  if (await reachable(bootstrap)) return bootstrap;
  if (process.env.KAFKA_BOOTSTRAP_SERVERS) throw new Error(`No Kafka broker answers at KAFKA_BOOTSTRAP_SERVERS=${bootstrap}: start it or unset the variable.`);
  const r = spawnSync("bash", [path.join(ROOT, "scripts", "kafka.sh"), "ensure"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0 || !(await reachable(bootstrap))) throw new Error(`Could not start the local broker (npm run kafka:start):\n${r.stdout}${r.stderr}`);
  return bootstrap;
}

/**
 * Row counts per table of a BDD-layout folder, read with polars straight from the parquet files
 * (independently of lib/dataset). Files polars cannot read are left out.
 */
export function parquetRowCounts(root: string): { locations: number; accelerations: number } {
  const count = (table: string): number => {
    const dir = path.join(root, table);
    let rows = 0;
    for (const part of fs.readdirSync(dir).filter((d) => /^t=\d+(\.\d+)?$/.test(d))) {
      for (const f of fs.readdirSync(path.join(dir, part)).filter((n) => n.endsWith(".parquet"))) {
        try {
          rows += pl.readParquet(path.join(dir, part, f)).height;
        } catch {
          // unreadable: the replay skips it too
        }
      }
    }
    return rows;
  };
  return { locations: count("locations"), accelerations: count("accelerations") };
}

/** The dataset the notebook tests replay: the course's real sample when present, else data/bdd. */
export function testDataset(): string | undefined {
  const candidates = [process.env.STREAMLAB_TEST_DATA, path.resolve(ROOT, "../shared/data/bdd"), "/work/shared/data/bdd", path.join(ROOT, "data/bdd")];
  return candidates.find((c): c is string => c !== undefined && fs.existsSync(path.join(c, "locations")));
}
