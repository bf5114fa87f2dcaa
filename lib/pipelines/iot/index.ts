export * from "./types";
export { IOT_DEFAULTS, GROUP_EXAMPLES, resolveIotOptions, type IotOptions, type GroupLayout } from "./options";
export { iotReadings, produceIot } from "./producer";
export { runGroupExperiment, checkDeliveries, type GroupExperiment, type GroupExperimentOptions } from "./groups";
