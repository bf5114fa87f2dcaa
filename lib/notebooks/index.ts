export * from "./types";
export * from "./options";
export * from "./stop";
export * from "./progress";
export * from "./counts";
