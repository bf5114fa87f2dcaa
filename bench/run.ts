/**
 * `npm run bench` — streamlab against its anchors, every baseline measured in the same run on
 * the same data (docs/benchmarks.md).
 *
 *   npm run bench                      full run (~30 min on 2 cores): bench/results/<date>.{json,md} + bench/REPORT.md
 *   npm run bench -- --quick           smoke-sized run: bench/results/<date>-quick.{json,md}
 *   npm run bench -- --only replay,publish   run some sections; the others are listed as not run
 *   npm run bench -- --out DIR         write the results somewhere else (tests use a temp folder)
 *   npm run bench -- --engine-minutes 30 --spark-cap 300   resize section 3's large stream / Spark's time cap
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PROFILES } from "./config";
import { Ctx } from "./lib/context";
import { RUN_DIR, WORK } from "./lib/datasets";
import { brokerReachable, deleteTopics } from "./lib/kafka";
import { reasonOf } from "./lib/proc";
import { ROOT, VENV, ensurePython } from "./lib/python";
import { renderConsole, renderMarkdown, SECTION_IDS, SECTION_TITLES, type Report, type Section, type SectionId } from "./lib/report";
import { engineSection } from "./sections/engine";
import { latencySection } from "./sections/latency";
import { memorySection } from "./sections/memory";
import { PUBLISH_TARGET, publishSection } from "./sections/publish";
import { REPLAY_TARGET, replaySection } from "./sections/replay";
import { scalingSection } from "./sections/scaling";
import { courseSection } from "./sections/course";
import { CONSUME_TARGET, consumeSection } from "./sections/consume";

const SECTIONS: Record<SectionId, (ctx: Ctx) => Promise<Omit<Section, "id" | "title" | "seconds">>> = {
  replay: replaySection,
  publish: publishSection,
  engine: engineSection,
  latency: latencySection,
  memory: memorySection,
  scaling: scalingSection,
  course: courseSection,
  consume: consumeSection,
};

const TARGETS: Record<SectionId, string> = {
  replay: REPLAY_TARGET,
  publish: PUBLISH_TARGET,
  engine: "10× Spark (rows/s), same results",
  latency: "p50 ≤ 25 ms, p99 ≤ 60 ms",
  memory: "bounded: 60-min peak RSS ≤ 1.1× the 10-min one's, < 1 GB",
  scaling: "cost linear in rides",
  course: "≤ 3× the polars batch limit and ≥ 10× faster than Spark, results identical to the limit's",
  consume: CONSUME_TARGET,
};

function parseArgs(argv: string[]) {
  const o = { quick: false, only: [...SECTION_IDS] as SectionId[], out: path.join(ROOT, "bench", "results"), engineMinutes: 0, sparkCap: -1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") o.quick = true;
    else if (a === "--only") {
      const want = (argv[++i] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
      const bad = want.filter((w) => !(SECTION_IDS as readonly string[]).includes(w));
      if (bad.length) throw new Error(`--only: unknown section(s) ${bad.join(", ")}; choose from ${SECTION_IDS.join(", ")}`);
      o.only = want as SectionId[];
    } else if (a === "--out") o.out = path.resolve(argv[++i]);
    else if (a === "--engine-minutes") o.engineMinutes = Number(argv[++i]);
    else if (a === "--spark-cap") o.sparkCap = Number(argv[++i]);
    else if (a === "--help" || a === "-h") {
      console.log(readFileSync(__filename, "utf8").split("\n").slice(1, 10).map((l) => l.replace(/^ \*\s?/, "")).filter((l) => l !== "/").join("\n"));
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see npm run bench -- --help)`);
  }
  return o;
}

function tryRun(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000 });
  if (r.error) return "not available";
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() || "not available";
}

async function versions(): Promise<Record<string, string>> {
  const pkg = (name: string) => { try { return JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version; } catch { return "?"; } };
  const v: Record<string, string> = {
    node: process.version,
    "nodejs-polars": pkg("nodejs-polars"),
    kafkajs: pkg("kafkajs"),
    java: tryRun("java", ["-version"]).split("\n")[0],
    kcat: tryRun("kcat", ["-V"]).split("\n")[0],
  };
  const libs = path.join(ROOT, ".kafka", "libs");
  v["Kafka (broker jars)"] = existsSync(libs) ? (readdirSync(libs).find((f) => /^kafka-clients-/.test(f)) ?? "?").replace(/^kafka-clients-|\.jar$/g, "") : "not installed";
  const py = path.join(VENV, "bin", "python");
  if (existsSync(py)) v.python = tryRun(py, ["-c", "import sys, pyspark, kafka, pyarrow; print(f'Python {sys.version.split()[0]}, pyspark {pyspark.__version__}, kafka-python {kafka.__version__}, pyarrow {pyarrow.__version__}')"]);
  return v;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const mode = opts.quick ? "quick" : "full";
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const log = (m: string) => console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}`);
  const profile = structuredClone(PROFILES[mode]);
  if (opts.engineMinutes > 0) profile.engine.minutesLarge = opts.engineMinutes;
  if (opts.sparkCap >= 0) profile.engine.sparkCapSeconds = opts.sparkCap;
  const ctx = new Ctx(mode, profile, log);
  log(`${mode} run: ${opts.only.join(", ")} (data cache and scratch: ${WORK})`);

  // Start the project's broker when none is reachable, and stop it again at the end.
  let startedBroker = false;
  if (opts.only.some((s) => s !== "engine" && s !== "memory" && s !== "scaling" && s !== "course") && !(await brokerReachable())) {
    log("no broker on localhost:9092: starting the project's broker (npm run kafka:start)…");
    try {
      execFileSync("bash", [path.join(ROOT, "scripts", "kafka.sh"), "start"], { stdio: "inherit" });
      startedBroker = true;
    } catch (e) {
      log(`could not start a broker: ${reasonOf(e)} — Kafka rows will say "not measured"`);
    }
  }
  // Install the Python side up front so its time is not charged to a section.
  await ensurePython(log).catch((e) => log(`Python baselines unavailable: ${reasonOf(e)}`));

  const sections: Section[] = [];
  for (const id of SECTION_IDS) {
    const title = SECTION_TITLES[id];
    if (!opts.only.includes(id)) {
      sections.push({ id, title, target: TARGETS[id], met: null, verdict: "not run (--only)", tables: [], notes: [], notMeasured: [`not run in this invocation (--only ${opts.only.join(",")})`], seconds: 0, raw: {} });
      continue;
    }
    log(`${title}`);
    const s0 = performance.now();
    try {
      const parts = await SECTIONS[id](ctx);
      sections.push({ id, title, ...parts, seconds: (performance.now() - s0) / 1000 });
    } catch (e) {
      log(`${title} failed: ${reasonOf(e)}`);
      sections.push({ id, title, target: TARGETS[id], met: null, verdict: `not measured: ${reasonOf(e)}`, tables: [], notes: [], notMeasured: [reasonOf(e)], seconds: (performance.now() - s0) / 1000, raw: {} });
    }
  }

  if (ctx.topics.length) await deleteTopics(ctx.topics);
  // Query outputs and replay copies (the generated data stays cached for the next run).
  rmSync(RUN_DIR, { recursive: true, force: true });
  if (startedBroker) {
    try { execFileSync("bash", [path.join(ROOT, "scripts", "kafka.sh"), "stop"], { stdio: "inherit" }); } catch { /* reported by the script */ }
  }

  const cpus = os.cpus();
  const report: Report = {
    date: startedAt.slice(0, 10),
    mode,
    startedAt,
    seconds: (performance.now() - t0) / 1000,
    machine: {
      cpu: `${cpus.length} × ${cpus[0]?.model ?? "?"}`,
      memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      "load average at the end (1/5/15 min)": os.loadavg().map((l) => l.toFixed(1)).join(" / "),
      os: `${os.type()} ${os.release()}`,
    },
    versions: await versions(),
    datasets: [...ctx.datasets.entries()].map(([name, d]) => ({ name, rides: d.rides, duration: d.duration, locations: d.rows.locations, accelerations: d.rows.accelerations, files: d.files, partitions: d.partitions, how: d.how })),
    sections,
  };
  mkdirSync(opts.out, { recursive: true });
  const stem = path.join(opts.out, mode === "quick" ? `${report.date}-quick` : report.date);
  writeFileSync(`${stem}.json`, JSON.stringify(report, null, 2));
  const md = renderMarkdown(report);
  writeFileSync(`${stem}.md`, md);
  const latest = mode === "full" && opts.only.length === SECTION_IDS.length && path.resolve(opts.out) === path.join(ROOT, "bench", "results");
  if (latest) {
    writeFileSync(path.join(ROOT, "bench", "REPORT.md"), md.replace("](../../docs/benchmarks.md)", "](../docs/benchmarks.md)"));
  }
  console.log(renderConsole(report));
  console.log(`\nwritten: ${stem}.json, ${stem}.md${latest ? ", bench/REPORT.md" : ""} (${Math.round(report.seconds)} s)`);
  return 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(`bench: ${reasonOf(e)}`);
  process.exit(2);
});
