export * from "./types";
export { STORE_DEFAULTS, SUMMARY_DEFAULTS, resolveStoreOptions, type StoreOptions } from "./options";
export { simulateSales } from "./simulator";
export { tumblingTotals, moduloTotals, windowStart, TumblingSummer } from "./window";
export { SalesDatabase, SALES_DATABASE_DEFAULTS, saleOf, type SalesDatabaseOptions } from "./database";
export { produceSales, saveSales, summarizeSales, parseSale, type SalesKafkaOptions, type SaveSalesOptions, type SummarizeSalesOptions, type SkippedSale } from "./kafka";
