/**
 * Notebook parameters: every `STREAMLAB_*` variable, its default and its validation, in one place.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDuration } from "../duration";
import { OptionError } from "../errors";
import { parseBootstrap } from "../kafka/options";
import { validateTopic } from "../kafka/topics";
import { parseSpeed } from "../replay/options";
import type { NotebookParams } from "./types";

/** Defaults of an interactive run (a headless run sets STREAMLAB_TIME_LIMIT, see scripts/jupyter.sh). */
export const NOTEBOOK_DEFAULTS = { data: "data/bdd", speed: 1, loop: false, sample: 5 } as const;

/** The environment variables {@link notebookParams} reads. */
export const NOTEBOOK_ENV = [
  "STREAMLAB_DATA", "STREAMLAB_BOOTSTRAP", "STREAMLAB_TOPIC_PREFIX", "STREAMLAB_SPEED",
  "STREAMLAB_LOOP", "STREAMLAB_TIME_LIMIT", "STREAMLAB_SAMPLE", "STREAMLAB_HEADLESS",
] as const;

type Env = Record<string, string | undefined>;

/**
 * The project folder (the one whose package.json is named `streamlab`), found from this module's
 * own location: it works from `lib/` (tsx) and from `dist/lib/` (notebooks). Falls back to the
 * current folder when no such package.json is above it.
 *
 * @example
 * projectRoot(); // "/home/me/streamlab", also when called from a notebook in notebooks/
 */
export function projectRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "streamlab") return dir;
    } catch {
      // no package.json here: keep walking up
    }
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

function set(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

function parseFlag(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new OptionError(name, value, "true or false (also 1/0, yes/no)");
}

/**
 * Reads the notebook parameters from the environment (first cell of the producer and consumer
 * notebooks). Relative `STREAMLAB_DATA` paths are taken from the project folder, not the notebook's.
 *
 * @param env where to read from (default `process.env`)
 * @throws OptionError (BAD_OPTION) naming the variable, e.g. `STREAMLAB_SPEED=fast`
 * @example
 * const params = notebookParams();
 * params.speed;     // 1 (real time) unless STREAMLAB_SPEED is set, e.g. "max" or "20"
 * params.timeLimit; // undefined, or seconds from STREAMLAB_TIME_LIMIT="2 minutes" → 120
 */
export function notebookParams(env: Env = process.env): NotebookParams {
  const root = projectRoot();
  const data = path.resolve(root, set(env, "STREAMLAB_DATA") ?? NOTEBOOK_DEFAULTS.data);

  const rawBootstrap = set(env, "STREAMLAB_BOOTSTRAP");
  const bootstrap = rawBootstrap === undefined ? undefined : parseBootstrap(rawBootstrap, "STREAMLAB_BOOTSTRAP").join(",");

  const rawPrefix = set(env, "STREAMLAB_TOPIC_PREFIX");
  const topicPrefix = rawPrefix === undefined ? undefined : validateTopic(rawPrefix, "STREAMLAB_TOPIC_PREFIX");

  const rawSpeed = set(env, "STREAMLAB_SPEED");
  const speed = rawSpeed === undefined ? NOTEBOOK_DEFAULTS.speed : parseSpeed(rawSpeed, "STREAMLAB_SPEED");

  const rawLoop = set(env, "STREAMLAB_LOOP");
  const loop = rawLoop === undefined ? NOTEBOOK_DEFAULTS.loop : parseFlag("STREAMLAB_LOOP", rawLoop);

  const rawLimit = set(env, "STREAMLAB_TIME_LIMIT");
  let timeLimit: number | undefined;
  if (rawLimit !== undefined && rawLimit.toLowerCase() !== "none") {
    const ms = parseDuration(rawLimit, "STREAMLAB_TIME_LIMIT");
    if (ms <= 0) throw new OptionError("STREAMLAB_TIME_LIMIT", rawLimit, 'a duration above 0 such as "2 minutes", or "none"');
    timeLimit = ms / 1000;
  }

  const rawSample = set(env, "STREAMLAB_SAMPLE");
  const sample = rawSample === undefined ? NOTEBOOK_DEFAULTS.sample : Number(rawSample);
  if (!Number.isInteger(sample) || sample < 1) throw new OptionError("STREAMLAB_SAMPLE", rawSample, "a whole number of 1 or more");

  const rawHeadless = set(env, "STREAMLAB_HEADLESS");
  const headless = rawHeadless === undefined ? false : parseFlag("STREAMLAB_HEADLESS", rawHeadless);

  return { data, bootstrap, topicPrefix, speed, loop, timeLimit, sample, headless };
}

/**
 * The parameters as `NAME=value` lines, for the first cell's output (what this run will do).
 *
 * @example
 * console.log(formatParams(notebookParams()));
 * // data        /home/me/streamlab/data/bdd
 * // speed       1
 */
export function formatParams(p: NotebookParams): string {
  const rows: Array<[string, string]> = [
    ["data", p.data],
    ["bootstrap", p.bootstrap ?? "(default: KAFKA_BOOTSTRAP_SERVERS or localhost:9092)"],
    ["topicPrefix", p.topicPrefix ?? "(from firstName/lastName)"],
    ["speed", String(p.speed)],
    ["loop", String(p.loop)],
    ["timeLimit", p.timeLimit === undefined ? "none" : `${p.timeLimit} s`],
    ["sample", String(p.sample)],
    ["headless", String(p.headless)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(12)}${v}`).join("\n");
}
