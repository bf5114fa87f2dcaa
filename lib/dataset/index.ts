export * from "./types";
export { DISCOVER_DEFAULTS, type DiscoverOptions } from "./options";
export { SCHEMA, requiredColumns, validateFrame, polarsDtype, type ColumnSpec, type DtypeName } from "./schema";
export { PARTITION_FORM, parsePartitionName, formatPartitionName } from "./partition-name";
export { discoverDataset } from "./discover";
export { readParquetChecked, readParquetFile, readPartition, type ReadOptions } from "./read";
export { loadDataset, type LoadedDataset } from "./load";
