/**
 * Child processes in tests: start one with its output collected, or run one to the end. Used by
 * the CLI, notebook and browser helpers, so that each spawns and collects output the same way.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

/** The repository root: the default working directory of a child. */
export const ROOT = path.resolve(__dirname, "../..");

/** A running child: what it printed so far, and its exit code once it has ended. */
export interface StartedProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit code once the process ended and its output is all read (-1 when a signal killed it). */
  exited: Promise<number>;
}

/** What a finished child ended with. */
export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ProcessOptions {
  /** Added to the environment. */
  env?: NodeJS.ProcessEnv;
  /** Working directory; default the repository root. */
  cwd?: string;
  /** Written to the child's stdin, which is then closed; without it stdin is empty. */
  stdin?: string;
}

/** Starts `cmd args` with stdout and stderr collected. */
export function startProcess(cmd: string, args: string[], options: ProcessOptions = {}): StartedProcess {
  const child = spawn(cmd, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? -1));
  });
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs `cmd args` to the end; resolves with its exit code and output (never rejects on a non-zero code). */
export async function runProcess(cmd: string, args: string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  const p = startProcess(cmd, args, options);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
