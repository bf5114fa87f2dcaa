export * from "./types";
export { GENERATE_DEFAULTS, GENERATE_LIMITS, type GenerateOptions } from "./options";
export { generateDataset } from "./generate";
