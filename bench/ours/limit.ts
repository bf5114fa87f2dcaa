/**
 * The "limit" baseline: the course's windowed and joined results computed by one polars batch
 * query each over the same files the streaming queries read (`scanParquet` globs, projection
 * pushdown, all cores). No streaming engine can beat it on the same library, so streamlab's time
 * is reported as a multiple of it. Writes `windowed.parquet` and `joined.parquet` under --out for
 * the result check.
 *
 *   tsx bench/ours/limit.ts --input DIR --out DIR [--window-ms 15000] [--within-ms 1500]
 */
import path from "node:path";
import { mkdirSync } from "node:fs";
import pl from "nodejs-polars";
import { args, main } from "./args";

const epochMs = (c: string, as: string) => pl.col(c).cast(pl.Datetime("ms")).cast(pl.Int64).alias(as);

main(async () => {
  const a = args();
  const windowMs = Number(a["window-ms"] ?? 15000);
  const withinMs = Number(a["within-ms"] ?? 1500);
  mkdirSync(a.out, { recursive: true });
  const scan = (table: string) => pl.scanParquet(path.join(a.input, table, "*", "*.parquet"));
  const runs = [];

  let t0 = performance.now();
  const windowed = scan("locations").select("ride_id", epochMs("timestamp", "t"), "speed")
    .withColumns(pl.col("t").div(windowMs).floor().mul(windowMs).alias("ws"))
    .groupBy(["ride_id", "ws"]).agg(pl.col("speed").mean().alias("mean_speed"), pl.col("speed").count().cast(pl.Int64).alias("count"))
    .select("ride_id", pl.col("ws").cast(pl.Int64).cast(pl.Datetime("ms")).alias("window_start"), pl.col("ws").add(windowMs).cast(pl.Int64).cast(pl.Datetime("ms")).alias("window_end"), "mean_speed", "count", pl.lit(0).cast(pl.Int64).alias("batch_id"))
    .collectSync();
  mkdirSync(path.join(a.out, "windowed"), { recursive: true });
  windowed.writeParquet(path.join(a.out, "windowed", "part-0.parquet"));
  runs.push({ query: "windowed", ms: performance.now() - t0, outputRows: windowed.height });

  t0 = performance.now();
  // Full outer join on uuid within ±withinMs: an equi-join on (uuid, time bucket) against the left
  // side copied into the adjacent buckets, then the bound; unmatched rows by anti-joins on row index.
  const bucket = (c: string) => pl.col(c).div(Math.max(withinMs, 1)).floor().cast(pl.Int64).alias("b");
  const L = scan("locations").select("uuid", pl.col("timestamp").alias("loc_timestamp"), "speed", "latitude", "longitude")
    .withColumns(epochMs("loc_timestamp", "lt")).withColumns(bucket("lt")).withRowIndex("li").cache();
  const R = scan("accelerations").select("uuid", pl.col("timestamp").alias("acc_timestamp"), "x", "y", "z")
    .withColumns(epochMs("acc_timestamp", "rt")).withColumns(bucket("rt")).withRowIndex("ri").cache();
  const spread = pl.concat([L, L.withColumns(pl.col("b").add(1).cast(pl.Int64).alias("b")), L.withColumns(pl.col("b").sub(1).cast(pl.Int64).alias("b"))]);
  const pairs = spread.join(R, { on: ["uuid", "b"], how: "inner" }).filter(pl.col("lt").sub(pl.col("rt")).abs().lessThanEquals(withinMs)).cache();
  const cols = ["uuid", "loc_timestamp", "acc_timestamp", "speed", "latitude", "longitude", "x", "y", "z"];
  const onlyL = L.join(pairs.select("li"), { on: "li", how: "anti" });
  const onlyR = R.join(pairs.select("ri"), { on: "ri", how: "anti" });
  const joined = pl.concat([pairs.select(...cols), onlyL.select("uuid", "loc_timestamp", "speed", "latitude", "longitude"), onlyR.select("uuid", "acc_timestamp", "x", "y", "z")], { how: "diagonal" })
    .select(...cols.map((c) => pl.col(c))).collectSync();
  mkdirSync(path.join(a.out, "stream-joined"), { recursive: true });
  joined.writeParquet(path.join(a.out, "stream-joined", "part-0.parquet"));
  runs.push({ query: "joined", ms: performance.now() - t0, outputRows: joined.height });
  return { runs };
});
