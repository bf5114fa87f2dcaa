/**
 * Running the `streamlab` CLI in tests, two ways:
 * - `runCli(...args)`: in-process through `main()` (fast, no build), capturing what it prints;
 * - `startCli(args)` / `spawnCli(args)`: a child process running the CLI from source through tsx, as
 *   `npx streamlab …` does from dist/ (for stdin, signals such as Ctrl-C, and real exit codes).
 */
import type { ChildProcess } from "node:child_process";
import { main } from "../../lib/cli/main";
import { startProcess, type ProcessOptions } from "./process";

/** What a CLI run ended with: its exit code and what it printed on stdout (`out`) and stderr (`err`). */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `streamlab <args>` in-process and resolves with its exit code and output. console.log /
 * console.error and direct writes to stdout/stderr (commander's help and usage errors) are captured,
 * and restored afterwards whatever happens.
 *
 * @example
 * const { code, err } = await runCli("replay", "--speed", "fast"); // code 2, err "error [BAD_OPTION]: …"
 */
export async function runCli(...args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  const { write: stdoutWrite } = process.stdout;
  const { write: stderrWrite } = process.stderr;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(["node", "streamlab", ...args]);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
}

/** A CLI child process: what it printed so far (`out`, `err`), and its exit code once it has ended. */
export interface CliProcess {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** The exit code once the process ended and its output is all read (-1 when a signal it did not handle killed it). */
  exited: Promise<number>;
}

/**
 * Starts `streamlab <args>` as a child process (from source, through tsx) in the repository root;
 * `options.stdin` is written to its stdin (empty without it), `options.env` added to its environment,
 * `options.prefix` runs it through another command (e.g. `setpriv --reuid=65534 …` to drop root).
 *
 * @example
 * const cli = startCli(["query", "windowed", "--input", dir]);
 * cli.child.kill("SIGINT");
 * assert.equal(await cli.exited, 130);
 */
export function startCli(args: string[], options: Pick<ProcessOptions, "stdin" | "env"> & { prefix?: string[] } = {}): CliProcess {
  const node = [process.execPath, "-r", "tsx/cjs", "-e", "require('./lib/cli/main').run(process.argv)", "streamlab", ...args];
  const [cmd, ...rest] = [...(options.prefix ?? []), ...node];
  const p = startProcess(cmd, rest, options);
  return { child: p.child, out: p.stdout, err: p.stderr, exited: p.exited };
}

/** {@link startCli}, resolving once the child has ended. */
export async function spawnCli(args: string[], options: Pick<ProcessOptions, "stdin" | "env"> = {}): Promise<CliResult> {
  const cli = startCli(args, options);
  const code = await cli.exited;
  return { code, out: cli.out(), err: cli.err() };
}

/** Resolves once `check()` is true; fails with `what` if it is not within `limitMs` (a deadline, not a timing assertion). */
export async function waitUntil(what: string, check: () => boolean, limitMs = 120_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
