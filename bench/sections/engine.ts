/**
 * 3. Engine throughput: the windowed and joined course queries in `once` mode on a large file
 * stream, streamlab vs PySpark Structured Streaming (local[2], availableNow), results compared.
 * Also runs the ~10-minute stream for section 5 (memory).
 */
import path from "node:path";
import type { Ctx } from "../lib/context";
import { filesPerTrigger, loopsFor, round } from "../lib/context";
import { compareJoined, compareWindowed } from "../lib/compare";
import { freshDir, type Dataset } from "../lib/datasets";
import { reasonOf } from "../lib/proc";
import type { Section, Value } from "../lib/report";
import { fmt } from "../lib/stats";

type Parts = Omit<Section, "id" | "title" | "seconds">;

export interface EngineRun { ours?: any; spark?: any; oursError?: string; sparkError?: string; ds: Dataset; fpt: number }

const QUERY_ARGS = ["--watermark", "30 seconds", "--window", "15 seconds", "--within", "1.5 seconds"];

export async function runBoth(ctx: Ctx, ds: Dataset, tag: string, sparkBatches: number, withSpark = true): Promise<EngineRun> {
  const fpt = filesPerTrigger(ds.partitions, sparkBatches);
  const run: EngineRun = { ds, fpt };
  try {
    run.ours = await ctx.ours(`streamlab windowed + joined, once (${tag})`, "query.ts", ["--input", ds.dir, "--out", freshDir(`engine-${tag}-ours`), ...QUERY_ARGS]);
  } catch (e) {
    run.oursError = reasonOf(e);
  }
  if (withSpark) {
    try {
      run.spark = await ctx.py(`Spark windowed + joined, availableNow (${tag})`, "spark_queries.py",
        ["--input", ds.dir, "--out", freshDir(`engine-${tag}-spark`), "--watermark", "30 seconds", "--window", "15 seconds", "--within-ms", "1500", "--files-per-trigger", String(fpt)], ctx.p.timeouts.sparkMs);
    } catch (e) {
      run.sparkError = reasonOf(e);
    }
  }
  return run;
}

const inputRows = (ds: Dataset, q: string) => (q === "windowed" ? ds.rows.locations : ds.rows.locations + ds.rows.accelerations);

export async function engineSection(ctx: Ctx): Promise<Parts> {
  const e = ctx.p.engine;
  const base = await ctx.data("engine base", e.base);
  const small = await ctx.expand(`engine/memory ~${e.minutesSmall} min`, base, 1, loopsFor(base, e.minutesSmall * 60));
  const large = await ctx.expand(`engine/memory ~${e.minutesLarge} min`, base, 1, loopsFor(base, e.minutesLarge * 60));
  const big = await runBoth(ctx, large, "large", e.sparkBatches);
  const little = await runBoth(ctx, small, "small", e.sparkBatches, e.sparkMemorySeparately);
  ctx.shared.engine = { small: little, large: big };

  const notMeasured: string[] = [];
  if (big.oursError) notMeasured.push(`streamlab: ${big.oursError}`);
  if (big.sparkError) notMeasured.push(`Spark: ${big.sparkError}`);
  const rows: Value[][] = [];
  const ratios: number[] = [];
  const checks: string[] = [];
  let allSame = true;
  for (const q of ["windowed", "joined"] as const) {
    const o = big.ours?.runs?.find((r: any) => r.query === q);
    const s = big.spark?.runs?.find((r: any) => r.query === q);
    const n = inputRows(large, q);
    const oRate = o ? n / (o.ms / 1000) : null;
    const sRate = s ? n / (s.ms / 1000) : null;
    if (oRate && sRate) ratios.push(oRate / sRate);
    let check = "–";
    if (o && s) {
      try {
        const c = q === "windowed" ? compareWindowed(o.out, path.join(s.out)) : compareJoined(o.out, s.out);
        check = c.detail;
        allSame &&= c.same;
      } catch (err) {
        check = `comparison failed: ${reasonOf(err)}`;
        allSame = false;
      }
      checks.push(`${q}: ${check}`);
    }
    rows.push([q, fmt.int(n), o ? round(o.ms / 1000, 1) : "not measured", fmt.rate(oRate), o?.batches ?? null, s ? round(s.ms / 1000, 1) : "not measured", fmt.rate(sRate), s?.batches ?? null, oRate && sRate ? fmt.x(oRate / sRate) : null, check]);
  }
  const minRatio = ratios.length === 2 ? Math.min(...ratios) : null;
  return {
    target: "10× Spark (rows/s), same results",
    met: minRatio === null ? null : minRatio >= 10 && allSame,
    verdict: minRatio === null ? "not assessed (a side was not measured)" : `streamlab ${ratios.map((r) => fmt.x(r)).join(" (windowed) and ")} (joined) Spark's rows/s; results ${allSame ? "identical" : "DIFFER"}`,
    tables: [{ columns: ["query", "input rows", "ours s", "ours rows/s", "ours batches", "Spark s", "Spark rows/s", "Spark batches", "ours/Spark", "same results?"], rows }],
    notes: [
      `Stream: ${large.rows.accelerations.toLocaleString("en-US")} accelerometer + ${large.rows.locations.toLocaleString("en-US")} location rows, ${large.duration} simulated s, ${large.partitions} partitions, one parquet file per table and partition (${large.how}).`,
      "Queries: windowed = watermark 30 s, tumbling 15 s window, mean(speed) and count per ride_id, update mode; joined = watermark 30 s on both sides, full outer join on uuid with |loc.timestamp − acc.timestamp| ≤ 1.5 s, append. Both engines write every micro-batch to parquet.",
      `streamlab runs one micro-batch per partition time (its once-mode semantics); Spark gets maxFilesPerTrigger=${big.fpt} (~${e.sparkBatches} micro-batches) because a Spark micro-batch costs ~0.3–5 s of fixed overhead on this machine — a setting in Spark's favour. Spark also gets spark.sql.shuffle.partitions=2 (default 200) and 2 GB of driver memory.`,
      "Times are query start → end in an already running process (Spark: SparkSession created before the clock starts; Node: modules loaded).",
      "Result check: latest row per (ride_id, window_start) of both update changelogs; joined: the multiset of matched (uuid, loc_timestamp, acc_timestamp) pairs. Unmatched outer rows are counted, not compared: Spark leaves the last watermark's worth of unmatched rows of a bounded stream in its state, streamlab emits them at end of input.",
      ...checks,
    ],
    notMeasured,
    raw: { large: { ours: big.ours, spark: big.spark }, fpt: big.fpt },
  };
}
