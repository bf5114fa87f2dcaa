import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { OptionError, SinkError } from "../../errors";
import type { Sale, StoredSale } from "./types";

/** Options of {@link SalesDatabase.open}. */
export interface SalesDatabaseOptions {
  /** Database file (created with its folder when missing); `:memory:` for a throwaway one. Default `results/store.duckdb`. */
  path?: string;
}

export const SALES_DATABASE_DEFAULTS = { path: "results/store.duckdb" } as const;

// The lecture's keyspace `store` is the database file (results/store.duckdb), its table `sales` is
// the table here (a schema named `store` would clash with the catalog DuckDB names after the file). Keyed by where Kafka stored the sale: a re-delivered
// message has the same (topic, partition, offset), so saving it twice keeps one row.
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS sales (
     topic VARCHAR NOT NULL, kafka_partition INTEGER NOT NULL, kafka_offset BIGINT NOT NULL,
     item VARCHAR NOT NULL, amount DOUBLE NOT NULL, time BIGINT NOT NULL,
     PRIMARY KEY (topic, kafka_partition, kafka_offset))`,
];
const INSERT = "INSERT INTO sales VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";

/**
 * The store's sales database: DuckDB embedded in the process (a real SQL database in one file; no
 * server to run). Every statement with values is parameterised.
 *
 * @example
 * ```ts
 * const db = await SalesDatabase.open({ path: "results/store.duckdb" });
 * await db.save([{ topic: "sales", partition: 0, offset: 0, item: "a", amount: 4.2, time: 0 }]); // 1
 * await db.count(); // 1
 * db.close();
 * ```
 */
export class SalesDatabase {
  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(options: SalesDatabaseOptions = {}): Promise<SalesDatabase> {
    const file = options.path ?? SALES_DATABASE_DEFAULTS.path;
    if (typeof file !== "string" || file.trim() === "") throw new OptionError("path", options.path, "expected a database file path such as results/store.duckdb, or :memory:");
    try {
      if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      const instance = await DuckDBInstance.create(file);
      const connection = await instance.connect();
      for (const sql of SCHEMA) await connection.run(sql);
      return new SalesDatabase(file, instance, connection);
    } catch (e) {
      throw new SinkError(file, `cannot open the DuckDB database (${(e as Error).message}); check that the path is a writable file that no other process holds open, or pass another path.`, e);
    }
  }

  /** Saves sales in one transaction; returns how many were new (a re-delivered sale counts 0). */
  async save(sales: StoredSale[]): Promise<number> {
    let added = 0;
    try {
      await this.connection.run("BEGIN TRANSACTION");
      for (const s of sales) {
        const r = await this.connection.run(INSERT, [s.topic, s.partition, s.offset, s.item, s.amount, s.time]);
        added += Number(r.rowsChanged);
      }
      await this.connection.run("COMMIT");
    } catch (e) {
      await this.connection.run("ROLLBACK").catch(() => {});
      throw new SinkError(this.path, `cannot save ${sales.length} sales: ${(e as Error).message}`, e);
    }
    return added;
  }

  /** Sales stored. */
  async count(): Promise<number> {
    const r = await this.connection.runAndReadAll("SELECT CAST(COUNT(*) AS INTEGER) AS n FROM sales");
    return r.getRowObjects()[0].n as number;
  }

  /** Every stored sale, in Kafka order (partition, offset). */
  async sales(): Promise<StoredSale[]> {
    const r = await this.connection.runAndReadAll(
      "SELECT topic, kafka_partition AS partition, CAST(kafka_offset AS DOUBLE) AS offset, item, amount, CAST(time AS DOUBLE) AS time FROM sales ORDER BY topic, kafka_partition, kafka_offset",
    );
    return r.getRowObjects() as unknown as StoredSale[];
  }

  /**
   * Runs a read-only question with bound parameters (`$1`, `$2`…), e.g. totals per item.
   *
   * @example
   * ```ts
   * await db.query("SELECT item, SUM(amount) AS total FROM sales WHERE time >= $1 GROUP BY item", [10]);
   * ```
   */
  async query(sql: string, params: Array<string | number | boolean | null> = []): Promise<Array<Record<string, unknown>>> {
    const r = await this.connection.runAndReadAll(sql, params);
    return r.getRowObjectsJson() as Array<Record<string, unknown>>;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** The sale fields of a stored sale (drops the Kafka key). */
export function saleOf(s: StoredSale): Sale {
  return { item: s.item, amount: s.amount, time: s.time };
}
