import type { StoredSale } from "./types";

/**
 * Where the sales consumer saves sales: SQLite (embedded, the default) or Cassandra (the lecture's).
 * `save` must be idempotent on (topic, partition, offset) and return how many sales were new.
 */
export interface SalesStore {
  save(sales: StoredSale[]): Promise<number>;
  count(): Promise<number>;
  close(): void | Promise<void>;
}
