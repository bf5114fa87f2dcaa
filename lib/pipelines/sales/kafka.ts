import { OptionError } from "../../errors";
import { consumeInGroup } from "../consume";
import { KafkaProducer, resolveConfig, topicName, type KafkaOptions } from "../../kafka";
import { kafkaSink, type StreamSink } from "../../stream";
import type { SalesStore } from "./store";
import { SUMMARY_DEFAULTS } from "./options";
import { parseSale } from "./parse";
import { salesSource, salesSummary } from "./summary";
import type { Sale, SalesWindow, SalesWindowUpdate, StoredSale } from "./types";

export { parseSale };

/** Options shared by the sales pipeline's Kafka steps. */
export interface SalesKafkaOptions {
  /** Connection (bootstrap, topic prefix…); default the project's Kafka config (localhost:9092). */
  kafka?: KafkaOptions;
  /** Topic of the sales; default `sales`. */
  topic?: string;
}

/**
 * Sends sales to the `sales` topic as the lecture's JSON `{"item","amount","time"}` (created with
 * one partition when missing, so the store's time order is the topic's order).
 *
 * @example
 * ```ts
 * await produceSales(simulateSales({ count: 100, seed: 42 })); // 100
 * ```
 */
export async function produceSales(sales: Sale[], options: SalesKafkaOptions = {}): Promise<number> {
  const topic = options.topic ?? SUMMARY_DEFAULTS.from;
  const producer = await KafkaProducer.connect({ ...options.kafka, partitions: 1 });
  try {
    for (let i = 0; i < sales.length; i += 500) {
      const chunk = sales.slice(i, i + 500);
      await producer.send(topic, chunk.map((s) => ({ key: null, value: JSON.stringify({ item: s.item, amount: s.amount, time: s.time }) })));
    }
  } finally {
    await producer.close();
  }
  return sales.length;
}

/** A message that is not a sale, kept with where it was and why (the run goes on). */
export interface SkippedSale {
  at: string;
  reason: string;
}

/** Options of {@link saveSales}. */
export interface SaveSalesOptions extends SalesKafkaOptions {
  /** Consumer group; default `store-db`. */
  groupId?: string;
  /** See `GroupConsumeOptions.until`; default `"end"`. */
  until?: "end" | "never";
  signal?: AbortSignal;
}

/**
 * The lecture's first consumer: saves every sale of `sales` in the database (SQLite's
 * {@link SalesDatabase} or Cassandra's {@link CassandraSalesStore}), exactly once. Offsets
 * are committed after the batch is saved, and the table is keyed by (topic, partition, offset), so a
 * re-delivered batch adds nothing. Returns the counts of this run.
 *
 * @example
 * ```ts
 * const db = await SalesDatabase.open();
 * await saveSales(db); // { received: 100, saved: 100, skipped: [] }
 * ```
 */
export async function saveSales(db: SalesStore, options: SaveSalesOptions = {}): Promise<{ received: number; saved: number; skipped: SkippedSale[] }> {
  const topic = options.topic ?? SUMMARY_DEFAULTS.from;
  let received = 0;
  let saved = 0;
  const skipped: SkippedSale[] = [];
  await consumeInGroup({
    topic,
    groupId: options.groupId ?? "store-db",
    kafka: options.kafka,
    until: options.until,
    signal: options.signal,
    handle: async (messages) => {
      const rows: StoredSale[] = [];
      for (const m of messages) {
        const sale = parseSale(m.raw);
        if (typeof sale === "string") skipped.push({ at: `${m.topic}/${m.partition}@${m.offset}`, reason: sale });
        else rows.push({ ...sale, topic: m.topic, partition: m.partition, offset: m.offset });
      }
      received += messages.length;
      saved += await db.save(rows);
    },
  });
  return { received, saved, skipped };
}

/** Options of {@link summarizeSales}. */
export interface SummarizeSalesOptions extends SalesKafkaOptions {
  /** Topic the window totals go to; default `sales-summary`. */
  to?: string;
  /** Window size in time units; default 5. */
  size?: number;
  /** `"end"`: stop at the end of the topic as it is at the start (default); `"never"`: run until stopped. */
  until?: "end" | "never";
  signal?: AbortSignal;
  /** Called with each window total as it is published (a window is published again when a later micro-batch changes it). */
  onWindow?: (w: SalesWindowUpdate) => void;
}

/**
 * The lecture's second consumer, done right: the store's summary query ({@link salesSummary}, the
 * engine's tumbling window on `time`, `[k·5, (k+1)·5)`, in update mode) from `sales` to
 * `sales-summary`. Each micro-batch publishes the windows it changed as
 * `{"window_start","window_end","total","count","batch_id"}` keyed by `window_start`; a window's
 * latest message (highest `batch_id`) is its value. The topic is read from the earliest offset on
 * every run, so a restarted summary publishes every window again with the same final values.
 * Resolves with each window's final total (oldest first), the late sales dropped, and the messages
 * that were not sales.
 *
 * @example
 * ```ts
 * const { windows } = await summarizeSales({ size: 5 });
 * ```
 */
export async function summarizeSales(options: SummarizeSalesOptions = {}): Promise<{ windows: SalesWindow[]; late: number; skipped: SkippedSale[] }> {
  const from = options.topic ?? SUMMARY_DEFAULTS.from;
  const to = options.to ?? SUMMARY_DEFAULTS.to;
  if (from === to) throw new OptionError("to", to, "the summary topic must differ from the sales topic");
  const config = resolveConfig(options.kafka ?? {});
  const once = (options.until ?? "end") === "end";
  const source = salesSource({ topic: from, kafka: config, once });
  const latest = new Map<number, SalesWindow>();
  const published: StreamSink = {
    name: "windows",
    async open() {},
    async write({ frame }) {
      for (const row of frame.toRecords()) {
        const w = { window_start: Number(row.window_start), window_end: Number(row.window_end), total: Number(row.total), count: Number(row.count) };
        latest.set(w.window_start, w);
        options.onWindow?.({ ...w, batch_id: Number(row.batch_id) });
      }
    },
    async close() {},
  };
  const sinks = [kafkaSink({ topic: topicName(to, config), key: "window_start", bootstrap: config.bootstrap, retryBudgetMs: config.retryBudgetMs, partitions: 1 }), published];
  const query = salesSummary(source, { size: options.size, sinks, trigger: once ? "once" : "default", signal: options.signal });
  await query.start().awaitTermination();
  return {
    windows: [...latest.values()].sort((a, b) => a.window_start - b.window_start),
    late: query.totals.rowsDroppedByWatermark,
    skipped: query.skipped().map((s) => ({ at: s.path, reason: s.reason })),
  };
}
