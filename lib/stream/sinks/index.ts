export * from "./options";
export * from "./parquet";
export * from "./console";
export * from "./read";
export * from "./kafka";
export * from "./foreachBatch";
export * from "./memoryTable";
