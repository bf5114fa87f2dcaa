export * from "./types";
export { STORE_DEFAULTS, SUMMARY_DEFAULTS, resolveStoreOptions, type StoreOptions } from "./options";
export { simulateSales } from "./simulator";
export { tumblingTotals, moduloTotals, windowStart, TumblingSummer } from "./window";
export { SalesDatabase, SALES_DATABASE_DEFAULTS, saleOf, type SalesDatabaseOptions } from "./database";
export { produceSales, saveSales, summarizeSales, parseSale, type SalesKafkaOptions, type SaveSalesOptions, type SummarizeSalesOptions, type SkippedSale } from "./kafka";
export type { SalesStore } from "./store";
export { CassandraSalesStore, CassandraError, CASSANDRA_STORE_DEFAULTS, type CassandraStoreOptions } from "./cassandra";
export { startLocalCassandra, CASSANDRA_VERSION, type LocalCassandra, type LocalCassandraOptions } from "./cassandra-server";
