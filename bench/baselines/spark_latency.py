"""Spark's side of bench section 4 (end-to-end latency), with its default trigger.

Reads `<prefix>-locations` from Kafka (JSON values as the replay writes them), applies the course's
Kafka query — watermark W on `timestamp`, a window of `--window` sliding every `--slide`, mean speed
and count per ride, output mode update — and writes key = ride_id, value = JSON
{ride_id, window_start, window_end, mean_speed, count} to `<prefix>-windowed`. No trigger is set:
a new micro-batch starts as soon as the previous one finished and new data is there. Prints
`READY` once the query runs; stops on SIGTERM and prints its result line.

    python spark_latency.py --bootstrap localhost:9092 --topic-prefix P --checkpoint DIR
"""
import argparse
import signal
import threading
import time

from common import emit

KAFKA_PACKAGE = "org.apache.spark:spark-sql-kafka-0-10_2.12:{version}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", default="localhost:9092")
    ap.add_argument("--topic-prefix", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--ivy", required=True)
    ap.add_argument("--watermark", default="30 seconds")
    ap.add_argument("--window", default="30 seconds")
    ap.add_argument("--slide", default="15 seconds")
    a = ap.parse_args()

    import pyspark
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    spark = (SparkSession.builder.master("local[2]").appName("streamlab-bench-latency")
             .config("spark.jars.packages", KAFKA_PACKAGE.format(version=pyspark.__version__))
             .config("spark.jars.ivy", a.ivy)
             .config("spark.sql.shuffle.partitions", "2")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    schema = StructType([StructField("ride_id", StringType()), StructField("uuid", StringType()),
                         StructField("timestamp", StringType()), StructField("speed", DoubleType())])
    rows = (spark.readStream.format("kafka").option("kafka.bootstrap.servers", a.bootstrap)
            .option("subscribe", f"{a.topic_prefix}-locations").option("startingOffsets", "earliest").load()
            .select(F.from_json(F.col("value").cast("string"), schema).alias("v")).select("v.*")
            .withColumn("timestamp", F.to_timestamp("timestamp")))
    result = (rows.withWatermark("timestamp", a.watermark)
              .groupBy(F.window("timestamp", a.window, a.slide), "ride_id")
              .agg(F.avg("speed").alias("mean_speed"), F.count("speed").alias("count"))
              .select(F.col("ride_id").alias("key"),
                      F.to_json(F.struct("ride_id", F.col("window.start").alias("window_start"),
                                         F.col("window.end").alias("window_end"), "mean_speed", "count")).alias("value")))
    q = (result.writeStream.format("kafka").outputMode("update").option("kafka.bootstrap.servers", a.bootstrap)
         .option("topic", f"{a.topic_prefix}-windowed").option("checkpointLocation", a.checkpoint).start())

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Ready once the first (empty) micro-batch has run: the source is positioned and the sink connected.
    deadline = time.time() + 300
    while not q.recentProgress and q.isActive and time.time() < deadline and not stop.is_set():
        time.sleep(0.2)
    if not q.isActive:
        emit({"error": f"the Spark query stopped before it was ready: {q.exception()}"})
        spark.stop()
        return
    print("READY", flush=True)
    while not stop.is_set() and q.isActive:
        stop.wait(0.5)
    batches = len(q.recentProgress)
    q.stop()
    emit({"baseline": "spark-latency", "batches": batches, "sparkVersion": spark.version})
    spark.stop()


if __name__ == "__main__":
    main()
