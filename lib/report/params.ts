/**
 * Parameters of the analysis notebook: the common `STREAMLAB_*` ones, plus where the file stream goes.
 */
import * as path from "node:path";
import { OptionError } from "../errors";
import { notebookParams, projectRoot } from "../notebooks/options";
import type { NotebookParams } from "../notebooks/types";

/** {@link NotebookParams} plus the file-stream folder. */
export interface AnalysisParams extends NotebookParams {
  /** Absolute file-stream folder: the replay writes `<out>/input`, the queries `<out>/output` (env `STREAMLAB_OUT`, default `<project>/results/stream`). */
  out: string;
}

export const ANALYSIS_DEFAULTS = { out: "results/stream" } as const;

/**
 * Reads the analysis notebook's parameters from the environment: those of `notebookParams()`
 * (`STREAMLAB_DATA`, `STREAMLAB_SPEED`, `STREAMLAB_TIME_LIMIT`, …) and `STREAMLAB_OUT`. Relative
 * paths are taken from the project folder.
 *
 * @throws OptionError (BAD_OPTION) naming the variable
 * @example
 * const params = analysisParams();
 * params.out; // "/home/me/streamlab/results/stream" unless STREAMLAB_OUT is set
 */
export function analysisParams(env: Record<string, string | undefined> = process.env): AnalysisParams {
  const raw = env.STREAMLAB_OUT;
  if (raw !== undefined && raw.trim() === "") throw new OptionError("STREAMLAB_OUT", raw, "a folder path, e.g. results/stream (or leave it unset)");
  return { ...notebookParams(env), out: path.resolve(projectRoot(), raw?.trim() ?? ANALYSIS_DEFAULTS.out) };
}
