import pl from "nodejs-polars";
import type { Skipped } from "../../dataset/types";
import type { ConsumedMessage, KafkaConfig, KafkaOptions } from "../../kafka";
import { readStream, window, type StreamingQuery, type StreamSink, type StreamSource } from "../../stream";
import { positiveInt } from "../../options";
import { topicSource, type TopicRows } from "../topic-source";
import { parseSale } from "./parse";
import { resolveWindowSize, SUMMARY_DEFAULTS } from "./options";

/** The store's clock: whole time units, read by the engine as seconds since 0 (so a size of 5 is "5 seconds"). */
const TIME = { column: "time", unit: "s" } as const;

/** One poll's `sales` messages → rows `item, amount, time`; messages that are not sales are skipped with why. */
export function salesRows(messages: ConsumedMessage[]): TopicRows {
  const item: string[] = [], amount: number[] = [], time: number[] = [];
  const skipped: Skipped[] = [];
  for (const m of messages) {
    const sale = parseSale(m.raw);
    if (typeof sale === "string") {
      skipped.push({ path: `${m.topic}/${m.partition}@${m.offset}`, code: "KAFKA", reason: sale });
      continue;
    }
    item.push(sale.item);
    amount.push(sale.amount);
    time.push(sale.time);
  }
  const frame = item.length === 0 ? null : pl.DataFrame({
    item: pl.Series("item", item, pl.Utf8),
    amount: pl.Series("amount", amount, pl.Float64),
    time: pl.Series("time", time, pl.Float64),
  });
  return { frame, skipped };
}

/** Options of {@link salesSource}. */
export interface SalesSourceOptions {
  /** Topic of the sales; default `sales`. */
  topic?: string;
  kafka?: KafkaOptions | KafkaConfig;
  /** Read up to the end as of the first poll, then be exhausted; default false. */
  once?: boolean;
  /** Be exhausted after this many messages, also while the store still sells (a live run); default no limit. */
  expect?: number;
}

/**
 * The `sales` topic as a query input: rows `item, amount, time`, read from the earliest offset.
 * A message that is not a sale is skipped and listed by `skipped()` with its partition@offset;
 * `read` counts the messages read so far (sales and skipped).
 *
 * @example
 * ```ts
 * const sales = salesSource({ once: true });
 * ```
 */
export function salesSource(options: SalesSourceOptions = {}): StreamSource & { readonly topic: string; readonly read: number } {
  const limit = positiveInt("expect", options.expect, undefined);
  return topicSource({ topic: options.topic ?? SUMMARY_DEFAULTS.from, name: "sales", kafka: options.kafka, once: options.once, limit, rows: salesRows });
}

/** Options of {@link salesSummary}. */
export interface SalesSummaryOptions {
  /** Window size in time units; default 5. */
  size?: number;
  sinks: StreamSink[];
  /** `"once"` ends when a bounded source is exhausted; default `"default"` (runs until stopped). */
  trigger?: "once" | "default";
  signal?: AbortSignal;
}

/**
 * The store's summary as a streaming query on the engine: per tumbling window of `time`,
 * `[k·size, (k+1)·size)`, the total amount (to the cent) and the number of sales, in update mode:
 * after each micro-batch, the windows it changed, as rows `window_start, window_end, total, count,
 * batch_id`; a window's latest row (highest `batch_id`) is its current value, and its final one once
 * the input ended. The watermark is the latest `time` seen (the store's clock only moves forward):
 * a sale older than that is late, dropped and counted.
 *
 * @example
 * ```ts
 * const query = salesSummary(salesSource({ once: true }), { size: 5, sinks: [new MemoryStreamSink()], trigger: "once" });
 * await query.start().awaitTermination();
 * ```
 */
export function salesSummary(source: StreamSource, options: SalesSummaryOptions): StreamingQuery {
  const size = resolveWindowSize(options.size ?? SUMMARY_DEFAULTS.size);
  return readStream(source)
    .withWatermark(TIME, 0)
    .groupBy(window(TIME, `${size} seconds`))
    .agg({ total: pl.col("amount").sum(), count: pl.len() })
    .withColumns(pl.col("total").round(2))
    .writeStream({ mode: "update", sinks: options.sinks, trigger: options.trigger ?? "default", signal: options.signal, name: "sales-summary" });
}
