import { OptionError } from "../../errors";
import { optionalBoolean, optionalString, positiveInt, requireString } from "../../options";
import type { OutputMode } from "../types";

/** The column a sink adds to say which micro-batch produced a row (semantics.md, "Output modes"). */
export const BATCH_ID_COLUMN = "batch_id";

/** Options of {@link parquetSink}. */
export interface ParquetSinkOptions {
  /** Folder the batch files go to (created if missing). */
  dir: string;
  /** Name in summaries; default `files`. */
  name?: string;
  /**
   * Add a `batch_id` column to every row. Default: true in `update` and `complete` mode (so the
   * latest value of a key is the row with the highest `batch_id`), false in `append` mode.
   */
  batchId?: boolean;
  /** Remove the batch files a previous run left in `dir` when the sink opens; default true. */
  clean?: boolean;
}

/** Options of {@link consoleSink}. */
export interface ConsoleSinkOptions {
  /** Name in summaries; default `console`. */
  name?: string;
  /** Rows shown per batch (the rest is summarised as "… N more rows"); default 20. */
  maxRows?: number;
  /** Where the text goes; default `process.stdout`. */
  write?: (text: string) => void;
}

/** Options of {@link kafkaSink}. */
export interface KafkaSinkOptions {
  /** Topic the rows go to (created when missing). */
  topic: string;
  /** Column whose value becomes the message key (`ride_id`, `uuid`); default: no key. */
  key?: string;
  /** Broker list, `host:port[,host:port]`; default the project's Kafka config (localhost:9092). */
  bootstrap?: string;
  /** Name in summaries; default `kafka`. */
  name?: string;
  /** How long the producer retries a broker that stopped answering (default 60,000 ms; see KafkaOptions). */
  retryBudgetMs?: number;
  /** Add a `batch_id` field to each value; same default as {@link ParquetSinkOptions.batchId}. */
  batchId?: boolean;
  /** Partitions when the sink creates the topic; default 3. */
  partitions?: number;
}

export const PARQUET_SINK_DEFAULTS = { name: "files", clean: true } as const;
export const CONSOLE_SINK_DEFAULTS = { name: "console", maxRows: 20 } as const;
export const KAFKA_SINK_DEFAULTS = { name: "kafka", partitions: 3 } as const;

/** Whether rows carry `batch_id`: explicit choice, else only in the changelog/snapshot modes. */
export function wantsBatchId(explicit: boolean | undefined, mode: OutputMode): boolean {
  return explicit ?? mode !== "append";
}

export function resolveParquetSinkOptions(o: ParquetSinkOptions): Required<Omit<ParquetSinkOptions, "batchId">> & { batchId?: boolean } {
  if (o === null || typeof o !== "object") throw new OptionError("parquetSink", o, "expected an options object such as { dir: \"results/stream/output/simple\" }");
  return {
    dir: requireString("dir", o.dir),
    name: optionalString("name", o.name, PARQUET_SINK_DEFAULTS.name),
    batchId: optionalBoolean("batchId", o.batchId, undefined),
    clean: optionalBoolean("clean", o.clean, PARQUET_SINK_DEFAULTS.clean),
  };
}

export function resolveConsoleSinkOptions(o: ConsoleSinkOptions = {}): Required<ConsoleSinkOptions> {
  const maxRows = positiveInt("maxRows", o.maxRows, CONSOLE_SINK_DEFAULTS.maxRows);
  if (o.write !== undefined && typeof o.write !== "function") throw new OptionError("write", "(not a function)", "expected a function (text: string) => void");
  return {
    name: optionalString("name", o.name, CONSOLE_SINK_DEFAULTS.name),
    maxRows,
    write: o.write ?? ((text: string) => void process.stdout.write(text)),
  };
}

export function resolveKafkaSinkOptions(o: KafkaSinkOptions): KafkaSinkOptions & { name: string; partitions: number } {
  if (o === null || typeof o !== "object") throw new OptionError("kafkaSink", o, "expected an options object such as { topic: \"DoeJane-windowed\", key: \"ride_id\" }");
  const partitions = positiveInt("partitions", o.partitions, KAFKA_SINK_DEFAULTS.partitions);
  return {
    ...o,
    topic: requireString("topic", o.topic),
    key: optionalString("key", o.key, undefined),
    bootstrap: optionalString("bootstrap", o.bootstrap, undefined),
    name: optionalString("name", o.name, KAFKA_SINK_DEFAULTS.name),
    batchId: optionalBoolean("batchId", o.batchId, undefined),
    partitions,
    retryBudgetMs: o.retryBudgetMs === undefined ? undefined : positiveInt("retryBudgetMs", o.retryBudgetMs, 1),
  };
}
