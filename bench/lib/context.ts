/** What every section gets: the profile, logging, child-process runners and the data it needs. */
import { readdirSync } from "node:fs";
import path from "node:path";
import type { Profile, GenSpec } from "../config";
import { expanded, generated, type Dataset } from "./datasets";
import { runJson } from "./proc";
import { baseline, ensurePython, ROOT } from "./python";

export const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
/** No __pycache__ folders in the repository. */
export const PY_ENV = { PYTHONDONTWRITEBYTECODE: "1" };

export class Ctx {
  readonly runId = Date.now().toString(36).toUpperCase();
  readonly datasets = new Map<string, Dataset>();
  /** Results one section leaves for another (the engine runs feed the memory section). */
  readonly shared: Record<string, any> = {};
  readonly topics: string[] = [];

  constructor(readonly mode: "quick" | "full", readonly p: Profile, readonly log: (m: string) => void) {}

  /** Runs `bench/ours/<script>` with tsx in a fresh Node process. */
  ours(what: string, script: string, args: string[], timeoutMs = this.p.timeouts.childMs): Promise<any> {
    this.log(`  ${what}`);
    return runJson(what, TSX, [path.join(ROOT, "bench", "ours", script), ...args], { cwd: ROOT, timeoutMs });
  }

  /** Runs `bench/baselines/<script>` with the venv's Python. */
  async py(what: string, script: string, args: string[], timeoutMs = this.p.timeouts.childMs): Promise<any> {
    const python = await ensurePython(this.log);
    this.log(`  ${what}`);
    return runJson(what, python, baseline(script, args), { cwd: path.join(ROOT, "bench", "baselines"), timeoutMs, env: PY_ENV });
  }

  async data(name: string, spec: GenSpec): Promise<Dataset> {
    const ds = await generated(spec.rides, spec.duration, this.p.seed, this.log);
    this.datasets.set(name, ds);
    return ds;
  }

  async expand(name: string, base: Dataset, copies: number, loops: number): Promise<Dataset> {
    const ds = await expanded(base, copies, loops, this.p.start, this.log);
    this.datasets.set(name, ds);
    return ds;
  }

  /** Topic names unique to this run (so reruns never read old messages); deleted at the end. */
  prefix(tag: string): string {
    const p = `StreamlabBench${this.runId}${tag}`;
    this.topics.push(`${p}-locations`, `${p}-accelerations`, `${p}-windowed`, `${p}-perf`);
    return p;
  }
}

/** How many loops of `base` cover about `seconds` simulated seconds. */
export function loopsFor(base: Dataset, seconds: number): number {
  const times = readdirSync(path.join(base.dir, "locations")).map((n) => Number(n.replace(/^t=/, ""))).filter(Number.isFinite);
  const period = Math.ceil((Math.max(...times) + 3.8) * 10) / 10;
  return Math.max(1, Math.round(seconds / period));
}

/** Spark's maxFilesPerTrigger that splits `partitions` into about `batches` micro-batches. */
export function filesPerTrigger(partitions: number, batches: number): number {
  return Math.max(1, Math.ceil(partitions / batches));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;
