/**
 * A streamlab query plan → a PySpark Structured Streaming program (the text `query.toSpark()`
 * returns and `engine: "spark"` runs with spark-submit). The program reads the same inputs, computes
 * the same operator, and writes the same outputs (parquet files `batch-NNNNNN.parquet` with
 * `batch_id`, Kafka JSON values with the same keys) through `foreachBatch`. Where Spark differs from
 * streamlab (end-of-input flush, update mode to files), the program does what streamlab does; the
 * docstring at its top says how.
 */
import * as path from "node:path";
import { SparkTranslationError } from "../errors";
import { kafkaConfig } from "../kafka/config";
import type { ResolvedWriteStreamOptions } from "../stream/options";
import { eventTimeColumn, type InputPlan, type QueryPlan, type StepOp } from "../stream/plan";
import type { SinkSpec, SourceSpec } from "../stream/types";
import { inputColumns, schemaFields, tableOf } from "./columns";
import { exprToPySpark } from "./expr";
import { PROGRAM_HELPERS } from "./helpers";

/** The Kafka connector matching the pinned pyspark (requirements-spark.txt), for `--packages`. */
export const SPARK_KAFKA_PACKAGE = "org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.7";

/** What the translation needs besides the plan: the resolved writeStream options. */
export type SparkProgramOptions = Pick<ResolvedWriteStreamOptions, "mode" | "trigger" | "sinks" | "name" | "checkpointLocation" | "watermarkPolicy"> & { batchPerPartition?: boolean };

/** True when the program reads or writes Kafka (spark-submit then needs {@link SPARK_KAFKA_PACKAGE}). */
export function usesKafka(plan: QueryPlan, options: Pick<SparkProgramOptions, "sinks">): boolean {
  return plan.inputs.some((i) => i.source.spec?.kind === "kafka") || options.sinks.some((s) => s.spec?.kind === "kafka");
}

const py = (s: string) => JSON.stringify(s);

/** A folder as Spark should see it: a URI (`hdfs://…`, `s3a://…`, `file:/…`) as given, a local path made absolute. */
export function sparkLocation(dir: string): string {
  return /^[a-z][a-z0-9+.-]*:\//i.test(dir) ? dir : path.resolve(dir);
}

/** `30000` → `"30 seconds"`, `1500` → `"1500 milliseconds"` (Spark's interval strings). */
export function sparkDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000} minute${ms === 60_000 ? "" : "s"}`;
  if (ms % 1000 === 0) return `${ms / 1000} second${ms === 1000 ? "" : "s"}`;
  return `${ms} milliseconds`;
}

/** A Python identifier for an input name (`locations`, `my-topic` → `my_topic`). */
function ident(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(s) ? `input_${s}` : s;
}

function sourceSpec(input: InputPlan): SourceSpec {
  const spec = input.source.spec;
  if (spec === undefined) throw new SparkTranslationError("source", `input "${input.source.name}" is read by a source Spark cannot read (memory or a custom source); use fileStreamSource or kafkaSource`);
  return spec;
}

function sinkSpec(sink: { name: string; spec?: SinkSpec }): SinkSpec {
  if (sink.spec === undefined) throw new SparkTranslationError("sink", `sink "${sink.name}" (memory or a custom sink) has no Spark equivalent; use parquetSink, kafkaSink or consoleSink`);
  return sink.spec;
}

/** One stateless step as a chained PySpark call. */
function stepCall(op: StepOp | undefined, where: string, describe?: string): string {
  if (op === undefined && describe !== undefined && !describe.startsWith("transform")) {
    throw new SparkTranslationError(describe.replace(/\(.*$/s, ""), `${where}: ${describe} is not translated to PySpark yet; run the query on streamlab's engine`);
  }
  if (op === undefined || op.kind === "transform") {
    throw new SparkTranslationError("transform", `${where}: transform(fn) runs a JavaScript function on each micro-batch, which Spark cannot run; express it with filter/select/withColumns/drop/rename, or run the query on streamlab's engine`);
  }
  switch (op.kind) {
    case "filter":
      return `.where(${exprToPySpark(op.predicate, `${where}, filter`)})`;
    case "select":
      return `.select(${op.columns.map((c) => (typeof c === "string" ? py(c) : exprToPySpark(c, `${where}, select`))).join(", ")})`;
    case "withColumns":
      return op.exprs.map((e) => {
        const m = /^(.*)\.alias\(("(?:[^"\\]|\\.)*")\)$/.exec(exprToPySpark(e, `${where}, withColumns`));
        if (m === null) throw new SparkTranslationError("withColumns", `${where}: withColumns(${String(e)}) needs .alias("name") to say which column it sets`);
        return `.withColumn(${m[2]}, ${m[1]})`;
      }).join("");
    case "drop":
      return `.drop(${op.columns.map(py).join(", ")})`;
    case "rename":
      return Object.entries(op.mapping).map(([a, b]) => `.withColumnRenamed(${py(a)}, ${py(b)})`).join("");
  }
}

/** Lines that read one input into the DataFrame `<ident>`: source, schema, event time, watermark, steps. */
function inputLines(input: InputPlan, endOfInput: boolean): string[] {
  const spec = sourceSpec(input);
  const name = input.source.name;
  const v = ident(name);
  const table = tableOf(spec, name);
  if (table === undefined) throw new SparkTranslationError("source", `input "${name}": the Spark program declares each input's schema, known for the course tables; give fileStreamSource the option table ("locations" or "accelerations"), or name the Kafka source after one`);
  const L: string[] = [];
  const fields = schemaFields(table).map((f) => `    StructField(${py(f.name)}, ${spec.kind === "files" && f.type === "TimestampType()" ? "TimestampNTZType()" : f.type}),`);
  if (spec.kind === "files") {
    const dir = sparkLocation(spec.dir);
    L.push(`# Input "${name}": the replay's file stream ${spec.dir}/t=…/*.parquet (the ${table} table).`);
    L.push(`# The files hold event times as UTC wall time without a zone (TIMESTAMP_NTZ); the t=… folders are not a column.`);
    L.push(`${v}_schema = StructType([`, ...fields, "])");
    L.push(`${v} = (spark.readStream.schema(${v}_schema)`);
    L.push(`    .option("maxFilesPerTrigger", ${spec.maxFilesPerTrigger})`);
    if (Number.isFinite(spec.maxBytesPerTrigger)) L.push(`    .option("maxBytesPerTrigger", ${spec.maxBytesPerTrigger})`);
    L.push(`    .parquet(${py(dir)})`);
    L.push(`    .drop("t")`);
    L.push(`    .withColumn("timestamp", F.col("timestamp").cast("timestamp"))`);
  } else {
    const bootstrap = spec.bootstrap ?? kafkaConfig().bootstrap;
    L.push(`# Input "${name}": the Kafka topic ${spec.topic} (JSON values, one ${table} row each, timestamps as ISO-8601 UTC).`);
    L.push(`${v}_schema = StructType([`, ...fields, "])");
    L.push(`${v} = (spark.readStream.format("kafka")`);
    L.push(`    .option("kafka.bootstrap.servers", ${py(bootstrap)})`);
    L.push(`    .option("subscribe", ${py(spec.topic)})`);
    L.push(`    .option("startingOffsets", "earliest")  # streamlab reads a topic from its start`);
    L.push(`    .option("failOnDataLoss", "false")`);
    L.push(`    .option("maxOffsetsPerTrigger", ${spec.maxOffsetsPerTrigger})`);
    L.push(`    .load()`);
    L.push(`    .select(F.from_json(F.col("value").cast("string"), ${v}_schema).alias("row"))`);
    L.push(`    .select("row.*")`);
  }
  // streamlab's sources set aside rows without an event time (dead letters); they never reach the query.
  L.push(`    .where(F.col("timestamp").isNotNull()))  # rows without an event time are not input, as in streamlab`);
  // Spark's per-source row counts are lost when a source is unioned or pruned: count the rows here.
  L.push(`${v} = ${v}.observe("input_${v}", F.count(F.lit(1)).alias("rows"))  # input rows, for the progress records`);
  // The steps come before the watermark: streamlab's watermark is the latest event time of the rows
  // the steps kept (a filter's dropped rows do not move it), and Spark's is of the rows reaching withWatermark.
  if (input.steps.length > 0) L.push(`${v} = ${v}${input.steps.map((s) => stepCall(s.op, `input "${name}"`, s.describe)).join("")}`);
  if (input.watermark) {
    if (endOfInput) L.push(`${v} = ${v}.unionByName(end_of_input_rows(${py(name)}, ${v}, ${py(input.watermark.column)}))`);
    L.push(`${v} = ${v}.withWatermark(${py(input.watermark.column)}, ${py(sparkDuration(input.watermark.delayMs))})`);
  }
  return L;
}

const AGGS = { mean: "F.avg", sum: "F.sum", count: "F.count", min: "F.min", max: "F.max" } as const;

/** Lines computing `result` from the inputs' DataFrames, and the end-of-input row filter (Python expression or null). */
function statefulLines(plan: QueryPlan): { lines: string[]; endFilter: string | null } {
  const st = plan.stateful;
  if (st === undefined) return { lines: [`result = ${ident(plan.inputs[0].source.name)}`], endFilter: null };
  if (st.kind === "aggregate") {
    const v = ident(plan.inputs[0].source.name);
    const keys = st.keys.map(py);
    const w = st.window;
    const by = w === undefined ? keys : [`F.window(${py(w.column)}, ${py(sparkDuration(w.sizeMs))}${w.slideMs === w.sizeMs ? "" : `, ${py(sparkDuration(w.slideMs))}`})`, ...keys];
    const aggs = Object.entries(st.aggs).map(([name, a]) => `${AGGS[a.fn]}(${a.column === null ? "F.lit(1)" : py(a.column)}).alias(${py(name)})`);
    const cols = [...keys, ...(w ? ['F.col("window.start").alias("window_start")', 'F.col("window.end").alias("window_end")'] : []), ...Object.keys(st.aggs).map(py)];
    return {
      lines: [
        `# ${w ? `${w.slideMs === w.sizeMs ? "Tumbling" : "Sliding"} event-time windows (epoch-aligned, [start, end)) per ` : "Per "}${st.keys.join(", ") || "query"}: the aggregations, merged across micro-batches by Spark's state store.`,
        `result = (${v}`,
        `    .groupBy(${by.join(", ")})`,
        `    .agg(${aggs.join(", ")})`,
        `    .select(${cols.join(", ")}))`,
      ],
      endFilter: w ? `F.col("window_end") <= F.lit(END_OF_INPUT)` : null,
    };
  }
  const o = st.options;
  const [left, right] = plan.inputs;
  const lcols = inputColumns(left);
  const rcols = inputColumns(right);
  if (lcols === undefined || rcols === undefined) throw new SparkTranslationError("join", "join: the columns of both inputs must be known to name the output; read course tables");
  const lt = eventTimeColumn(left);
  const rt = eventTimeColumn(right);
  // streamlab's output: key, the two timestamps, the left columns, the right columns (renamed with the suffix on a clash).
  const leftRest = lcols.filter((c) => c !== o.on && c !== lt && c !== o.leftTimestamp);
  const taken = new Set([o.on, o.leftTimestamp, o.rightTimestamp, ...leftRest]);
  const rightRest = rcols.filter((c) => c !== o.on && c !== rt).map((c) => [c, taken.has(c) ? c + o.suffix : c] as const);
  const within = `INTERVAL ${o.withinMs} MILLISECONDS`;
  const how = { inner: "inner", left: "left_outer", right: "right_outer", full: "full_outer", leftSemi: "left_semi", leftAnti: "left_anti" }[o.how];
  const key = o.how === "inner" || o.how === "left" ? 'F.col("__left_key")' : o.how === "right" ? 'F.col("__right_key")' : 'F.coalesce("__left_key", "__right_key")';
  const lv = ident(left.source.name);
  const rv = ident(right.source.name);
  return {
    lines: [
      `# Stream-stream ${o.how} join on ${o.on} and |${o.leftTimestamp} - ${o.rightTimestamp}| <= ${o.withinMs} ms: the time bound lets`,
      "# Spark evict join state under the watermark and emit an unmatched row once no match can come.",
      `${lv}_side = ${lv}.select(F.col(${py(o.on)}).alias("__left_key"), F.col(${py(lt)}).alias(${py(o.leftTimestamp)})${leftRest.map((c) => `, ${py(c)}`).join("")})`,
      `${rv}_side = ${rv}.select(F.col(${py(o.on)}).alias("__right_key"), F.col(${py(rt)}).alias(${py(o.rightTimestamp)})${rightRest.map(([c, n]) => `, ${c === n ? py(c) : `F.col(${py(c)}).alias(${py(n)})`}`).join("")})`,
      `result = (${lv}_side.join(${rv}_side, F.expr(`,
      `        "__left_key = __right_key"`,
      `        " AND ${o.rightTimestamp} >= ${o.leftTimestamp} - ${within}"`,
      `        " AND ${o.rightTimestamp} <= ${o.leftTimestamp} + ${within}"), ${py(how)})`,
      `    .select(${key}.alias(${py(o.on)}), ${py(o.leftTimestamp)}, ${py(o.rightTimestamp)}${[...leftRest, ...rightRest.map(([, n]) => n)].map((c) => `, ${py(c)}`).join("")}))`,
    ],
    endFilter: `F.coalesce(${py(o.leftTimestamp)}, ${py(o.rightTimestamp)}) < F.lit(END_OF_INPUT)`,
  };
}

/** The Python call writing one micro-batch `df` to one sink. */
function sinkCall(spec: SinkSpec, mode: string): string {
  const batchId = spec.kind === "console" ? false : spec.batchId ?? mode !== "append";
  switch (spec.kind) {
    case "files":
      return `write_files(df, batch_id, ${py(sparkLocation(spec.dir))}, with_batch_id=${batchId ? "True" : "False"})`;
    case "kafka":
      return `write_kafka(df, batch_id, ${py(spec.topic)}, key=${spec.key === undefined ? "None" : py(spec.key)}, bootstrap=${py(spec.bootstrap ?? kafkaConfig().bootstrap)}, with_batch_id=${batchId ? "True" : "False"})`;
    case "console":
      return `df.show(${spec.maxRows}, truncate=False)`;
  }
}

/**
 * Operators the engine has and the translation does not cover yet (Spark has most of them:
 * unionByName, dropDuplicates with a watermark, session_window, left_semi joins): a clear error
 * naming the operator instead of a program that differs from the engine's answers.
 */
function refuseUntranslated(plan: QueryPlan): void {
  const no = (operator: string, what: string) => {
    throw new SparkTranslationError(operator, `${what} is not translated to PySpark yet; run the query on streamlab's engine (engine: "streamlab")`);
  };
  if (plan.union) no("union", "union(other)");
  if (plan.dedup) no("dropDuplicates", "dropDuplicates(...)");
  if (plan.chained) no("groupBy", "a second groupBy(...).agg(...) over an aggregation (chained aggregations)");
  const st = plan.stateful;
  if (st?.kind === "aggregate" && st.session) no("sessionWindow", "sessionWindow(...)");
  if (st?.kind === "aggregate" && st.window?.unitMs !== undefined) no("window", `window on the numeric column "${st.window.column}"`);
  if (st?.kind === "join" && (st.options.how === "leftSemi" || st.options.how === "leftAnti")) no("join", `a ${st.options.how} join`);
  for (const input of plan.inputs) if (input.watermark?.unitMs !== undefined) no("withWatermark", `withWatermark on the numeric column "${input.watermark.column}"`);
}

/**
 * Translates a plan and its writeStream options to a PySpark program (see the module comment).
 *
 * @throws SparkTranslationError naming the operator, source or sink with no Spark equivalent
 */
export function toSparkProgram(plan: QueryPlan, o: SparkProgramOptions): string {
  if (o.watermarkPolicy !== "min") throw new SparkTranslationError("watermarkPolicy", `watermarkPolicy "${o.watermarkPolicy}": the program would need spark.sql.streaming.multipleWatermarkPolicy=max; only "min" (Spark's default) is translated`);
  if (o.batchPerPartition) throw new SparkTranslationError("batchPerPartition", "batchPerPartition (one micro-batch per t= partition) has no Spark equivalent: Spark sizes micro-batches by maxFilesPerTrigger; leave it out to run on Spark");
  refuseUntranslated(plan);
  const st = plan.stateful;
  const sinks = o.sinks.map(sinkSpec);
  const inputs = plan.inputs;
  // The end-of-input flush matters where rows wait for the watermark: append-mode windows and outer joins.
  const stats = statefulLines(plan);
  const holdsRows = st !== undefined && ((st.kind === "aggregate" && o.mode === "append" && stats.endFilter !== null) || (st.kind === "join" && st.options.how !== "inner"));
  const endOfInput = o.trigger.kind === "once" && holdsRows;
  const afterSteps = plan.after.map((s) => stepCall(s.op, "after the " + (st?.kind ?? "input"), s.describe)).join("");
  const trigger = o.trigger.kind === "once" ? "availableNow=True" : o.trigger.kind === "interval" ? `processingTime=${py(sparkDuration(o.trigger.ms))}` : 'processingTime="0 seconds"';
  const L: string[] = [];
  L.push(`"""streamlab query "${o.name}", translated to PySpark Structured Streaming by query.toSpark().`);
  L.push("");
  L.push("Run it with");
  L.push(`    spark-submit --master local[2]${usesKafka(plan, o) ? ` --packages ${SPARK_KAFKA_PACKAGE}` : ""} ${ident(o.name)}.py`);
  L.push("(--master spark://HOST:7077, yarn or k8s://… runs it on a cluster; output folders must then be on");
  L.push("a filesystem every executor reaches, e.g. hdfs:// or s3a://).");
  L.push("");
  L.push("Where Spark's semantics differ from streamlab's, this program does what streamlab does:");
  L.push("- Output goes through foreachBatch, so every output mode works with files (Spark's file sink");
  L.push("  accepts append only): one parquet file per micro-batch, batch-NNNNNN.parquet, written under a");
  L.push("  hidden name and renamed into place, rows carrying batch_id in update/complete mode, as");
  L.push("  streamlab's parquet sink; Kafka values are JSON rows with the same keys.");
  L.push(endOfInput
    ? "- End of input (trigger once): streamlab moves the watermark to +infinity so every held row is\n  emitted; Spark keeps such state. The program appends one row far in the future to each input after\n  the data and runs on until Spark has evicted everything, then drops that row from the output."
    : "- End of input: nothing is held back in this query's output mode, so no end-of-input step is needed.");
  L.push("- Late rows: streamlab drops every row below the watermark; Spark drops a row for a window only");
  L.push("  once that window is final, and for a join once the row is below the join's state watermark. With");
  L.push("  the watermark longer than the input's disorder (the course data), no row is late either way.");
  L.push('"""');
  L.push("import atexit");
  L.push("import json");
  L.push("import shutil");
  L.push("import signal");
  L.push("import sys");
  L.push("import tempfile");
  L.push("from datetime import datetime, timezone");
  L.push("");
  L.push("from pyspark import SparkConf");
  L.push("from pyspark.sql import SparkSession");
  L.push("from pyspark.sql import functions as F");
  L.push("from pyspark.sql.types import BooleanType, DoubleType, StringType, StructField, StructType, TimestampNTZType, TimestampType");
  L.push("");
  L.push(`QUERY = ${py(o.name)}`);
  L.push(`# Spark's checkpoint (offsets, commits, state); ${o.checkpointLocation === undefined ? "a fresh one per run, as streamlab without checkpointLocation" : "a run with the same folder resumes where the last one stopped"}.`);
  if (o.checkpointLocation === undefined) {
    L.push('CHECKPOINT = tempfile.mkdtemp(prefix="streamlab-spark-")');
    L.push("atexit.register(shutil.rmtree, CHECKPOINT, True)");
  } else {
    L.push(`CHECKPOINT = ${py(sparkLocation(o.checkpointLocation))}`);
  }
  L.push("signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped (streamlab's stop(), Ctrl-C): exit cleanly");
  if (endOfInput) L.push("END_OF_INPUT = datetime(2999, 1, 1, tzinfo=timezone.utc)  # the end-of-input row's event time (UTC): past every real row");
  L.push("");
  L.push("spark = (SparkSession.builder.appName(f\"streamlab-{QUERY}\")");
  L.push('    .config("spark.sql.session.timeZone", "UTC")  # event times are UTC, as in streamlab');
  L.push('    .config("spark.sql.streaming.numRecentProgressUpdates", "100000")');
  L.push('    .config("spark.ui.showConsoleProgress", "false")');
  L.push('    .config("spark.sql.files.ignoreCorruptFiles", "true")  # a bad file is passed over, as streamlab\'s file source does');
  L.push("    .getOrCreate())");
  L.push('spark.sparkContext.setLogLevel("WARN")');
  L.push('if not SparkConf().contains("spark.sql.shuffle.partitions"):  # a --conf given to spark-submit wins');
  L.push('    # One state partition per core (Spark\'s default of 200 makes every micro-batch slow on a laptop).');
  L.push('    spark.conf.set("spark.sql.shuffle.partitions", str(spark.sparkContext.defaultParallelism))');
  L.push("");
  L.push("");
  L.push("# --- Helpers: the same in every program streamlab generates. ---------------------------------");
  L.push("");
  L.push(PROGRAM_HELPERS);
  L.push("");
  L.push("");
  L.push("# --- The query. ---------------------------------------------------------------------------------");
  L.push("");
  for (const input of inputs) L.push(...inputLines(input, endOfInput), "");
  L.push(...stats.lines, "");
  L.push(`# The inputs and the metric that counts each one's rows (for the progress records).`);
  L.push(`INPUTS = {${inputs.map((i) => `${py(i.source.name)}: ${py(`input_${ident(i.source.name)}`)}`).join(", ")}}`);
  L.push("");
  L.push("");
  L.push("def write_batch(df, batch_id):");
  L.push(`    """Writes one micro-batch to every sink, as streamlab's sinks do (empty batches write nothing)."""`);
  if (endOfInput) L.push(`    df = df.where(${stats.endFilter})  # not the end-of-input row`);
  if (st !== undefined) L.push(`    df = add_batch_id(df, batch_id, True)  # streamlab's stateful operators add it (steps after them may select it)`);
  if (afterSteps !== "") L.push(`    df = df${afterSteps}`);
  L.push("    df.persist()");
  L.push("    rows = df.count()");
  L.push("    if rows > 0:");
  for (const s of sinks) L.push(`        ${sinkCall(s, o.mode)}`);
  L.push("    df.unpersist()");
  L.push("    OUTPUT_ROWS[batch_id] = rows");
  L.push("");
  L.push("");
  L.push("def run(**trigger):");
  L.push(`    """Starts the query with this trigger and waits for it to end, printing a progress record per micro-batch."""`);
  L.push("    query = (result.writeStream");
  L.push(`        .outputMode(${py(o.mode)})`);
  L.push("        .option(\"checkpointLocation\", CHECKPOINT)");
  L.push("        .foreachBatch(write_batch)");
  L.push("        .trigger(**trigger)");
  L.push("        .start())");
  L.push("    seen = 0");
  L.push("    while not query.awaitTermination(1):");
  L.push("        seen = report(query, seen)");
  L.push("    report(query, seen)");
  L.push("");
  L.push("");
  L.push("prepare_outputs([" + sinks.filter((s) => s.kind === "files").map((s) => py(sparkLocation((s as { dir: string }).dir))).join(", ") + "])");
  L.push(`run(${trigger})`);
  if (endOfInput) {
    L.push("# End of input: one row per input at END_OF_INPUT moves the watermark past every real row; in the");
    L.push("# no-data micro-batch after it (availableNow runs it) Spark evicts the held state and emits what");
    L.push("# streamlab's flush emits.");
    L.push("add_end_of_input_rows()");
    L.push("run(availableNow=True)");
  }
  L.push("spark.stop()");
  return L.join("\n") + "\n";
}
