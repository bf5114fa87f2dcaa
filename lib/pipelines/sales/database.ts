import fs from "node:fs";
import path from "node:path";
import { Database } from "node-sqlite3-wasm";
import { OptionError, SinkError } from "../../errors";
import type { SalesStore } from "./store";
import type { Sale, StoredSale } from "./types";

/** Options of {@link SalesDatabase.open}. */
export interface SalesDatabaseOptions {
  /** SQLite database file (created with its folder when missing); `:memory:` for a throwaway one. Default `results/store.sqlite`. */
  path?: string;
}

export const SALES_DATABASE_DEFAULTS = { path: "results/store.sqlite" } as const;

// The lecture's keyspace `store` is the database file, its table `sales` is the table here, keyed
// by where Kafka stored the sale: a re-delivered message has the same (topic, partition, offset), so
// saving it twice keeps one row.
const SCHEMA = `CREATE TABLE IF NOT EXISTS sales (
  topic TEXT NOT NULL, kafka_partition INTEGER NOT NULL, kafka_offset INTEGER NOT NULL,
  item TEXT NOT NULL, amount REAL NOT NULL, time INTEGER NOT NULL,
  PRIMARY KEY (topic, kafka_partition, kafka_offset))`;
const INSERT = "INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

/**
 * The store's sales database: SQLite, embedded in the process (compiled to WebAssembly, writing
 * straight to its file: nothing to install, no native build). Every statement with values is
 * parameterised.
 *
 * @example
 * ```ts
 * const db = await SalesDatabase.open({ path: "results/store.sqlite" });
 * await db.save([{ topic: "sales", partition: 0, offset: 0, item: "a", amount: 4.2, time: 0 }]); // 1
 * await db.count(); // 1
 * db.close();
 * ```
 */
export class SalesDatabase implements SalesStore {
  private constructor(
    readonly path: string,
    private readonly db: Database,
  ) {}

  static async open(options: SalesDatabaseOptions = {}): Promise<SalesDatabase> {
    const file = options.path ?? SALES_DATABASE_DEFAULTS.path;
    if (typeof file !== "string" || file.trim() === "") throw new OptionError("path", options.path, "expected a database file path such as results/store.sqlite, or :memory:");
    let db: Database | undefined;
    try {
      if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      db = new Database(file);
      db.exec(SCHEMA);
      return new SalesDatabase(file, db);
    } catch (e) {
      db?.close();
      throw new SinkError(file, `cannot open the SQLite database (${(e as Error).message}); check that the path is a writable file (not a folder), or pass another path.`, e);
    }
  }

  /** Saves sales in one transaction; returns how many were new (a re-delivered sale counts 0). */
  async save(sales: StoredSale[]): Promise<number> {
    let added = 0;
    const insert = this.db.prepare(INSERT);
    try {
      this.db.exec("BEGIN");
      for (const s of sales) added += insert.run([s.topic, s.partition, s.offset, s.item, s.amount, s.time]).changes;
      this.db.exec("COMMIT");
    } catch (e) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw new SinkError(this.path, `cannot save ${sales.length} sales: ${(e as Error).message}`, e);
    } finally {
      insert.finalize();
    }
    return added;
  }

  /** Sales stored. */
  async count(): Promise<number> {
    return Number(this.db.get("SELECT COUNT(*) AS n FROM sales")?.n ?? 0);
  }

  /** Every stored sale, in Kafka order (partition, offset). */
  async sales(): Promise<StoredSale[]> {
    const rows = this.db.all("SELECT topic, kafka_partition AS partition, kafka_offset AS offset, item, amount, time FROM sales ORDER BY topic, kafka_partition, kafka_offset");
    return rows.map((r) => ({ topic: String(r.topic), partition: Number(r.partition), offset: Number(r.offset), item: String(r.item), amount: Number(r.amount), time: Number(r.time) }));
  }

  /**
   * Runs a read-only question with bound parameters (`?`), e.g. totals per item.
   *
   * @example
   * ```ts
   * await db.query("SELECT item, SUM(amount) AS total FROM sales WHERE time >= ? GROUP BY item", [10]);
   * ```
   */
  async query(sql: string, params: Array<string | number | boolean | null> = []): Promise<Array<Record<string, unknown>>> {
    try {
      return this.db.all(sql, params) as Array<Record<string, unknown>>;
    } catch (e) {
      throw new OptionError("sql", sql, `SQLite could not run it (${(e as Error).message}); the table is sales(topic, kafka_partition, kafka_offset, item, amount, time)`, e);
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

/** The sale fields of a stored sale (drops the Kafka key). */
export function saleOf(s: StoredSale): Sale {
  return { item: s.item, amount: s.amount, time: s.time };
}
