export * from "./options";
export * from "./fileStream";
export * from "./kafka";
export type { DeadLetterReason } from "./deadLetter";
export * from "./rate";
export * from "./fileFormats";
export * from "./socket";
