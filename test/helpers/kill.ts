/**
 * Fault injection with real processes: start a CLI run, kill it with SIGKILL at a seeded random
 * moment, again and again (the crash tests of checkpoints and of the replay's resume).
 */
import { strict as assert } from "node:assert";
import { startCli, waitUntil, type CliProcess } from "./cli";

export interface KillRunsOptions {
  /** How many runs to start (fewer when one finishes by itself). */
  runs: number;
  /** The CLI arguments of run `k`. */
  args: (k: number) => string[];
  /** For run `k`: a check that holds once it may be killed (e.g. after n progress lines). */
  killable: (cli: CliProcess, k: number) => () => boolean;
  /** Seeded randomness for the extra delay. */
  rand: () => number;
  /** The kill lands up to this many ms after `killable` holds. */
  maxDelayMs: number;
  /** Waiting longer than this for `killable` fails the test; default 120 s. */
  limitMs?: number;
}

/**
 * Starts the runs one after another, killing each once `killable` holds plus a random delay.
 * A run that ends by itself must exit 0, and ends the series. Returns how many runs were killed.
 */
export async function killRuns(o: KillRunsOptions): Promise<number> {
  let killed = 0;
  for (let k = 0; k < o.runs; k++) {
    const cli = startCli(o.args(k));
    let ended = false;
    void cli.exited.then(() => { ended = true; });
    const ready = o.killable(cli, k);
    await waitUntil(`run ${k} to be killable`, () => ended || ready(), o.limitMs);
    await new Promise((r) => setTimeout(r, Math.floor(o.rand() * o.maxDelayMs)));
    if (!ended) {
      cli.child.kill("SIGKILL");
      killed++;
    }
    const code = await cli.exited;
    assert.ok(code === -1 || code === 0, `run ${k} ended by itself with ${code}: ${cli.err()}`);
    if (code === 0) break;
  }
  return killed;
}

/** A check for `killable`: the run printed at least `n` lines matching `line`, or (`idleMs`) printed some and then nothing new for that long. */
export function afterLines(cli: CliProcess, line: RegExp, n: number, idleMs = Infinity): () => boolean {
  let seen = 0, since = Date.now();
  return () => {
    const count = (cli.out().match(line) ?? []).length;
    if (count !== seen) { seen = count; since = Date.now(); }
    return seen >= n || (seen > 0 && Date.now() - since > idleMs);
  };
}
