/**
 * Checks that streamlab and Spark computed the same results from the same stream (section 3).
 * windowed: the latest row per (ride_id, window_start) of each update-mode changelog, compared
 * key by key (count equal, |Δ mean_speed| < 1e-9). joined: the matched pairs (both sides present)
 * must be the same multiset; unmatched rows are counted per side (Spark leaves the unmatched rows
 * of the last ~watermark of a bounded stream in its state; streamlab emits them at end of input).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import pl from "nodejs-polars";

function parquetFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) out.push(...parquetFiles(p));
    else if (n.endsWith(".parquet") && !n.startsWith(".")) out.push(p);
  }
  return out;
}

function readAll(dir: string): pl.DataFrame | null {
  const files = parquetFiles(dir);
  if (files.length === 0) return null;
  const frames = files.map((f) => pl.readParquet(f)).filter((f) => f.height > 0);
  if (frames.length === 0) return null;
  return frames.length === 1 ? frames[0] : pl.concat(frames, { how: "diagonalRelaxed" });
}

const ms = (c: string) => pl.col(c).cast(pl.Datetime("ms")).cast(pl.Int64).alias(c);

export interface WindowedCheck { same: boolean; oursKeys: number; sparkKeys: number; matching: number; mismatched: number; detail: string }

export function compareWindowed(oursDir: string, sparkDir: string): WindowedCheck {
  const latest = (df: pl.DataFrame | null) =>
    df === null ? null : df.select("ride_id", ms("window_start"), "mean_speed", pl.col("count").cast(pl.Int64).alias("count"), pl.col("batch_id").cast(pl.Int64).alias("batch_id"))
      .sort("batch_id").unique({ subset: ["ride_id", "window_start"], keep: "last", maintainOrder: true });
  const o = latest(readAll(oursDir));
  const s = latest(readAll(sparkDir));
  if (!o || !s) return { same: false, oursKeys: o?.height ?? 0, sparkKeys: s?.height ?? 0, matching: 0, mismatched: 0, detail: `no output from ${!o ? "streamlab" : "Spark"}` };
  const j = o.join(s, { on: ["ride_id", "window_start"], how: "inner", suffix: "_spark" });
  const good = j.filter(pl.col("count").eq(pl.col("count_spark")).and(pl.col("mean_speed").sub(pl.col("mean_speed_spark")).abs().lt(1e-9))).height;
  const same = good === o.height && o.height === s.height;
  return { same, oursKeys: o.height, sparkKeys: s.height, matching: good, mismatched: j.height - good,
    detail: same ? `${o.height} (ride, window) results identical` : `${good} of ${o.height} (ours) / ${s.height} (Spark) keys agree` };
}

export interface JoinedCheck { same: boolean; oursMatched: number; sparkMatched: number; oursUnmatched: number; sparkUnmatched: number; detail: string }

export function compareJoined(oursDir: string, sparkDir: string): JoinedCheck {
  const norm = (df: pl.DataFrame | null) => df === null ? null : df.select("uuid", ms("loc_timestamp"), ms("acc_timestamp"), "x");
  const o = norm(readAll(oursDir));
  const s = norm(readAll(sparkDir));
  if (!o || !s) return { same: false, oursMatched: 0, sparkMatched: 0, oursUnmatched: 0, sparkUnmatched: 0, detail: `no output from ${!o ? "streamlab" : "Spark"}` };
  const matched = (df: pl.DataFrame) => df.filter(pl.col("loc_timestamp").isNotNull().and(pl.col("acc_timestamp").isNotNull()));
  const om = matched(o);
  const sm = matched(s);
  const key = ["uuid", "loc_timestamp", "acc_timestamp"];
  const count = (df: pl.DataFrame) => df.groupBy(key).agg(pl.len().alias("n"));
  const oc = count(om);
  const sc = count(sm);
  const both = oc.join(sc, { on: key, how: "inner", suffix: "_s" }).filter(pl.col("n").eq(pl.col("n_s"))).height;
  const same = both === oc.height && oc.height === sc.height && om.height === sm.height;
  const r = { oursMatched: om.height, sparkMatched: sm.height, oursUnmatched: o.height - om.height, sparkUnmatched: s.height - sm.height };
  return { same, ...r,
    detail: `${same ? "matched pairs identical" : "matched pairs DIFFER"} (${r.oursMatched} vs ${r.sparkMatched}); unmatched rows: ours ${r.oursUnmatched}, Spark ${r.sparkUnmatched}` };
}
