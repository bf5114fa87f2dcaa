import type { BatchOutput, StreamSink } from "../types";
import { resolveConsoleSinkOptions, type ConsoleSinkOptions } from "./options";

/** Spark's console-sink banner, then polars' own table formatting. */
export function formatBatch(output: BatchOutput, maxRows: number): string {
  const { frame } = output;
  const banner = `-------------------------------------------\nBatch: ${output.batchId} (${output.mode}, ${frame.height} rows)\n-------------------------------------------\n`;
  if (frame.height === 0) return `${banner}(no rows)\n\n`;
  const more = frame.height > maxRows ? `… ${frame.height - maxRows} more rows\n` : "";
  return `${banner}${frame.head(maxRows).toString()}\n${more}\n`;
}

/**
 * A sink printing each micro-batch as a readable table, like Spark's console sink.
 *
 * @param options.maxRows rows shown per batch; default 20
 * @param options.write where the text goes; default stdout
 * @example
 * const lines: string[] = [];
 * const sink = consoleSink({ maxRows: 5, write: (t) => lines.push(t) });
 */
export function consoleSink(options: ConsoleSinkOptions = {}): StreamSink {
  const o = resolveConsoleSinkOptions(options);
  return {
    name: o.name,
    spec: { kind: "console", maxRows: o.maxRows },
    async open() {},
    async write(output: BatchOutput) {
      o.write(formatBatch(output, o.maxRows));
    },
    async close() {},
  };
}
