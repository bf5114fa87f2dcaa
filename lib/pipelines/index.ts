/** The course's other pipelines: game events, store sales, word count, IoT and consumer groups. */
export * from "./game";
export * from "./sales";
export * from "./wordcount";
export * from "./iot";
export { consumeInGroup, type GroupConsumeOptions } from "./consume";
export { seededRandom, logNormal } from "./random";
export { pipelineParams, type PipelineParams } from "./params";
