/**
 * The Python helpers every generated program holds (lib/spark/program.ts puts them after the
 * SparkSession): writing a micro-batch as streamlab's sinks do, the end-of-input rows, and the
 * progress lines the runner (submit.ts) reads.
 */

/** Starts each progress line the program prints (one JSON record per micro-batch). */
export const PROGRESS_PREFIX = "STREAMLAB_PROGRESS ";

/** The program's helpers, the same for every query (comments say why each exists). */
export const PROGRAM_HELPERS = String.raw`OUTPUT_ROWS = {}  # rows written per micro-batch, for the progress records
END_OF_INPUT_SCHEMAS = {}


def hadoop_fs(folder):
    """The Hadoop filesystem of a folder (local, hdfs://, s3a://): the same code runs on a cluster."""
    jvm = spark.sparkContext._jvm
    p = jvm.org.apache.hadoop.fs.Path(folder)
    return p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), p, jvm.org.apache.hadoop.fs.Path


def prepare_outputs(folders):
    """A fresh run (no checkpoint yet) starts with empty output folders, as streamlab's parquet sink."""
    fs, cp, Path = hadoop_fs(CHECKPOINT)
    if fs.exists(Path(cp, "offsets")):
        return
    for folder in folders:
        fs, p, Path = hadoop_fs(folder)
        fs.mkdirs(p)
        for st in fs.globStatus(Path(p, "batch-*.parquet")) or []:
            fs.delete(st.getPath(), False)
        fs.delete(Path(p, "_streamlab_log"), True)


def timestamps_without_zone(df):
    """Writes event times as UTC wall time without a zone, the type streamlab's files have."""
    return df.select([F.col(f.name).cast("timestamp_ntz").alias(f.name) if isinstance(f.dataType, TimestampType) else F.col(f.name)
                      for f in df.schema.fields])


def add_batch_id(df, batch_id, wanted):
    """Adds batch_id (long) when the sink wants it and the query did not add it already."""
    return df.withColumn("batch_id", F.lit(batch_id).cast("long")) if wanted and "batch_id" not in df.columns else df


def write_files(df, batch_id, folder, with_batch_id):
    """One parquet file per micro-batch, batch-NNNNNN.parquet, written under a hidden name and renamed
    into place so a reader never sees a partial file (streamlab's parquet sink). A re-run batch
    (restart from the checkpoint) writes the same name again."""
    df = add_batch_id(df, batch_id, with_batch_id)
    fs, p, Path = hadoop_fs(folder)
    tmp = Path(p, ".spark-batch-%d" % batch_id)
    timestamps_without_zone(df).coalesce(1).write.mode("overwrite").parquet(tmp.toString())
    part = fs.globStatus(Path(tmp, "part-*.parquet"))[0].getPath()
    target = Path(p, "batch-%06d.parquet" % batch_id)
    fs.delete(target, False)
    fs.rename(part, target)
    fs.delete(tmp, True)


def write_kafka(df, batch_id, topic, key, bootstrap, with_batch_id):
    """One message per row: key = the key column, value = the row as JSON with every field (nulls too)
    and ISO-8601 UTC timestamps, as streamlab's Kafka sink."""
    df = add_batch_id(df, batch_id, with_batch_id)
    value = F.to_json(F.struct(*[F.col(c) for c in df.columns]),
                      {"ignoreNullFields": "false", "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"})
    message_key = F.col(key).cast("string") if key else F.lit(None).cast("string")
    (df.select(message_key.alias("key"), value.alias("value"))
       .write.format("kafka").option("kafka.bootstrap.servers", bootstrap).option("topic", topic).save())


def end_of_input_rows(name, df, event_time):
    """A second file stream per input with df's schema, in the checkpoint, empty until the end of input."""
    END_OF_INPUT_SCHEMAS[name] = (df.schema, event_time)
    fs, p, Path = hadoop_fs(CHECKPOINT + "/end-of-input/" + name)
    fs.mkdirs(p)
    return spark.readStream.schema(df.schema).parquet(CHECKPOINT + "/end-of-input/" + name)


def add_end_of_input_rows():
    """Writes the end-of-input row of each input: every column null but the event time."""
    for name, (schema, event_time) in END_OF_INPUT_SCHEMAS.items():
        row = [END_OF_INPUT if f.name == event_time else None for f in schema.fields]
        spark.createDataFrame([row], schema).write.mode("append").parquet(CHECKPOINT + "/end-of-input/" + name)


def watermark_of(progress):
    """Spark's watermark as streamlab prints it: none before the first, +infinity after the end of input."""
    wm = progress.get("eventTime", {}).get("watermark")
    if wm is None or wm.startswith("1970-01-01T00:00:00"):
        return None
    return "+infinity" if wm >= "2998" else wm


def report(query, seen):
    """Prints the micro-batches' progress records that were not printed yet, one JSON line each."""
    progress = query.recentProgress
    for p in progress[seen:]:
        p = p if isinstance(p, dict) else json.loads(p.json)
        metrics = p.get("observedMetrics") or {}
        rows = {name: (metrics.get(metric) or {}).get("rows", 0) for name, metric in INPUTS.items()}
        state = sum(op.get("numRowsTotal", 0) for op in p.get("stateOperators", []))
        late = sum(op.get("numRowsDroppedByWatermark", 0) for op in p.get("stateOperators", []))
        record = {"query": QUERY, "batchId": p["batchId"], "numInputRows": rows, "numOutputRows": OUTPUT_ROWS.get(p["batchId"], 0),
                  "rowsDroppedByWatermark": late, "watermark": watermark_of(p),
                  "stateRows": state, "durationMs": p.get("durationMs", {}), "timestamp": p.get("timestamp")}
        print("${PROGRESS_PREFIX}" + json.dumps(record), flush=True)
    return len(progress)`;
