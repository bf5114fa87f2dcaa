import { AbortedError, OptionError } from "../../errors";
import { positiveNumber } from "../../options";
import { sleepFor } from "../../replay/clock";
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

/** Options of {@link produceSales}. */
export interface ProduceSalesOptions extends SalesKafkaOptions {
  /** Sell at this pace (sales per second of wall time), as a store would; default all at once. */
  perSecond?: number;
  /** Called after each send with the sales sent so far. */
  onSent?: (sent: number) => void;
  /** Aborting it stops selling (rejects with ABORTED). */
  signal?: AbortSignal;
}

/**
 * Sends sales to the `sales` topic as the lecture's JSON `{"item","amount","time"}` (created with
 * one partition when missing, so the store's time order is the topic's order). With `perSecond`
 * the store sells over time, one sale at a time, so consumers can be watched while it sells.
 *
 * @example
 * ```ts
 * await produceSales(simulateSales({ count: 100, seed: 42 })); // 100
 * const selling = produceSales(simulateSales({ count: 200 }), { perSecond: 20 }); // 10 s
 * ```
 */
export async function produceSales(sales: Sale[], options: ProduceSalesOptions = {}): Promise<number> {
  const topic = options.topic ?? SUMMARY_DEFAULTS.from;
  const perSecond = positiveNumber("perSecond", options.perSecond, undefined, "a number of sales per second above 0");
  const step = perSecond === undefined ? 500 : 1;
  const t0 = Date.now();
  const producer = await KafkaProducer.connect({ ...options.kafka, partitions: 1 });
  try {
    for (let i = 0; i < sales.length; i += step) {
      if (options.signal?.aborted) throw new AbortedError("produceSales");
      // Paced: sale i goes out i / perSecond seconds after the first (no drift from slow sends).
      if (perSecond !== undefined) await sleepFor(t0 + (i * 1000) / perSecond - Date.now(), options.signal);
      const chunk = sales.slice(i, i + step);
      await producer.send(topic, chunk.map((s) => ({ key: null, value: JSON.stringify({ item: s.item, amount: s.amount, time: s.time }) })));
      options.onSent?.(Math.min(sales.length, i + step));
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
  /** Called after each micro-batch with the messages read so far (a live view's progress). */
  onRead?: (read: number) => void;
  /**
   * Stop once this many messages were read, also with `until: "never"` (a live run that knows how
   * many sales the store sells, read while it sells); with `"end"`, at whichever comes first.
   */
  expect?: number;
}

/**
 * The lecture's second consumer, done right: the store's summary query ({@link salesSummary}, the
 * engine's tumbling window on `time`, `[k·5, (k+1)·5)`, in update mode) from `sales` to
 * `sales-summary`. Each micro-batch publishes the windows it changed as
 * `{"window_start","window_end","total","count","batch_id"}` keyed by `window_start`; a window's
 * latest message (highest `batch_id`) is its value. The topic is read from the earliest offset on
 * every run, so a restarted summary publishes every window again with the same final values.
 * Resolves with each window's final total (oldest first), the late sales dropped, and the messages
 * that were not sales. Live, while the store sells: `until: "never"` with `expect` (how many sales
 * it sells), `onWindow` for each window's latest total (a live chart) and `onRead` for progress.
 *
 * @example
 * ```ts
 * const { windows } = await summarizeSales({ size: 5 });
 * const live = await summarizeSales({ until: "never", expect: 200, onWindow: (w) => console.log(w.window_start, w.total) });
 * ```
 */
export async function summarizeSales(options: SummarizeSalesOptions = {}): Promise<{ windows: SalesWindow[]; late: number; skipped: SkippedSale[] }> {
  const from = options.topic ?? SUMMARY_DEFAULTS.from;
  const to = options.to ?? SUMMARY_DEFAULTS.to;
  if (from === to) throw new OptionError("to", to, "the summary topic must differ from the sales topic");
  const config = resolveConfig(options.kafka ?? {});
  const once = (options.until ?? "end") === "end";
  const source = salesSource({ topic: from, kafka: config, once, expect: options.expect });
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
  // With `expect` the source is exhausted after that many messages, which ends the query under either trigger.
  let told = 0;
  const tell = () => {
    if (source.read === told) return;
    told = source.read;
    options.onRead?.(told);
  };
  if (options.onRead !== undefined) query.onBatch(tell);
  await query.start().awaitTermination();
  if (options.onRead !== undefined) tell(); // messages of a last poll that held no sale
  return {
    windows: [...latest.values()].sort((a, b) => a.window_start - b.window_start),
    late: query.totals.rowsDroppedByWatermark,
    skipped: query.skipped().map((s) => ({ at: s.path, reason: s.reason })),
  };
}
