/**
 * The plan → PySpark translation (query.toSpark()): the program's structure for the course queries
 * and for stateless steps, that Python compiles it, and the typed error naming what Spark cannot run.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pl from "nodejs-polars";
import { SparkTranslationError, isStreamlabError } from "../../lib/errors";
import { exprToPySpark } from "../../lib/spark/expr";
import { MemoryStreamSink, MemoryStreamSource } from "../../lib/stream/memory";
import { streamJoin, windowedSpeeds } from "../../lib/stream/queries";
import { kafkaSink } from "../../lib/stream/sinks/kafka";
import { parquetSink } from "../../lib/stream/sinks/parquet";
import { fileStreamSource } from "../../lib/stream/sources/fileStream";
import { kafkaSource } from "../../lib/stream/sources/kafka";
import { readStream } from "../../lib/stream/stream-frame";
import { window } from "../../lib/stream/window";
import { sessionWindow } from "../../lib/stream/session";
import type { WriteStreamOptions } from "../../lib/stream/options";

const locations = () => fileStreamSource({ dir: "in/locations" });
const accelerations = () => fileStreamSource({ dir: "in/accelerations" });
const files = (dir: string) => [parquetSink({ dir })];

function windowed(o: Partial<WriteStreamOptions> = {}, slide?: string): string {
  return windowedSpeeds(locations(), { watermark: "30 seconds", window: "15 seconds", slide })
    .writeStream({ name: "windowed", mode: "update", sinks: files("out/windowed"), trigger: "once", ...o }).toSpark();
}

function joined(o: Partial<WriteStreamOptions> = {}, how: "full" | "inner" = "full"): string {
  return streamJoin(locations(), accelerations(), { watermark: "30 seconds", within: "1.5 seconds", how })
    .writeStream({ name: "joined", sinks: files("out/stream-joined"), trigger: "once", ...o }).toSpark();
}

/** Python accepts the program (syntax only: py_compile does not import pyspark). */
function assertCompiles(program: string): void {
  const dir = mkdtempSync(path.join(tmpdir(), "streamlab-sparkgen-"));
  try {
    const file = path.join(dir, "q.py");
    writeFileSync(file, program);
    const r = spawnSync("python3", ["-m", "py_compile", file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertNoSpark(fn: () => unknown, operator: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SparkTranslationError, String(e));
    assert.ok(isStreamlabError(e, "NO_SPARK_EQUIVALENT"));
    assert.equal(e.operator, operator);
    assert.match(e.message, message);
    return true;
  });
}

describe("query.toSpark(): the plan as a PySpark program", () => {
  it("the windowed query: file stream with the locations schema, watermark, tumbling window per ride_id, avg/count, update mode, availableNow, batch files", () => {
    const p = windowed();
    assert.match(p, /spark\.readStream\.schema\(locations_schema\)/);
    assert.match(p, /StructField\("speed", DoubleType\(\)\)/);
    assert.match(p, /StructField\("timestamp", TimestampNTZType\(\)\)/);
    assert.match(p, /\.parquet\(".*in\/locations"\)/);
    assert.match(p, /locations = locations\.withWatermark\("timestamp", "30 seconds"\)/);
    assert.match(p, /\.groupBy\(F\.window\("timestamp", "15 seconds"\), "ride_id"\)/);
    assert.match(p, /\.agg\(F\.avg\("speed"\)\.alias\("mean_speed"\), F\.count\("speed"\)\.alias\("count"\)\)/);
    assert.match(p, /\.select\("ride_id", F\.col\("window\.start"\)\.alias\("window_start"\), F\.col\("window\.end"\)\.alias\("window_end"\), "mean_speed", "count"\)/);
    assert.match(p, /\.outputMode\("update"\)/);
    assert.match(p, /^run\(availableNow=True\)$/m);
    assert.match(p, /write_files\(df, batch_id, ".*out\/windowed", with_batch_id=True\)/);
    // Update mode emits nothing at the end of input: no end-of-input rows.
    assert.doesNotMatch(p, /add_end_of_input_rows\(\)\n/);
    assert.doesNotMatch(p, /--packages/, "no Kafka, no connector");
    assertCompiles(p);
  });

  it("a sliding window gives window(size, slide); an interval trigger a processingTime trigger", () => {
    const p = windowed({ trigger: "2 seconds" }, "5 seconds");
    assert.match(p, /F\.window\("timestamp", "15 seconds", "5 seconds"\)/);
    assert.match(p, /^run\(processingTime="2 seconds"\)$/m);
  });

  it("the joined query: both watermarks, the time-bounded full outer join, streamlab's output columns, and the end-of-input rows", () => {
    const p = joined();
    assert.match(p, /accelerations = accelerations\.withWatermark\("timestamp", "30 seconds"\)/);
    assert.match(p, /accelerations_side = accelerations\.select\(F\.col\("uuid"\)\.alias\("__right_key"\), F\.col\("timestamp"\)\.alias\("acc_timestamp"\), "x", "y", "z"\)/);
    assert.match(p, /acc_timestamp >= loc_timestamp - INTERVAL 1500 MILLISECONDS/);
    assert.match(p, /acc_timestamp <= loc_timestamp \+ INTERVAL 1500 MILLISECONDS"\), "full_outer"\)/);
    assert.match(p, /\.select\(F\.coalesce\("__left_key", "__right_key"\)\.alias\("uuid"\), "loc_timestamp", "acc_timestamp", "speed", "latitude", "longitude", "x", "y", "z"\)/);
    // The step after the join selects batch_id: it runs in foreachBatch, where the batch id is known.
    assert.match(p, /df = add_batch_id\(df, batch_id, True\)[^\n]*\n {4}df = df\.select\("uuid", .*"batch_id"\)/);
    // Steps (the select), then the end-of-input rows, then the watermark: it sees the rows the steps kept, as streamlab's.
    assert.match(p, /locations = locations\.select\("uuid", "timestamp", "speed", "latitude", "longitude"\)\nlocations = locations\.unionByName\(end_of_input_rows\("locations", locations, "timestamp"\)\)\nlocations = locations\.withWatermark\("timestamp", "30 seconds"\)/);
    assert.match(p, /add_end_of_input_rows\(\)\nrun\(availableNow=True\)\nspark\.stop\(\)/);
    assert.match(p, /df = df\.where\(F\.coalesce\("loc_timestamp", "acc_timestamp"\) < F\.lit\(END_OF_INPUT\)\)/);
    assertCompiles(p);
    // An inner join holds no row back, and a continuous query has no end of input.
    for (const q of [joined({}, "inner"), joined({ trigger: "default" })]) assert.doesNotMatch(q, /unionByName\(end_of_input_rows/);
  });

  it("Kafka source and sink: from_json with the table's schema from the earliest offset, JSON values keyed like streamlab's sink, the connector named", () => {
    const p = windowedSpeeds(kafkaSource({ topic: "DoeJane-locations", name: "locations", bootstrap: "broker:9092" }), { watermark: "30 seconds", window: "15 seconds" })
      .writeStream({ name: "windowed", mode: "update", sinks: [kafkaSink({ topic: "DoeJane-windowed", key: "ride_id", bootstrap: "broker:9092" })], trigger: "once" }).toSpark();
    assert.match(p, /\.option\("subscribe", "DoeJane-locations"\)/);
    assert.match(p, /\.option\("kafka\.bootstrap\.servers", "broker:9092"\)/);
    assert.match(p, /\.option\("startingOffsets", "earliest"\)/);
    assert.match(p, /F\.from_json\(F\.col\("value"\)\.cast\("string"\), locations_schema\)/);
    assert.match(p, /StructField\("timestamp", TimestampType\(\)\)/, "JSON holds ISO-8601 UTC times");
    assert.match(p, /write_kafka\(df, batch_id, "DoeJane-windowed", key="ride_id", bootstrap="broker:9092", with_batch_id=True\)/);
    assert.match(p, /--packages org\.apache\.spark:spark-sql-kafka-0-10_2\.12:3\.5\.7/);
    assertCompiles(p);
  });

  it("folders given as URIs (hdfs://, s3a://) reach Spark unchanged; local paths are made absolute", () => {
    const p = windowedSpeeds(fileStreamSource({ dir: "hdfs://namenode:8020/streams/input/locations" }), { watermark: "30 seconds", window: "15 seconds" })
      .writeStream({ mode: "update", sinks: [parquetSink({ dir: "s3a://bucket/out/windowed" })], checkpointLocation: "cp/windowed" }).toSpark();
    assert.match(p, /\.parquet\("hdfs:\/\/namenode:8020\/streams\/input\/locations"\)/);
    assert.match(p, /write_files\(df, batch_id, "s3a:\/\/bucket\/out\/windowed"/);
    assert.match(p, new RegExp(`CHECKPOINT = ${JSON.stringify(path.resolve("cp/windowed")).replace(/[/\\]/g, "\\$&")}`));
  });

  it("stateless steps: filter, withColumns, select, drop and rename as PySpark calls", () => {
    const p = readStream(locations())
      .filter(pl.col("speed").gt(5).and(pl.col("uuid").isNotNull()))
      .withColumns(pl.col("speed").mul(3.6).alias("kmh"))
      .select("uuid", "timestamp", "kmh", pl.col("speed").cast(pl.Int64).alias("v"))
      .drop("v")
      .rename({ kmh: "speed_kmh" })
      .writeStream({ sinks: files("out/simple") }).toSpark();
    assert.match(p, /\.where\(\(\(F\.col\("speed"\) > F\.lit\(5\.0\)\) & F\.col\("uuid"\)\.isNotNull\(\)\)\)/);
    assert.match(p, /\.withColumn\("kmh", \(F\.col\("speed"\) \* F\.lit\(3\.6\)\)\)/);
    assert.match(p, /\.select\("uuid", "timestamp", "kmh", F\.col\("speed"\)\.cast\("long"\)\.alias\("v"\)\)\.drop\("v"\)\.withColumnRenamed\("kmh", "speed_kmh"\)/);
    assert.match(p, /write_files\(df, batch_id, ".*out\/simple", with_batch_id=False\)/, "append mode: no batch_id, as streamlab's parquet sink");
    assertCompiles(p);
  });

  it("polars expressions: comparisons, arithmetic, negation, literals; an unknown method is named", () => {
    assert.equal(exprToPySpark(pl.col("a").sub(pl.col("b")).div(2), "t"), '((F.col("a") - F.col("b")) / F.lit(2.0))');
    assert.equal(exprToPySpark(pl.col("a").isNull().not(), "t"), '~F.col("a").isNull()');
    assert.equal(exprToPySpark(pl.col("s").eq(pl.lit("x")), "t"), '(F.col("s") == F.lit("x"))');
    assert.equal(exprToPySpark(pl.col("a").abs().alias("b"), "t"), 'F.abs(F.col("a")).alias("b")');
    assertNoSpark(() => exprToPySpark(pl.col("a").cumSum(), "filter"), ".cum_sum()", /filter: \.cum_sum\(\) in the polars expression col\("a"\)\.cum_sum\(\) has no PySpark translation/);
  });

  it("what Spark cannot run is a SparkTranslationError naming it: transform(fn), memory source and sink, an unknown table, watermarkPolicy max", () => {
    assertNoSpark(() => readStream(locations()).transform((f) => f.unique(), "dedupe").writeStream({ sinks: files("o") }).toSpark(), "transform", /transform\(fn\) runs a JavaScript function/);
    assertNoSpark(() => readStream(new MemoryStreamSource("locations")).writeStream({ sinks: files("o") }).toSpark(), "source", /input "locations" is read by a source Spark cannot read/);
    assertNoSpark(() => readStream(locations()).writeStream({ sinks: [new MemoryStreamSink()] }).toSpark(), "sink", /has no Spark equivalent; use parquetSink, kafkaSink or consoleSink/);
    assertNoSpark(() => readStream(fileStreamSource({ dir: "in/trips" })).writeStream({ sinks: files("o") }).toSpark(), "source", /give fileStreamSource the option table/);
    assertNoSpark(() => joined({ watermarkPolicy: "max" }), "watermarkPolicy", /only "min"/);
    assertNoSpark(() => joined({ batchPerPartition: true }), "batchPerPartition", /no Spark equivalent/);
    // engine "spark" translates when the query is built, so the error comes before anything runs.
    assertNoSpark(() => readStream(locations()).writeStream({ sinks: [new MemoryStreamSink()], engine: "spark" }), "sink", /memory or a custom sink/);
  });

  it("the operators not translated yet are refused by name: union, dropDuplicates, sessionWindow, chained aggregations, a static join, semi joins, numeric event time", () => {
    const notYet = /not translated to PySpark yet; run the query on streamlab's engine/;
    const loc = () => readStream(locations()).withWatermark("timestamp", "30 seconds");
    assertNoSpark(() => loc().union(readStream(fileStreamSource({ dir: "in2/locations", table: "locations", name: "more" }))).writeStream({ sinks: files("o") }).toSpark(), "union", notYet);
    assertNoSpark(() => loc().dropDuplicates(["uuid", "timestamp"]).writeStream({ sinks: files("o") }).toSpark(), "dropDuplicates", notYet);
    assertNoSpark(() => loc().groupBy("ride_id", sessionWindow("timestamp", "10 seconds")).agg({ n: pl.len() }).writeStream({ sinks: files("o"), mode: "update" }).toSpark(), "sessionWindow", notYet);
    const perRide = loc().groupBy("ride_id", window("timestamp", "15 seconds")).agg({ n: pl.len() });
    assertNoSpark(() => perRide.groupBy("window_start").agg({ rides: pl.len() }).writeStream({ sinks: files("o"), mode: "update" }).toSpark(), "groupBy", notYet);
    assertNoSpark(() => readStream(locations()).join(pl.DataFrame({ uuid: ["a"], driver: ["x"] }), { on: "uuid" }).writeStream({ sinks: files("o") }).toSpark(), "join", notYet);
    const acc = readStream(fileStreamSource({ dir: "in/accelerations", table: "accelerations" })).withWatermark("timestamp", "30 seconds");
    assertNoSpark(() => loc().join(acc, { on: "uuid", within: "1.5 seconds", how: "leftSemi" }).writeStream({ sinks: files("o") }).toSpark(), "join", /leftSemi join is not translated/);
    assertNoSpark(() => readStream(locations()).withWatermark({ column: "offset", unit: "s" }, "10 seconds").writeStream({ sinks: files("o") }).toSpark(), "withWatermark", /numeric column "offset"/);
  });
});
