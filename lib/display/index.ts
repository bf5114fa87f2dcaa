export * from "./channel";
export * from "./frame-html";
export * from "./rich";
export * from "./live-view";
export * from "./query-view";
export * from "./progress-bar";
