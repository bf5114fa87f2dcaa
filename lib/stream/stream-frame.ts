import pl from "nodejs-polars";
import { OptionError, QueryError } from "../errors";
import { parseDuration } from "../duration";
import { parseAggregation, type Aggregation, type AggregationInput } from "./aggregate";
import { resolveDedupColumns } from "./dedup";
import { joinName, resolveJoinOptions, type Duration, type JoinOptions, type WriteStreamOptions } from "./options";
import type { FrameStep, QueryPlan } from "./plan";
import { collectStatic } from "./batch";
import { StreamingQuery } from "./query";
import { resolveStaticJoinOptions, staticJoinStep, type StaticJoinOptions } from "./static-join";
import { resolveEventTime, type EventTime } from "./time";
import type { StreamSource } from "./types";
import { isSessionWindowSpec, type SessionWindowSpec } from "./session";
import { isWindowSpec, type WindowSpec } from "./window";

/** A key of `groupBy`: a column name, `pl.col("name")`, a {@link window} or a {@link sessionWindow}. */
export type GroupKey = string | pl.Expr | WindowSpec | SessionWindowSpec;

function columnName(key: string | pl.Expr, option: string): string {
  if (typeof key === "string" && key !== "") return key;
  const text = key === null || key === undefined ? String(key) : String((key as pl.Expr).toString());
  const m = /^col\("((?:[^"\\]|\\.)+)"\)$/.exec(text);
  if (m === null) throw new OptionError(option, text, 'expected a column name or pl.col("name"); derive other keys first with withColumns(expr.alias("name"))');
  return m[1];
}

/**
 * A streaming query under construction (immutable: every method returns a new StreamFrame).
 * Start with {@link readStream} (several inputs: `union`); add stateless steps (a stream-static
 * `join` is one), optionally `dropDuplicates`, at most one stateful operator (an aggregation, which
 * a second aggregation may follow, or a stream-stream join), steps after it, then `writeStream(...)`.
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

  /** A step after the stateful operator, or on every input (the branches of a union: a stateless step distributes over it). */
  private addStep(step: FrameStep): StreamFrame {
    if (this.stateful || this.plan.dedup) return new StreamFrame({ ...this.plan, after: [...this.plan.after, step] });
    if (this.plan.inputs.length !== 1 && !this.plan.union) throw new QueryError("internal: stateless steps on several inputs need a join first");
    return new StreamFrame({ ...this.plan, inputs: this.plan.inputs.map((input) => ({ ...input, steps: [...input.steps, step] })) });
  }

  /**
   * Declares the event-time column and how late rows may arrive (Spark's `withWatermark`):
   * watermark = max event time seen − delay; rows older than it are dropped by stateful operators.
   * The column is a polars Datetime, or numeric with its unit (`{ column: "time", unit: "s" }`).
   *
   * @example
   * readStream(src).withWatermark("timestamp", "30 seconds")
   * readStream(sales).withWatermark({ column: "time", unit: "s" }, "10 seconds")
   */
  withWatermark(column: EventTime, delay: Duration): StreamFrame {
    if (this.stateful || this.plan.dedup) throw new QueryError("withWatermark must come before groupBy/join/dropDuplicates: it applies to an input stream.");
    const time = resolveEventTime(column, "withWatermark");
    const delayMs = parseDuration(delay, "watermark");
    // After a union, every branch gets it (each keeps its own max event time; the query's watermark is their min).
    return new StreamFrame({ ...this.plan, inputs: this.plan.inputs.map((input) => ({ ...input, watermark: { ...time, delayMs } })) });
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
   * Groups by keys and at most one event-time {@link window} or {@link sessionWindow}; follow with
   * `.agg({...})`. After an aggregation, groups its output rows instead (a chained aggregation,
   * computed over the first one's latest row per group; keys: columns of that output, and at most
   * `window("window", size, slide?)`, a coarser window over the first one's windows).
   *
   * @example
   * .groupBy(pl.col("ride_id"), window("timestamp", "15 seconds", "5 seconds"))
   * // chained: rides per window, from the per-ride windows
   * .groupBy("ride_id", window("timestamp", "15 seconds")).agg({ mean_speed: Agg.mean("speed") })
   * .groupBy("window_start").agg({ rides: pl.len(), mean_of_means: Agg.mean("mean_speed") })
   */
  groupBy(...keys: GroupKey[]): GroupedStream {
    if (this.stateful) return this.chainedGroupBy(keys);
    if (this.plan.inputs.length !== 1 && !this.plan.union) throw new QueryError("internal: groupBy on several inputs");
    if (this.plan.dedup && this.plan.after.length > 0) throw new QueryError(`groupBy after dropDuplicates and ${this.plan.after.map((st) => st.describe).join(", ")}: put stateless steps before dropDuplicates (or after the aggregation).`);
    const windows = keys.filter(isWindowSpec);
    const sessions = keys.filter(isSessionWindowSpec);
    if (windows.length + sessions.length > 1) throw new OptionError("groupBy", windows.length + sessions.length, "expected at most one window or sessionWindow");
    const names = keys.filter((k): k is string | pl.Expr => !isWindowSpec(k) && !isSessionWindowSpec(k)).map((k, i) => columnName(k, `groupBy[${i}]`));
    if (new Set(names).size !== names.length) throw new OptionError("groupBy", names, "expected distinct key columns");
    const [w] = windows;
    const mark = this.plan.inputs[0].watermark;
    if (w !== undefined && mark !== undefined && w.column === mark.column && w.unitMs !== mark.unitMs) {
      throw new OptionError("window.unit", w.unitMs ?? "(Datetime)", `expected the unit withWatermark gave column "${w.column}" (${mark.unitMs === undefined ? "a Datetime, no unit" : `${mark.unitMs} ms per unit`})`);
    }
    return new GroupedStream(this.plan, names, w, sessions[0]);
  }

  /**
   * A second aggregation over an aggregation's output (docs/operators.md, "Chained aggregations"): it is
   * computed over the first one's latest row per group, as Kafka Streams aggregates a table.
   */
  private chainedGroupBy(keys: GroupKey[]): GroupedStream {
    const st = this.plan.stateful!;
    if (st.kind !== "aggregate" || st.session || this.plan.chained) {
      const why = st.kind !== "aggregate" ? "a join" : st.session ? "a sessionWindow aggregation (its sessions merge, so its rows are not a table)" : "two aggregations already";
      throw new QueryError(`groupBy after ${why} is not supported: a second aggregation can follow one groupBy(...).agg(...) with keys and at most a window.`);
    }
    if (this.plan.after.length > 0) throw new QueryError(`groupBy after ${this.plan.after.map((s) => s.describe).join(", ")}: a second aggregation takes the first one's rows as they are; filter or derive columns before the first groupBy.`);
    if (keys.some(isSessionWindowSpec)) throw new OptionError("groupBy", "sessionWindow", "a second aggregation groups the first one's windows: a sessionWindow over them is not supported");
    const windows = keys.filter(isWindowSpec);
    const names = keys.filter((k) => !isWindowSpec(k)).map((k, i) => columnName(k as string | pl.Expr, `groupBy[${i}]`));
    const columns = [...st.keys, ...(st.window ? ["window_start", "window_end"] : []), ...Object.keys(st.aggs)];
    const missing = names.filter((n) => !columns.includes(n));
    if (missing.length > 0) throw new OptionError("groupBy", missing, `expected columns of the first aggregation's output: ${columns.map((c) => `"${c}"`).join(", ")}`);
    const [coarse] = windows;
    if (coarse !== undefined) {
      if (windows.length > 1 || !st.window || coarse.column !== "window") {
        throw new OptionError("groupBy", coarse.column, !st.window ? "a window over the first aggregation's output needs a windowed first aggregation" : 'at most one window, on the first aggregation\'s windows: window("window", size, slide?) (each first-level window goes where its last instant falls, as Spark\'s window_time)');
      }
      if (names.includes("window_start") || names.includes("window_end")) throw new OptionError("groupBy", names, 'either window("window", ...) or the first window\'s "window_start"/"window_end", not both');
    }
    return new GroupedStream(this.plan, names, coarse, undefined, columns);
  }

  /**
   * Stream-stream join with another input on a key and an event-time bound
   * `|left.t − right.t| <= within` (event time = each input's watermark column, else `timestamp`).
   * Outer joins emit an unmatched row once the watermark passes `t + within`, never for a row that
   * found a match. Output: key, leftTimestamp, rightTimestamp, the left columns, the right columns
   * (renamed with `suffix` when the left already has the name), then `batch_id`.
   * `how: "leftSemi"` emits a left row once, when its first match arrives; `"leftAnti"` emits a left
   * row that nothing matched once the watermark passes `t + within` (Spark 3.5 refuses this one
   * between streams); both output the left columns as they are, then `batch_id`.
   *
   * @example
   * readStream(locations).withWatermark("timestamp", "30 seconds")
   *   .join(readStream(accelerations).withWatermark("timestamp", "30 seconds"),
   *         { on: "uuid", within: "1.5 seconds", how: "full", leftTimestamp: "loc_timestamp", rightTimestamp: "acc_timestamp" })
   * // GPS fixes with no accelerometer row within 1.5 s:
   * locs.join(accs, { on: "uuid", within: "1.5 seconds", how: "leftAnti" })
   */
  join(other: StreamFrame, options: JoinOptions): StreamFrame;
  /**
   * Stream-static join: enriches every micro-batch with a static polars frame (e.g. ride metadata)
   * on the key column(s). Stateless: nothing is buffered, so it may come before or after a
   * `groupBy`. `how: "inner"` (default) drops stream rows without a match; `"left"` keeps them with
   * nulls in the static columns (Spark supports these two with the stream on the left). Static
   * columns whose name the stream already has get `suffix` (default `"_right"`).
   *
   * @throws OptionError when `on` is not a column of the static frame, or `how` is not inner/left
   * @example
   * const rides = pl.DataFrame({ uuid: ["u1", "u2"], driver: ["Ada", "Bo"] });
   * readStream(locations).join(rides, { on: "uuid", how: "left" })
   */
  join(other: pl.DataFrame, options: StaticJoinOptions): StreamFrame;
  join(other: StreamFrame | pl.DataFrame, options: JoinOptions | StaticJoinOptions): StreamFrame {
    if (other instanceof StreamFrame) return this.joinStream(other, options as JoinOptions);
    if (other !== null && typeof other === "object" && typeof (other as pl.DataFrame).join === "function" && Array.isArray((other as pl.DataFrame).columns)) {
      const frame = other as pl.DataFrame;
      return this.addStep(staticJoinStep(frame, resolveStaticJoinOptions(frame, options as StaticJoinOptions)));
    }
    throw new OptionError("join", String(other), "expected another StreamFrame (from readStream) for a stream-stream join, or a polars DataFrame for a stream-static join");
  }

  private joinStream(other: StreamFrame, options: JoinOptions): StreamFrame {
    if (this.stateful || other.stateful) throw new QueryError("a query holds one stateful operator (one aggregation or one join): join two inputs before any groupBy, and only once.");
    for (const side of [this, other]) {
      if (side.plan.union || side.plan.dedup) throw new QueryError(`a stream-stream join takes two single inputs; ${side.plan.union ? "a union" : "dropDuplicates"} cannot feed it yet: join first, or run the ${side.plan.union ? "union" : "deduplication"} as its own query writing to a topic or folder that the join reads.`);
    }
    const resolved = resolveJoinOptions(options);
    const [left] = this.plan.inputs;
    const [right] = other.plan.inputs;
    if (left.source.name === right.source.name) throw new QueryError(`both join inputs are named "${left.source.name}"; give the sources distinct names.`);
    // A batch (read) has no late rows: its outer join settles every row at the end, without a watermark.
    const batch = left.static === true && right.static === true;
    if (resolved.how !== "inner" && resolved.how !== "leftSemi" && !batch && (left.watermark === undefined || right.watermark === undefined)) {
      const missing = left.watermark === undefined ? left.source.name : right.source.name;
      throw new QueryError(`a ${joinName(resolved.how)} join needs withWatermark on both inputs (missing on "${missing}"): the watermark decides when an unmatched row is final.`);
    }
    return new StreamFrame({ inputs: [left, right], stateful: { kind: "join", options: resolved }, after: [] });
  }

  /**
   * The rows of this stream and of `other` as one stream (Spark's `union`; columns are matched by
   * name, as `unionByName`). Both must have the same columns when their rows arrive, else the query
   * stops with a QueryError naming the difference. Event time: each input keeps its own watermark
   * and the query's watermark is the min of them (Spark's default; `watermarkPolicy: "max"` in
   * writeStream for the max). Steps after the union apply to every input; a `groupBy` or
   * `dropDuplicates` after it sees all rows. Inputs must have distinct source names.
   *
   * @example
   * readStream(new MemoryStreamSource("east")).withWatermark("timestamp", "10 seconds")
   *   .union(readStream(new MemoryStreamSource("west")).withWatermark("timestamp", "10 seconds"))
   *   .groupBy("ride_id", window("timestamp", "15 seconds")).agg({ n: pl.len() })
   */
  union(other: StreamFrame): StreamFrame {
    if (!(other instanceof StreamFrame)) throw new OptionError("union", String(other), "expected another StreamFrame (from readStream)");
    for (const side of [this, other]) {
      if (side.stateful || side.plan.dedup) throw new QueryError("union takes streams before any groupBy, join or dropDuplicates; union the inputs first, then aggregate or deduplicate.");
    }
    const inputs = [...this.plan.inputs, ...other.plan.inputs];
    const names = inputs.map((i) => i.source.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) throw new QueryError(`union: two inputs are named "${twice}"; give the sources distinct names (a source is read by one input only).`);
    const columns = new Set(inputs.filter((i) => i.watermark).map((i) => i.watermark!.column));
    if (columns.size > 1) throw new QueryError(`union: the inputs' watermarks are on different columns (${[...columns].map((c) => `"${c}"`).join(", ")}); rename them to one event-time column first.`);
    return new StreamFrame({ inputs, union: true, after: [] });
  }

  /**
   * Drops rows whose key was seen before (Spark's streaming `dropDuplicates`): the first row of
   * each key is emitted, in the micro-batch it arrives in; later rows with that key never are. No
   * columns: the key is the whole row. State (semantics.md, "Deduplication"): with `withWatermark`
   * on a column that is one of the keys, a key is forgotten once its event time falls below the
   * watermark (a duplicate that late is dropped as late anyway); otherwise every distinct key is
   * kept for the life of the query, so state grows: include the event-time column in the keys of
   * an unbounded stream. Rows below the watermark are dropped (counted in
   * `rowsDroppedByWatermark`). Output: the input's columns. A `groupBy` may follow.
   *
   * @throws OptionError when a column name is empty or repeated
   * @example
   * readStream(events).withWatermark("timestamp", "10 seconds").dropDuplicates(["event_id", "timestamp"])
   */
  dropDuplicates(columns?: string[] | string): StreamFrame {
    if (this.stateful || this.plan.dedup) throw new QueryError("dropDuplicates must come before groupBy or join, and only once: it deduplicates an input stream.");
    if (this.plan.inputs.length !== 1 && !this.plan.union) throw new QueryError("dropDuplicates on the two sides of a join is not supported: deduplicate each input in a query of its own.");
    return new StreamFrame({ ...this.plan, dedup: { columns: resolveDedupColumns(columns) } });
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
    const fixed = this.plan.inputs.find((i) => i.static);
    if (fixed !== undefined) throw new QueryError(`the input "${fixed.source.name}" is static (from read()): run it with collect(), or start it with readStream(source) to stream it.`);
    return new StreamingQuery(this.plan, options);
  }

  /**
   * Runs a static frame (every input from {@link read}) once over all its input and returns the
   * result (no `batch_id`): the batch run of the same query, equal to the streaming query's final result.
   *
   * @example
   * const batch = await read(locations).withWatermark("timestamp", "30 seconds")
   *   .groupBy("ride_id", window("timestamp", "15 seconds")).agg({ n: pl.len() }).collect();
   */
  collect(options: { signal?: AbortSignal } = {}): Promise<pl.DataFrame> {
    return collectStatic(this.plan, options.signal);
  }
}

/** The result of `groupBy`; call `.agg({...})`. */
export class GroupedStream {
  /** @internal */
  /** @internal `chainedFrom`: the first aggregation's output columns, when this groups them (a chain). */
  constructor(private readonly plan: QueryPlan, readonly keys: string[], readonly window: WindowSpec | undefined, readonly session?: SessionWindowSpec, private readonly chainedFrom?: string[]) {}

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
    const reserved = new Set([...this.keys, "window_start", "window_end", "session_start", "session_end", "batch_id"]);
    for (const [name, value] of Object.entries(aggregations)) {
      if (reserved.has(name)) throw new OptionError(`agg.${name}`, name, "expected an output name different from the keys, window_start, window_end, session_start, session_end and batch_id");
      parsed[name] = parseAggregation(name, value);
    }
    if (this.chainedFrom !== undefined) {
      for (const [name, a] of Object.entries(parsed)) {
        if (a.column !== null && !this.chainedFrom.includes(a.column)) throw new OptionError(`agg.${name}`, a.column, `expected a column of the first aggregation's output: ${this.chainedFrom.map((c) => `"${c}"`).join(", ")}`);
      }
      return new StreamFrame({ ...this.plan, chained: { keys: this.keys, aggs: parsed, ...(this.window ? { window: this.window } : {}) } });
    }
    return new StreamFrame({ ...this.plan, stateful: { kind: "aggregate", keys: this.keys, window: this.window, aggs: parsed, ...(this.session ? { session: this.session } : {}) } });
  }
}

/**
 * Reads a source as a static frame (Spark's `spark.read`): the same operators as a stream (filter,
 * select, withWatermark, groupBy with windows, join, …), run once over what the source holds now
 * by `collect()`. `withWatermark` has no effect (no row is late in a batch); windows and joins give
 * the same rows as the streaming query's final result. Use a bounded source (`once: true`) or one
 * that stops growing.
 *
 * @example
 * const byWindow = await read(fileStreamSource({ dir: "results/stream/input/locations", once: true }))
 *   .groupBy("ride_id", window("timestamp", "15 seconds"))
 *   .agg({ mean_speed: pl.col("speed").mean() })
 *   .collect();
 */
export function read(source: StreamSource): StreamFrame {
  const [input] = readStream(source).plan.inputs;
  return new StreamFrame({ inputs: [{ ...input, static: true }], after: [] });
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
