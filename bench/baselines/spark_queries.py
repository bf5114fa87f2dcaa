"""The course's Spark Structured Streaming queries, the baseline of bench sections 3, 5 and 6.

Runs, on the same parquet file stream as streamlab (`<input>/{locations,accelerations}/t=…/*.parquet`,
`timestamp` = start + offset), with `local[2]` and trigger `availableNow`:
  windowed: withWatermark("timestamp", W) → groupBy(window("timestamp", size[, slide]), ride_id)
            → avg(speed), count(speed); output mode update; every batch appended to parquet
            (foreachBatch: Spark's file sink accepts append only) with its batch_id.
  joined:   both sides withWatermark(W); full outer join on uuid and
            acc.timestamp BETWEEN loc.timestamp - within AND loc.timestamp + within; append.
Timing covers query start → termination (the SparkSession is created before the clock starts).

    python spark_queries.py --input DIR[,DIR…] --out DIR --queries windowed,joined \
        --watermark "30 seconds" --window "15 seconds" --within-ms 1500 --files-per-trigger 8
"""
import argparse
import os
import shutil
import time

from common import emit


def jvm_peak_rss_mb(spark):
    """VmHWM of the driver JVM (the process that holds Spark's state), in MB."""
    try:
        pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except Exception:  # noqa: BLE001 - best effort, reported as null
        return None
    return None


def first_parquet(folder):
    for root, _dirs, files in os.walk(folder):
        for f in sorted(files):
            if f.endswith(".parquet"):
                return os.path.join(root, f)
    raise SystemExit(f"no parquet files under {folder}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True, help="comma-separated inputs, each with locations/ and accelerations/")
    ap.add_argument("--out", required=True)
    ap.add_argument("--queries", default="windowed,joined")
    ap.add_argument("--watermark", default="30 seconds")
    ap.add_argument("--window", default="15 seconds")
    ap.add_argument("--slide", default=None)
    ap.add_argument("--within-ms", type=int, default=1500)
    ap.add_argument("--files-per-trigger", default="1", help="per input, comma-separated")
    ap.add_argument("--shuffle-partitions", type=int, default=2)
    ap.add_argument("--driver-memory", default="4g")
    ap.add_argument("--max-seconds", type=float, default=0,
                    help="stop a query after this long (0 = run to the end); the rate then covers the completed micro-batches")
    a = ap.parse_args()

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampType

    t_session = time.perf_counter()
    spark = (SparkSession.builder.master("local[2]").appName("streamlab-bench")
             .config("spark.driver.memory", a.driver_memory)
             .config("spark.sql.shuffle.partitions", str(a.shuffle_partitions))
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.streaming.numRecentProgressUpdates", "100000")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    session_ms = (time.perf_counter() - t_session) * 1000

    inputs = a.input.split(",")
    fpts = a.files_per_trigger.split(",")
    runs = []
    for i, inp in enumerate(inputs):
        fpt = fpts[min(i, len(fpts) - 1)]

        def stream(table):
            schema = spark.read.parquet(first_parquet(os.path.join(inp, table))).schema
            df = spark.readStream.schema(schema).option("maxFilesPerTrigger", fpt).parquet(os.path.join(inp, table))
            if df.schema["timestamp"].dataType != TimestampType():
                df = df.withColumn("timestamp", F.col("timestamp").cast(TimestampType()))
            return df.withWatermark("timestamp", a.watermark)

        for q in a.queries.split(","):
            out = os.path.join(a.out, f"{i}", q)
            ckpt = os.path.join(a.out, f"{i}", f"_checkpoint-{q}")
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(ckpt, ignore_errors=True)
            if q == "windowed":
                loc = stream("locations")
                w = F.window("timestamp", a.window, a.slide) if a.slide else F.window("timestamp", a.window)
                result = (loc.groupBy(w, "ride_id").agg(F.avg("speed").alias("mean_speed"), F.count("speed").alias("count"))
                          .select("ride_id", F.col("window.start").alias("window_start"), F.col("window.end").alias("window_end"),
                                  "mean_speed", "count"))
                mode = "update"
            elif q == "joined":
                loc = stream("locations").select(F.col("uuid").alias("l_uuid"), F.col("timestamp").alias("loc_timestamp"),
                                                 "speed", "latitude", "longitude")
                acc = stream("accelerations").select(F.col("uuid").alias("a_uuid"), F.col("timestamp").alias("acc_timestamp"),
                                                     "x", "y", "z")
                within = f"INTERVAL {a.within_ms} MILLISECONDS"
                cond = F.expr(f"l_uuid = a_uuid AND acc_timestamp >= loc_timestamp - {within} AND acc_timestamp <= loc_timestamp + {within}")
                result = (loc.join(acc, cond, "full_outer")
                          .select(F.coalesce("l_uuid", "a_uuid").alias("uuid"), "loc_timestamp", "acc_timestamp", "speed",
                                  "latitude", "longitude", "x", "y", "z"))
                mode = "append"
            else:
                raise SystemExit(f"unknown query {q}")

            def write(df, batch_id, out=out):
                df.withColumn("batch_id", F.lit(batch_id).cast("long")).write.mode("append").parquet(out)

            t0 = time.perf_counter()
            t0_wall = time.time()
            sq = (result.writeStream.outputMode(mode).trigger(availableNow=True)
                  .option("checkpointLocation", ckpt).foreachBatch(write).start())
            capped = False
            while not sq.awaitTermination(1):
                if a.max_seconds and time.perf_counter() - t0 > a.max_seconds:
                    capped = True
                    break
            progress = [json_progress(x) for x in sq.recentProgress]
            if capped:
                sq.stop()
                # Rate over the completed micro-batches: up to the end of the last one.
                done = [p for p in progress if p.get("durationMs", {}).get("triggerExecution") is not None]
                last = done[-1] if done else None
                ms = ((iso_seconds(last["timestamp"]) + last["durationMs"]["triggerExecution"] / 1000) - t0_wall) * 1000 if last else None
            else:
                ms = (time.perf_counter() - t0) * 1000
            in_rows = sum(p.get("numInputRows", 0) for p in progress)
            runs.append({"input": inp, "query": q, "ms": ms, "batches": len(progress), "inputRows": in_rows,
                         "filesPerTrigger": int(fpt), "out": out, "capped": capped,
                         "cappedAfterMs": (time.perf_counter() - t0) * 1000 if capped else None})
    emit({"baseline": "spark", "sparkVersion": spark.version, "sessionMs": session_ms, "runs": runs,
          "jvmPeakRssMb": jvm_peak_rss_mb(spark)})
    spark.stop()


def iso_seconds(text):
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def json_progress(p):
    return p if isinstance(p, dict) else p.jsonValue() if hasattr(p, "jsonValue") else {}


if __name__ == "__main__":
    main()
