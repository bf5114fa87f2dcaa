import pl, { type DataType } from "nodejs-polars";
import { OptionError, QueryError } from "../errors";
import { oneOf } from "../options";
import type { FrameStep } from "./plan";
import { requireColumn } from "./time";

/** Stream-static join kinds: Spark supports inner and left outer with the stream on the left. */
export type StaticJoinHow = "inner" | "left";

/** Options of `StreamFrame.join(staticFrame, options)`. */
export interface StaticJoinOptions {
  /** The key column(s), present in the stream and in the static frame (e.g. `"uuid"`). */
  on: string | string[];
  /** `"inner"` (default): stream rows without a match are dropped; `"left"`: kept, with nulls. */
  how?: StaticJoinHow;
  /** Suffix for static columns whose name the stream already uses; default `"_right"`. */
  suffix?: string;
}

export interface ResolvedStaticJoinOptions {
  on: string[];
  how: StaticJoinHow;
  suffix: string;
}

/** Applies defaults and validates against the static frame; throws OptionError naming the option. */
export function resolveStaticJoinOptions(frame: pl.DataFrame, options: StaticJoinOptions): ResolvedStaticJoinOptions {
  if (options === null || typeof options !== "object") throw new OptionError("join", options, 'expected an options object such as { on: "uuid", how: "left" }');
  const on = Array.isArray(options.on) ? options.on : [options.on];
  if (on.length === 0 || on.some((c) => typeof c !== "string" || c === "")) throw new OptionError("on", options.on, 'expected the key column(s) present in the stream and in the static frame, e.g. "uuid"');
  const missing = on.filter((c) => !frame.columns.includes(c));
  if (missing.length > 0) throw new OptionError("on", options.on, `the static frame has no column ${missing.map((c) => `"${c}"`).join(", ")}; its columns are ${frame.columns.map((c) => `"${c}"`).join(", ")}`);
  if (["right", "full", "outer"].includes(String(options.how))) {
    throw new OptionError("how", options.how, 'a stream-static join keeps the stream on the left: "inner" or "left" (as Spark); a right or full join would have to emit static rows that no stream row matched, which is never final');
  }
  const how = oneOf("how", options.how, ["inner", "left"] as const, "inner");
  const suffix = options.suffix ?? "_right";
  if (typeof suffix !== "string" || suffix === "") throw new OptionError("suffix", suffix, 'expected a non-empty string such as "_right"');
  return { on, how, suffix };
}

/**
 * A stream-static join as a stateless step (Spark's stream-static join; semantics.md): each
 * micro-batch's rows are joined with the static frame on the key(s), so no state is kept and the
 * step may come before or after a stateful operator. Inner drops stream rows with no match; left
 * keeps them with nulls in the static columns. A static key matching several rows gives a row per
 * match. Null keys match nothing (as in Spark and SQL).
 */
export function staticJoinStep(frame: pl.DataFrame, options: ResolvedStaticJoinOptions): FrameStep {
  const { on, how, suffix } = options;
  return {
    // What the step computes, for a checkpoint's query description: not the static rows, which may change between runs as in Spark.
    describe: `join(static [${frame.columns.join(", ")}], on=${on.join(",")}, how=${how})`,
    apply: (stream) => {
      for (const c of on) requireColumn(stream, c, "join with a static frame");
      for (const c of on) {
        const a = typeName(stream.schema[c]), b = typeName(frame.schema[c]);
        if (a !== b) throw new QueryError(`join with a static frame: key "${c}" is ${a} in the stream but ${b} in the static frame; cast one side (withColumns(pl.col("${c}").cast(...))) first.`, { context: { column: c } });
      }
      return stream.join(frame, { on, how, suffix });
    },
  };
}

/** A polars type's name ("Float64", "String"; polars' own text is "DataType(Float64)"). */
function typeName(dtype: DataType): string {
  return (dtype as unknown as { variant?: string }).variant ?? String(dtype);
}
