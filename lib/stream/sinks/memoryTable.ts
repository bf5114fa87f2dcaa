import pl from "nodejs-polars";
import { OptionError, QueryError } from "../../errors";
import { optionalString, requireString } from "../../options";
import { MemoryStreamSink } from "../memory";
import type { BatchOutput, SinkOpenContext } from "../types";

/** Options of {@link memorySink}. */
export interface MemorySinkOptions {
  /**
   * The table name for {@link sql} (Spark's `queryName`); default the query's `name` (writeStream's
   * `name` option), so `writeStream({ name: "counts", sinks: [memorySink()] })` is `sql("select * from counts")`.
   */
  queryName?: string;
}

/** The tables {@link sql} sees: query name → the sink holding its rows. */
const tables = new Map<string, MemoryTableSink>();

/**
 * A memory sink whose rows are a SQL table (Spark's `format("memory").queryName(name)`): in
 * `append` and `update` mode the table holds every row emitted so far (update: the changelog, each
 * row with its `batch_id`), in `complete` mode the last batch (the current result). The table stays
 * queryable after the query stopped, until a query with the same name starts.
 */
export class MemoryTableSink extends MemoryStreamSink {
  private mode: BatchOutput["mode"] = "append";
  private registered: string | undefined;
  private active = false;

  constructor(private readonly queryName?: string) {
    super("memory");
  }

  /** The name the table is registered under (known once the query opened the sink). */
  get tableName(): string | undefined {
    return this.registered;
  }

  override async open(context?: SinkOpenContext): Promise<void> {
    const name = this.queryName ?? context?.queryName;
    if (name === undefined) throw new QueryError('memory sink: no table name; give the query a name (writeStream({ name: "counts", ... })) or the sink one (memorySink({ queryName: "counts" })).');
    const held = tables.get(name);
    if (held !== undefined && held !== this && held.active) throw new QueryError(`memory sink: a running query already owns the table "${name}"; stop it first or choose another name.`, { context: { queryName: name } });
    this.registered = name;
    this.active = true;
    tables.set(name, this);
    await super.open();
  }

  override async write(output: BatchOutput): Promise<void> {
    this.mode = output.mode;
    await super.write(output);
  }

  override async close(): Promise<void> {
    this.active = false;
    await super.close();
  }

  /** The table as {@link sql} sees it: complete mode's last batch, else every row so far. */
  rows(): pl.DataFrame {
    return this.mode === "complete" ? this.last() : this.table();
  }
}

/**
 * A memory sink queryable with {@link sql} under the query's name.
 *
 * @example
 * const counts = memorySink({ queryName: "counts" });
 * // readStream(src).groupBy("word").agg({ n: pl.len() }).writeStream({ mode: "complete", sinks: [counts] }).start();
 * // later: sql("select word, n from counts order by n desc limit 10")
 */
export function memorySink(options: MemorySinkOptions = {}): MemoryTableSink {
  if (options === null || typeof options !== "object") throw new OptionError("memorySink", options, 'expected an options object such as { queryName: "counts" }');
  return new MemoryTableSink(optionalString("queryName", options.queryName, undefined, '"counts"'));
}

/** Names of the tables {@link sql} can read (memory sinks opened so far), sorted. */
export function memoryTables(): string[] {
  return [...tables.keys()].sort();
}

/**
 * Runs a SQL query over the memory sinks' tables with polars' SQL engine (Spark's `spark.sql`):
 * SELECT with WHERE, GROUP BY, ORDER BY, LIMIT, joins and window functions (polars SQL dialect).
 *
 * @throws OptionError (`BAD_OPTION`, option `sql`) when polars cannot run it, naming the tables there are
 * @example
 * const top = sql("select word, count from counts order by count desc limit 5");
 */
export function sql(query: string): pl.DataFrame {
  requireString("sql", query, '"select * from counts"');
  const frames: Record<string, pl.DataFrame> = {};
  for (const [name, sink] of tables) frames[name] = sink.rows();
  try {
    return pl.SQLContext(frames).execute(query, { eager: true });
  } catch (e) {
    // nodejs-polars 0.24 reports most planning errors as "collectSync is not a function": say what they usually are.
    const raw = e instanceof Error ? e.message : String(e);
    const why = raw.includes("collectSync") ? "polars could not plan it: an unknown table or column, a column named like a SQL keyword (e.g. top), or SQL it does not support" : `polars SQL could not run it (${raw})`;
    const known = memoryTables();
    throw new OptionError("sql", query, `${why}; the tables are: ${known.length === 0 ? "none yet (start a query with a memory sink first)" : known.join(", ")}`, e);
  }
}
