/**
 * The public surface of streamlab: notebooks and user code import only from here
 * (`import { replay, query } from "streamlab"`).
 */
export * from "./errors";
export * from "./duration";
export * from "./dataset";
export * from "./generate";
export * from "./replay";
export * from "./stream";
export * from "./spark";
export * from "./sinks";
export * from "./files";
export * from "./kafka";
export * from "./notebooks";
export * from "./pipelines";
export * from "./report";
export * from "./display";

// In a tslab kernel, a cell that ends with a DataFrame or Series shows an HTML table from the next cell on.
import { installRichDisplay } from "./display/rich";
installRichDisplay();
