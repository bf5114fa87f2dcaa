import pl from "nodejs-polars";
import { OptionError } from "../../errors";
import { readStream, type StreamingQuery, type StreamSource } from "../../stream";
import { resolveMode, WORD_COUNT_DEFAULTS, type WordCountOptions } from "./options";
import { linesToWords } from "./words";

/**
 * The lecture's word count on the streaming engine: lines → lower-case words → a running count per
 * word (a keyed aggregation without a window). `update` emits the words whose count changed in each
 * micro-batch, `complete` the whole table each time; rows are `word, count, batch_id`.
 *
 * @example
 * ```ts
 * const query = wordCount(socketSource({ port: 9999 }), { mode: "complete", sinks: [consoleSink()] });
 * await query.stop();
 * ```
 */
export function wordCount(source: StreamSource, options: WordCountOptions): StreamingQuery {
  if (options === null || typeof options !== "object" || !Array.isArray(options.sinks)) throw new OptionError("sinks", options?.sinks, "expected a list of sinks, e.g. [consoleSink()]");
  const mode = resolveMode(options.mode);
  const trigger = options.trigger ?? WORD_COUNT_DEFAULTS.trigger;
  if (trigger !== "once" && trigger !== "default") throw new OptionError("trigger", trigger, 'expected "once" or "default"');
  return readStream(source)
    .transform(linesToWords, "lines → lower-case words")
    .groupBy("word")
    .agg({ count: pl.len() })
    .writeStream({ mode, sinks: options.sinks, trigger, signal: options.signal, name: "word-count" })
    .start();
}
