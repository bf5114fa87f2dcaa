/** Child processes of the bench: run one, parse its `BENCH_RESULT {json}` line, stop it cleanly. */
import { spawn, type ChildProcess } from "node:child_process";

/** A measurement that could not be taken; the report shows "not measured: <reason>". */
export class NotMeasured extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "NotMeasured";
  }
}

export const RESULT_PREFIX = "BENCH_RESULT ";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the process (SIGTERM, then SIGKILL) after this long. */
  timeoutMs?: number;
  /** Called for each stdout/stderr line as it arrives. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  timedOut: boolean;
}

/** The JSON of the last `BENCH_RESULT ` line, or undefined. */
export function parseResult(stdout: string): any {
  const lines = stdout.split("\n").filter((l) => l.startsWith(RESULT_PREFIX));
  return lines.length ? JSON.parse(lines[lines.length - 1].slice(RESULT_PREFIX.length)) : undefined;
}

/** The informative end of a child's output: its exception lines if any, else its last lines. */
function tail(text: string, n = 6): string {
  const lines = text.trim().split("\n").filter((l) => l.trim() !== "" && !/^\s+at /.test(l));
  const errors = lines.filter((l) => /(Exception|Error)\b.*:/.test(l));
  return (errors.length ? errors.slice(-2) : lines.slice(-n)).join(" | ").slice(0, 600);
}

/** A long-running child: wait for a line, then stop it; `done` resolves when it exits. */
export class Child {
  readonly proc: ChildProcess;
  stdout = "";
  stderr = "";
  readonly done: Promise<RunResult>;
  private readonly waiters: { re: RegExp; resolve: (l: string) => void }[] = [];

  constructor(cmd: string, args: string[], opts: RunOptions = {}) {
    const t0 = performance.now();
    let timedOut = false;
    this.proc = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"], detached: false });
    const timer = opts.timeoutMs ? setTimeout(() => { timedOut = true; this.kill(); }, opts.timeoutMs) : undefined;
    const feed = (stream: "stdout" | "stderr") => {
      let buf = "";
      return (chunk: Buffer) => {
        const text = chunk.toString();
        if (stream === "stdout") this.stdout += text; else this.stderr += text;
        if (this.stderr.length > 2_000_000) this.stderr = this.stderr.slice(-1_000_000);
        buf += text;
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          opts.onLine?.(line, stream);
          for (const w of [...this.waiters]) if (w.re.test(line)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(line); }
        }
      };
    };
    this.proc.stdout!.on("data", feed("stdout"));
    this.proc.stderr!.on("data", feed("stderr"));
    this.done = new Promise((resolve) => {
      this.proc.on("error", (e) => { this.stderr += String(e); });
      this.proc.on("close", (code) => {
        if (timer) clearTimeout(timer);
        resolve({ code, stdout: this.stdout, stderr: this.stderr, wallMs: performance.now() - t0, timedOut });
      });
    });
  }

  /** Resolves with the first line matching `re` (stdout or stderr); rejects with NotMeasured on exit or timeout. */
  waitFor(re: RegExp, timeoutMs: number, what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new NotMeasured(`${what}: not ready after ${Math.round(timeoutMs / 1000)} s (${tail(this.stderr, 3)})`)), timeoutMs);
      this.waiters.push({ re, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      void this.done.then((r) => { clearTimeout(timer); reject(new NotMeasured(`${what} exited (code ${r.code}) before it was ready: ${tail(r.stderr)}`)); });
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(graceMs = 15_000): Promise<RunResult> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGTERM");
      const t = setTimeout(() => this.kill(), graceMs);
      const r = await this.done;
      clearTimeout(t);
      return r;
    }
    return this.done;
  }

  private kill(): void {
    try { this.proc.kill("SIGKILL"); } catch { /* already gone */ }
  }
}

/** Runs a child to completion and returns its parsed result; any failure becomes NotMeasured. */
export async function runJson(what: string, cmd: string, args: string[], opts: RunOptions = {}): Promise<any> {
  const child = new Child(cmd, args, opts);
  const r = await child.done;
  if (r.timedOut) throw new NotMeasured(`${what} did not finish within ${Math.round((opts.timeoutMs ?? 0) / 1000)} s`);
  const result = parseResult(r.stdout);
  if (r.code !== 0 || result === undefined) throw new NotMeasured(`${what} failed (exit ${r.code}): ${tail(r.stderr || r.stdout)}`);
  if (result.error) throw new NotMeasured(`${what}: ${result.error}`);
  return { ...result, processWallMs: r.wallMs };
}

/** Turns any error into the reason string of a "not measured" cell. */
export function reasonOf(e: unknown): string {
  if (e instanceof NotMeasured) return e.reason;
  const err = e as { code?: string; message?: string };
  return `${err?.code ? err.code + ": " : ""}${err?.message ?? String(e)}`.slice(0, 400);
}
