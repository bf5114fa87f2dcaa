export * from "./options";
export * from "./fileStream";
export * from "./kafka";
