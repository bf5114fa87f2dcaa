/**
 * The bench's data: generated with streamlab's generator (`generateDataset`, cached under the OS
 * temp folder by its parameters), and, for the large engine streams, "expanded": the generated
 * rides repeated in time (loops: offsets shifted by the recording's period) and in parallel
 * (copies), each repetition with its own uuid/ride_id, stamped as the replay stamps
 * (`timestamp = start + offset`, Datetime ms) and written one parquet file per table and partition
 * (`<dir>/<table>/t=SSS.S/part-<loop>.parquet`) — the layout the file-stream source reads. The
 * generator's one-file-per-ride layout would mean ~330,000 files for 10 M rows.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pl from "nodejs-polars";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const lib: any = require("../../lib");

export const WORK = process.env.STREAMLAB_BENCH_DIR ?? path.join(os.tmpdir(), "streamlab-bench");
export const TABLES = ["locations", "accelerations"] as const;
export type TableName = (typeof TABLES)[number];

export interface Dataset {
  dir: string;
  rides: number;
  /** Simulated seconds covered. */
  duration: number;
  partitions: number;
  files: number;
  rows: Record<TableName, number>;
  /** How it was made, for the report. */
  how: string;
}

function generator(): (o: object) => Promise<any> {
  if (typeof lib.generateDataset === "function") return lib.generateDataset;
  // Not yet exported from lib/index.ts: the generate module itself.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require("../../lib/generate").generateDataset;
}

/** `streamlab generate --rides N --duration S --seed K --out <cache>`, reused while the parameters match. */
export async function generated(rides: number, duration: number, seed: number, log: (m: string) => void): Promise<Dataset> {
  const dir = path.join(WORK, "data", `gen-r${rides}-d${duration}-s${seed}`);
  const marker = path.join(dir, ".bench-complete.json");
  if (existsSync(marker)) return JSON.parse(readFileSync(marker, "utf8"));
  log(`generating ${rides} rides × ${duration} s (seed ${seed}) → ${dir}`);
  const t0 = performance.now();
  // Into a private folder first, renamed into place when complete: concurrent bench runs (a test
  // suite and a developer, say) never see or clobber a half-written dataset.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const s = await generator()({ rides, duration, seed, out: tmp, force: true });
  const ds: Dataset = {
    dir, rides, duration, partitions: s.partitions, files: s.files, rows: s.rows,
    how: `streamlab generate --rides ${rides} --duration ${duration} --seed ${seed} (${Math.round((performance.now() - t0) / 1000)} s)`,
  };
  writeFileSync(path.join(tmp, ".bench-complete.json"), JSON.stringify(ds));
  return publish(tmp, dir, marker, ds);
}

interface BasePartition { time: number; frame: pl.DataFrame }

function readBase(base: Dataset): { tables: Record<TableName, BasePartition[]>; period: number } {
  const tables = {} as Record<TableName, BasePartition[]>;
  let last = 0;
  for (const table of TABLES) {
    const tdir = path.join(base.dir, table);
    const parts: BasePartition[] = [];
    for (const name of require("node:fs").readdirSync(tdir).sort() as string[]) {
      const m = /^t=(\d+(?:\.\d+)?)$/.exec(name);
      if (!m) continue;
      const files = (require("node:fs").readdirSync(path.join(tdir, name)) as string[]).filter((f) => f.endsWith(".parquet")).sort();
      if (files.length === 0) continue;
      const frames = files.map((f) => pl.readParquet(path.join(tdir, name, f)));
      parts.push({ time: Number(m[1]), frame: pl.concat(frames, { how: "vertical" }) });
      last = Math.max(last, Number(m[1]));
    }
    tables[table] = parts.sort((a, b) => a.time - b.time);
  }
  // The next loop starts one typical partition step after the last partition (rows run up to t + 1.66 s).
  return { tables, period: Math.ceil((last + 3.8) * 10) / 10 };
}

export function partitionName(time: number): string {
  const [i, d] = time.toFixed(1).split(".");
  return `t=${i.padStart(3, "0")}.${d}`;
}

/**
 * Expands a generated dataset: `copies` parallel copies × `loops` repetitions in time, stamped with
 * `start`. Cached by its parameters.
 */
export async function expanded(base: Dataset, copies: number, loops: number, startIso: string, log: (m: string) => void): Promise<Dataset> {
  const dir = path.join(WORK, "data", `exp-${path.basename(base.dir)}-c${copies}-l${loops}`, "input");
  const marker = path.join(dir, "..", ".bench-complete.json");
  if (existsSync(marker)) return JSON.parse(readFileSync(marker, "utf8"));
  const finalRoot = path.dirname(dir);
  const tmpRoot = `${finalRoot}.tmp-${process.pid}`;
  rmSync(tmpRoot, { recursive: true, force: true });
  const tmpDir = path.join(tmpRoot, "input");
  log(`expanding ${path.basename(base.dir)}: ${copies} cop${copies === 1 ? "y" : "ies"} × ${loops} loop${loops === 1 ? "" : "s"} → ${dir}`);
  const t0 = performance.now();
  const startMs = Date.parse(startIso);
  const { tables, period } = readBase(base);
  const rows: Record<TableName, number> = { locations: 0, accelerations: 0 };
  let files = 0;
  const times = new Set<number>();
  for (let k = 0; k < loops; k++) {
    for (const table of TABLES) {
      for (const p of tables[table]) {
        const time = Math.round((p.time + k * period) * 10) / 10;
        const copiesFrames: pl.DataFrame[] = [];
        for (let j = 0; j < copies; j++) {
          const sfx = k === 0 && j === 0 ? "" : `-${k}-${j}`;
          let f = p.frame.withColumns(
            pl.col("offset").add(k * period).alias("offset"),
          );
          f = f.withColumns(pl.col("offset").mul(1000).round(0).add(startMs).cast(pl.Int64).cast(pl.Datetime("ms")).alias("timestamp"));
          if (sfx) f = f.withColumns(pl.concatString([pl.col("uuid"), pl.lit(sfx)], "").alias("uuid"), pl.concatString([pl.col("ride_id"), pl.lit(sfx)], "").alias("ride_id"));
          copiesFrames.push(f);
        }
        const frame = copiesFrames.length === 1 ? copiesFrames[0] : pl.concat(copiesFrames, { how: "vertical" });
        const pdir = path.join(tmpDir, table, partitionName(time));
        mkdirSync(pdir, { recursive: true });
        frame.writeParquet(path.join(pdir, `part-${String(k).padStart(4, "0")}.parquet`));
        rows[table] += frame.height;
        files++;
        times.add(time);
      }
    }
  }
  const ds: Dataset = {
    dir, rides: base.rides * copies * loops, duration: Math.round(period * loops * 10) / 10, partitions: times.size, files, rows,
    how: `${base.how}, expanded ×${copies} in parallel and ×${loops} in time (${Math.round((performance.now() - t0) / 1000)} s)`,
  };
  writeFileSync(path.join(tmpRoot, ".bench-complete.json"), JSON.stringify(ds));
  return publish(tmpRoot, finalRoot, marker, ds);
}

/**
 * A generated dataset replayed to a file stream at speed max (`streamlab replay --sink files`), so
 * it has the course's layout (one parquet file per ride per partition, `timestamp = start + offset`)
 * at any size: what the course's queries read, with the per-file costs they pay. Cached.
 */
export async function replayed(base: Dataset, startIso: string, log: (m: string) => void): Promise<Dataset> {
  const root = path.join(WORK, "data", `replayed-${path.basename(base.dir)}`);
  const marker = path.join(root, ".bench-complete.json");
  if (existsSync(marker)) return JSON.parse(readFileSync(marker, "utf8"));
  log(`replaying ${path.basename(base.dir)} to a file stream (course layout) → ${root}`);
  const t0 = performance.now();
  const tmp = `${root}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const sink = new lib.FileSink({ out: tmp });
  await lib.replay({ data: base.dir, sinks: sink, speed: "max", start: startIso });
  const ds: Dataset = { ...base, dir: path.join(root, "input"), how: `${base.how}, replayed at speed max to a file stream (${Math.round((performance.now() - t0) / 1000)} s)` };
  writeFileSync(path.join(tmp, ".bench-complete.json"), JSON.stringify(ds));
  return publish(tmp, root, marker, ds);
}

/** Moves a completed temp folder into place; if another run got there first, keeps theirs. */
function publish(tmp: string, final: string, marker: string, ds: Dataset): Dataset {
  try {
    renameSync(tmp, final);
  } catch {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(marker)) return JSON.parse(readFileSync(marker, "utf8"));
    rmSync(final, { recursive: true, force: true }); // a stale, incomplete folder
    renameSync(tmp, final);
  }
  return ds;
}

/** This process's scratch folder (query outputs, replay copies); removed at the end of the run. */
export const RUN_DIR = path.join(WORK, `run-${process.pid}`);

export function freshDir(...parts: string[]): string {
  const dir = path.join(RUN_DIR, ...parts);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}
