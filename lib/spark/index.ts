export { toSparkProgram, usesKafka, sparkDuration, SPARK_KAFKA_PACKAGE, type SparkProgramOptions } from "./program";
export { runSparkProgram, locateSparkSubmit, type SparkProgress, type SparkRunOptions } from "./submit";
export { exprToPySpark } from "./expr";
