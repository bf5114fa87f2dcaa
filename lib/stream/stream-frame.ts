import pl from "nodejs-polars";
import { OptionError, QueryError } from "../errors";
import { parseDuration } from "../duration";
import { parseAggregation, type Aggregation, type AggregationInput } from "./aggregate";
import { resolveJoinOptions, type Duration, type JoinOptions, type WriteStreamOptions } from "./options";
import type { FrameStep, QueryPlan } from "./plan";
import { StreamingQuery } from "./query";
import type { StreamSource } from "./types";
import { isWindowSpec, type WindowSpec } from "./window";

/** A key of `groupBy`: a column name, `pl.col("name")`, or a {@link window}. */
export type GroupKey = string | pl.Expr | WindowSpec;

function columnName(key: string | pl.Expr, option: string): string {
  if (typeof key === "string" && key !== "") return key;
  const text = key === null || key === undefined ? String(key) : String((key as pl.Expr).toString());
  const m = /^col\("((?:[^"\\]|\\.)+)"\)$/.exec(text);
  if (m === null) throw new OptionError(option, text, 'expected a column name or pl.col("name"); derive other keys first with withColumns(expr.alias("name"))');
  return m[1];
}

/**
 * A streaming query under construction (immutable: every method returns a new StreamFrame).
 * Start with {@link readStream}; add stateless steps, at most one stateful operator (a windowed
 * aggregation or a stream-stream join), steps after it, then `writeStream(...)`.
 *
 * @example
 * import pl from "nodejs-polars";
 * const q = readStream(locations)
 *   .withWatermark("timestamp", "30 seconds")
 *   .filter(pl.col("speed").isNotNull())
 *   .groupBy("ride_id", window("timestamp", "15 seconds"))
 *   .agg({ mean_speed: pl.col("speed").mean(), count: pl.col("speed").count() })
 *   .writeStream({ mode: "update", sinks: [new MemoryStreamSink()], trigger: "once" })
 *   .start();
 * await q.awaitTermination();
 */
export class StreamFrame {
  /** @internal use {@link readStream} */
  constructor(readonly plan: QueryPlan) {}

  private get stateful(): boolean {
    return this.plan.stateful !== undefined;
  }

  private addStep(step: FrameStep): StreamFrame {
    if (this.stateful) return new StreamFrame({ ...this.plan, after: [...this.plan.after, step] });
    if (this.plan.inputs.length !== 1) throw new QueryError("internal: stateless steps on several inputs need a join first");
    const [input] = this.plan.inputs;
    return new StreamFrame({ ...this.plan, inputs: [{ ...input, steps: [...input.steps, step] }] });
  }

  /**
   * Declares the event-time column and how late rows may arrive (Spark's `withWatermark`):
   * watermark = max event time seen − delay; rows older than it are dropped by stateful operators.
   *
   * @example
   * readStream(src).withWatermark("timestamp", "30 seconds")
   */
  withWatermark(column: string, delay: Duration): StreamFrame {
    if (this.stateful) throw new QueryError("withWatermark must come before groupBy/join: it applies to an input stream.");
    if (typeof column !== "string" || column === "") throw new OptionError("withWatermark.column", column, 'expected the event-time column, e.g. "timestamp"');
    const delayMs = parseDuration(delay, "watermark");
    const [input] = this.plan.inputs;
    return new StreamFrame({ ...this.plan, inputs: [{ ...input, watermark: { column, delayMs } }] });
  }

  /** Keeps the rows where `predicate` is true (polars `DataFrame.filter`). @example .filter(pl.col("speed").gt(0)) */
  filter(predicate: pl.Expr): StreamFrame {
    return this.addStep({ describe: `filter(${String(predicate)})`, apply: (f) => f.filter(predicate), op: { kind: "filter", predicate } });
  }

  /** Keeps/derives columns (polars `DataFrame.select`). @example .select("uuid", "speed") */
  select(...columns: (string | pl.Expr)[]): StreamFrame {
    return this.addStep({ describe: `select(${columns.map(String).join(", ")})`, apply: (f) => f.select(...columns.map((c) => (typeof c === "string" ? pl.col(c) : c))), op: { kind: "select", columns } });
  }

  /** Adds or replaces columns (polars `DataFrame.withColumns`). @example .withColumns(pl.col("speed").mul(3.6).alias("kmh")) */
  withColumns(...exprs: pl.Expr[]): StreamFrame {
    return this.addStep({ describe: `withColumns(${exprs.map(String).join(", ")})`, apply: (f) => f.withColumns(...exprs), op: { kind: "withColumns", exprs } });
  }

  /** Drops columns. @example .drop("filename") */
  drop(...columns: string[]): StreamFrame {
    return this.addStep({ describe: `drop(${columns.join(", ")})`, apply: (f) => f.drop(columns), op: { kind: "drop", columns } });
  }

  /** Renames columns. @example .rename({ speed: "v" }) */
  rename(mapping: Record<string, string>): StreamFrame {
    return this.addStep({ describe: `rename(${JSON.stringify(mapping)})`, apply: (f) => f.rename(mapping), op: { kind: "rename", mapping } });
  }

  /** Any stateless frame → frame function, applied to each micro-batch's rows. @example .transform((df) => df.unique()) */
  transform(fn: (frame: pl.DataFrame) => pl.DataFrame, describe = "transform"): StreamFrame {
    if (typeof fn !== "function") throw new OptionError("transform", String(fn), "expected a function (frame) => frame");
    return this.addStep({ describe, apply: fn, op: { kind: "transform" } });
  }

  /**
   * Groups by keys and at most one event-time {@link window}; follow with `.agg({...})`.
   *
   * @example
   * .groupBy(pl.col("ride_id"), window("timestamp", "15 seconds", "5 seconds"))
   */
  groupBy(...keys: GroupKey[]): GroupedStream {
    if (this.stateful) throw new QueryError("a query holds one stateful operator (one aggregation or one join); this one already has one.");
    if (this.plan.inputs.length !== 1) throw new QueryError("internal: groupBy on several inputs");
    const windows = keys.filter(isWindowSpec);
    if (windows.length > 1) throw new OptionError("groupBy", windows.length, "expected at most one window");
    const names = keys.filter((k): k is string | pl.Expr => !isWindowSpec(k)).map((k, i) => columnName(k, `groupBy[${i}]`));
    if (new Set(names).size !== names.length) throw new OptionError("groupBy", names, "expected distinct key columns");
    return new GroupedStream(this.plan, names, windows[0]);
  }

  /**
   * Stream-stream join with another input on a key and an event-time bound
   * `|left.t − right.t| <= within` (event time = each input's watermark column, else `timestamp`).
   * Outer joins emit an unmatched row once the watermark passes `t + within`, never for a row that
   * found a match. Output: key, leftTimestamp, rightTimestamp, the left columns, the right columns
   * (renamed with `suffix` when the left already has the name), then `batch_id`.
   *
   * @example
   * readStream(locations).withWatermark("timestamp", "30 seconds")
   *   .join(readStream(accelerations).withWatermark("timestamp", "30 seconds"),
   *         { on: "uuid", within: "1.5 seconds", how: "full", leftTimestamp: "loc_timestamp", rightTimestamp: "acc_timestamp" })
   */
  join(other: StreamFrame, options: JoinOptions): StreamFrame {
    if (!(other instanceof StreamFrame)) throw new OptionError("join", String(other), "expected another StreamFrame (from readStream)");
    if (this.stateful || other.stateful) throw new QueryError("a query holds one stateful operator (one aggregation or one join): join two inputs before any groupBy, and only once.");
    const resolved = resolveJoinOptions(options);
    const [left] = this.plan.inputs;
    const [right] = other.plan.inputs;
    if (left.source.name === right.source.name) throw new QueryError(`both join inputs are named "${left.source.name}"; give the sources distinct names.`);
    if (resolved.how !== "inner" && (left.watermark === undefined || right.watermark === undefined)) {
      const missing = left.watermark === undefined ? left.source.name : right.source.name;
      throw new QueryError(`a ${resolved.how} outer join needs withWatermark on both inputs (missing on "${missing}"): the watermark decides when an unmatched row is final.`);
    }
    return new StreamFrame({ inputs: [left, right], stateful: { kind: "join", options: resolved }, after: [] });
  }

  /**
   * Builds the query (not started): call `.start()` on the result.
   *
   * @example
   * const query = frame.writeStream({ mode: "append", sinks: [sink], trigger: "1 second" }).start();
   * console.log(query.lastProgress);
   * await query.stop();
   */
  writeStream(options: WriteStreamOptions): StreamingQuery {
    return new StreamingQuery(this.plan, options);
  }
}

/** The result of `groupBy`; call `.agg({...})`. */
export class GroupedStream {
  /** @internal */
  constructor(private readonly plan: QueryPlan, readonly keys: string[], readonly window: WindowSpec | undefined) {}

  /**
   * Aggregations by output column name: `pl.col(x).mean()/sum()/count()/min()/max()`, `pl.len()`,
   * or `Agg.mean(x)` etc. Several at once are fine. Output columns: keys, `window_start`,
   * `window_end` (windowed), the aggregations in the given order, then `batch_id`.
   *
   * @example
   * .agg({ mean_speed: pl.col("speed").mean(), count: pl.col("speed").count(), max_speed: Agg.max("speed") })
   */
  agg(aggregations: Record<string, AggregationInput>): StreamFrame {
    if (aggregations === null || typeof aggregations !== "object" || Object.keys(aggregations).length === 0) {
      throw new OptionError("agg", aggregations, 'expected at least one aggregation, e.g. { mean_speed: pl.col("speed").mean() }');
    }
    const parsed: Record<string, Aggregation> = {};
    const reserved = new Set([...this.keys, "window_start", "window_end", "batch_id"]);
    for (const [name, value] of Object.entries(aggregations)) {
      if (reserved.has(name)) throw new OptionError(`agg.${name}`, name, "expected an output name different from the keys, window_start, window_end and batch_id");
      parsed[name] = parseAggregation(name, value);
    }
    return new StreamFrame({ ...this.plan, stateful: { kind: "aggregate", keys: this.keys, window: this.window, aggs: parsed } });
  }
}

/**
 * Starts a streaming query definition from a source (a file stream, a Kafka topic, memory).
 *
 * @example
 * const frame = readStream(new MemoryStreamSource("locations"));
 */
export function readStream(source: StreamSource): StreamFrame {
  if (source === null || typeof source !== "object" || typeof source.poll !== "function" || typeof source.name !== "string") {
    throw new OptionError("readStream", String(source), "expected a StreamSource (with name and poll())");
  }
  return new StreamFrame({ inputs: [{ source, steps: [] }], after: [] });
}
