/**
 * The columns of a plan's inputs as Spark will see them, tracked through the stateless steps: a
 * join's output (key, the two timestamps, left columns, right columns renamed with the suffix)
 * is spelled out in the generated program, as streamlab's engine computes it.
 */
import { SparkTranslationError } from "../errors";
import { SCHEMA } from "../dataset/schema";
import type { InputPlan, StepOp } from "../stream/plan";
import type { SourceSpec } from "../stream/types";
import { exprName } from "./expr";

/** Spark SQL type names of the course tables' polars dtypes (files hold timestamps without zone). */
const SPARK_TYPES = { String: "StringType()", Float64: "DoubleType()", Bool: "BooleanType()", Datetime: "TimestampType()" } as const;

/** The course table an input reads: the file source's table, or a Kafka topic named `…locations`. */
export function tableOf(spec: SourceSpec, name: string): "locations" | "accelerations" | undefined {
  if (spec.kind === "files" && spec.table !== undefined) return spec.table;
  const candidates = [name, spec.kind === "kafka" ? spec.topic : ""];
  for (const t of ["locations", "accelerations"] as const) if (candidates.some((c) => c === t || c.endsWith(`-${t}`))) return t;
  return undefined;
}

/** `StructField`s of a course table, in the files' column order. */
export function schemaFields(table: "locations" | "accelerations"): { name: string; type: string }[] {
  return SCHEMA[table].map((c) => ({ name: c.name, type: SPARK_TYPES[c.dtype] }));
}

/** The columns after one step (names only). */
function afterStep(columns: string[], op: StepOp, input: string): string[] {
  switch (op.kind) {
    case "filter":
      return columns;
    case "select":
      return op.columns.map((c) => (typeof c === "string" ? c : nameOf(c, "select", input)));
    case "withColumns": {
      const out = [...columns];
      for (const e of op.exprs) {
        const n = nameOf(e, "withColumns", input);
        if (!out.includes(n)) out.push(n);
      }
      return out;
    }
    case "drop":
      return columns.filter((c) => !op.columns.includes(c));
    case "rename":
      return columns.map((c) => op.mapping[c] ?? c);
    case "transform":
      throw new SparkTranslationError("transform", `input "${input}": transform(fn) runs a JavaScript function on each micro-batch, which Spark cannot run; express it with filter/select/withColumns/drop/rename, or run the query on streamlab's engine`);
  }
}

function nameOf(expr: unknown, step: string, input: string): string {
  const n = exprName(expr);
  if (n === undefined) throw new SparkTranslationError(step, `input "${input}": ${step}(${String(expr)}) has no output name; add .alias("name")`);
  return n;
}

/** The columns of an input after its steps, when its table is known; undefined otherwise. */
export function inputColumns(input: InputPlan): string[] | undefined {
  const spec = input.source.spec;
  if (spec === undefined) return undefined;
  const table = tableOf(spec, input.source.name);
  if (table === undefined) return undefined;
  let cols = SCHEMA[table].map((c) => c.name);
  for (const step of input.steps) cols = afterStep(cols, step.op ?? { kind: "transform" }, input.source.name);
  return cols;
}
