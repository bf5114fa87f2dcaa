import path from "node:path";
import { OptionError } from "../errors";
import type { KafkaOptions } from "../kafka";
import { notebookParams, projectRoot } from "../notebooks";

/** The parameters of the pipeline notebooks, from `STREAMLAB_*` environment variables. */
export interface PipelineParams {
  /** Connection: `STREAMLAB_BOOTSTRAP`, `STREAMLAB_TOPIC_PREFIX` (as in the other notebooks). */
  kafka: KafkaOptions;
  /** `STREAMLAB_HEADLESS=1` in `npm run notebooks`. */
  headless: boolean;
  /** How many events/sales/readings to make: `STREAMLAB_COUNT`. */
  count: number;
  /** Random seed: `STREAMLAB_SEED`. */
  seed: number;
  /** TCP port of a server the notebook starts: `STREAMLAB_PORT` (0 = any free port; headless default 0). */
  port: number;
  /** Output folder or file, absolute: `STREAMLAB_OUT` (relative paths are taken from the project folder). */
  out: string;
}

type Env = Record<string, string | undefined>;

function whole(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new OptionError(name, raw, `expected a whole number from ${min} to ${max}`);
  return n;
}

/**
 * Reads a pipeline notebook's parameters; each notebook passes its own defaults.
 *
 * @example
 * ```ts
 * const p = pipelineParams({ count: 60, port: 5000, out: "results/game" });
 * p.kafka; // { bootstrap: undefined, topicPrefix: undefined } unless STREAMLAB_BOOTSTRAP / STREAMLAB_TOPIC_PREFIX are set
 * ```
 */
export function pipelineParams(defaults: { count: number; seed?: number; port?: number; out?: string }, env: Env = process.env): PipelineParams {
  const base = notebookParams(env);
  const out = env.STREAMLAB_OUT?.trim() || defaults.out || "results";
  return {
    kafka: { bootstrap: base.bootstrap, topicPrefix: base.topicPrefix },
    headless: base.headless,
    count: whole(env, "STREAMLAB_COUNT", defaults.count, 0),
    seed: whole(env, "STREAMLAB_SEED", defaults.seed ?? 1, 0),
    port: whole(env, "STREAMLAB_PORT", base.headless ? 0 : defaults.port ?? 0, 0, 65_535),
    out: path.resolve(projectRoot(), out),
  };
}
