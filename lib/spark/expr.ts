/**
 * Polars expressions → PySpark Column expressions. nodejs-polars prints an expression as text
 * (`[(col("speed")) > (5.0)]`, `col("a").is_not_null()`, `[(col("x")) * (3.6)].alias("kmh")`);
 * this reads that text back and writes the same computation with `pyspark.sql.functions as F`.
 * Only what has an exact Spark equivalent is translated; anything else is a SparkTranslationError
 * naming the operator.
 */
import { SparkTranslationError } from "../errors";

const BINARY: Record<string, string> = {
  ">": ">", "<": "<", ">=": ">=", "<=": "<=", "==": "==", "!=": "!=",
  "&": "&", "|": "|", "+": "+", "-": "-", "*": "*", "/": "/", rust_div: "/", "%": "%",
};

/** Polars dtype names in `.cast(…)` → Spark SQL type names. */
const CASTS: Record<string, string> = {
  Float64: "double", Float32: "float", Int64: "long", Int32: "int", Int16: "short", Int8: "byte",
  UInt32: "long", UInt16: "int", UInt8: "short", Boolean: "boolean", Bool: "boolean", String: "string", Utf8: "string", Date: "date",
};

/** Methods without arguments: polars name → how to write it in PySpark. */
const METHODS: Record<string, (x: string) => string> = {
  is_not_null: (x) => `${x}.isNotNull()`,
  is_null: (x) => `${x}.isNull()`,
  not: (x) => `~${x}`,
  abs: (x) => `F.abs(${x})`,
  sqrt: (x) => `F.sqrt(${x})`,
  floor: (x) => `F.floor(${x})`,
  ceil: (x) => `F.ceil(${x})`,
  is_nan: (x) => `F.isnan(${x})`,
};

class Reader {
  private i = 0;
  constructor(private readonly text: string, private readonly where: string) {}

  fail(what: string): never {
    throw new SparkTranslationError(what, `${this.where}: ${what} in the polars expression ${this.text} has no PySpark translation here; write the step with col/lit, comparisons, arithmetic, &, |, ~, is_null/is_not_null, abs, cast and alias, or run the query on streamlab's engine`);
  }

  done(): boolean {
    return this.i >= this.text.length;
  }

  peek(s: string): boolean {
    return this.text.startsWith(s, this.i);
  }

  eat(s: string): void {
    if (!this.peek(s)) this.fail(`"${this.text.slice(this.i, this.i + 20)}" (expected ${s})`);
    this.i += s.length;
  }

  /** A double-quoted string as polars prints it. */
  quoted(): string {
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(this.text.slice(this.i));
    if (m === null) this.fail("a quoted name");
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  /** expr := primary ( .method(...) )* */
  expr(): string {
    let x = this.primary();
    while (this.peek(".")) {
      this.eat(".");
      const m = /^([a-z_]+)\(/.exec(this.text.slice(this.i));
      if (m === null) this.fail("a method call");
      const name = m[1];
      this.i += m[0].length;
      if (name === "alias") {
        x = `${x}.alias(${JSON.stringify(this.quoted())})`;
      } else if (name === "cast") {
        const t = /^([A-Za-z0-9]+)/.exec(this.text.slice(this.i))?.[1] ?? "";
        const spark = CASTS[t];
        if (spark === undefined) this.fail(`cast(${t})`);
        this.i += t.length;
        x = `${x}.cast("${spark}")`;
      } else if (METHODS[name] !== undefined) {
        x = METHODS[name](x);
      } else {
        this.fail(`.${name}()`);
      }
      this.eat(")");
    }
    return x;
  }

  /** primary := col("x") | [(expr) op (expr)] | literal */
  primary(): string {
    if (this.peek("col(")) {
      this.eat("col(");
      const name = this.quoted();
      this.eat(")");
      return `F.col(${JSON.stringify(name)})`;
    }
    if (this.peek("[(")) {
      this.eat("[(");
      const left = this.expr();
      this.eat(") ");
      const op = /^(\S+) \(/.exec(this.text.slice(this.i))?.[1];
      if (op === undefined || BINARY[op] === undefined) this.fail(`the operator ${op ?? "?"}`);
      this.i += op.length + 2;
      const right = this.expr();
      this.eat(")]");
      return `(${left} ${BINARY[op]} ${right})`;
    }
    return this.literal();
  }

  literal(): string {
    const rest = this.text.slice(this.i);
    if (rest.startsWith('"')) return `F.lit(${JSON.stringify(this.quoted())})`;
    const dyn = /^\[?dyn (?:int|float): (-?[0-9.e+-]+)\]?/.exec(rest);
    const num = dyn ?? /^-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?/.exec(rest);
    if (num !== null) {
      this.i += num[0].length;
      return `F.lit(${dyn ? dyn[1] : num[0]})`;
    }
    for (const [word, py] of [["true", "True"], ["false", "False"], ["null", "None"]] as const) {
      if (rest.startsWith(word)) {
        this.i += word.length;
        return `F.lit(${py})`;
      }
    }
    const fn = /^([a-z_]+)\(/.exec(rest);
    return this.fail(fn ? `${fn[1]}()` : `"${rest.slice(0, 20)}"`);
  }
}

/**
 * The PySpark Column expression of a polars expression (its printed form), e.g.
 * `[(col("speed")) > (5.0)]` → `(F.col("speed") > F.lit(5.0))`.
 *
 * @param where the step it belongs to, for the error message (`filter`, `withColumns`, …)
 * @throws SparkTranslationError naming the operator that has no translation
 */
export function exprToPySpark(expr: unknown, where: string): string {
  const text = String(expr);
  const r = new Reader(text, where);
  const out = r.expr();
  if (!r.done()) r.fail("the text after the expression");
  return out;
}

/** The output name of an expression (its alias, else its column), as polars names it. */
export function exprName(expr: unknown): string | undefined {
  const text = String(expr);
  return /\.alias\("((?:[^"\\]|\\.)*)"\)$/.exec(text)?.[1] ?? /^col\("((?:[^"\\]|\\.)*)"\)/.exec(text)?.[1];
}
