import { AbortedError, OptionError } from "../../errors";
import { positiveNumber } from "../../options";
import { sleepFor } from "../../replay/clock";
import { consumeInGroup } from "../consume";
import { KafkaProducer, resolveConfig, type ConsumedMessage, type KafkaOptions } from "../../kafka";
import type { SalesStore } from "./store";
import { SUMMARY_DEFAULTS } from "./options";
import type { Sale, SalesWindow, StoredSale } from "./types";
import { TumblingSummer } from "./window";

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

/** Parses one `sales` message; a string is the reason it is not a sale. */
export function parseSale(value: string | null): Sale | string {
  if (value === null) return "empty message";
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return "not JSON";
  }
  const s = v as Partial<Sale> | null;
  if (s === null || typeof s !== "object") return "not a JSON object";
  if (typeof s.item !== "string" || s.item === "") return "no item";
  if (typeof s.amount !== "number" || !Number.isFinite(s.amount)) return "amount is not a number";
  if (typeof s.time !== "number" || !Number.isFinite(s.time)) return "time is not a number";
  return { item: s.item, amount: s.amount, time: s.time };
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
  /** Consumer group; default `sales-summary`. */
  groupId?: string;
  until?: "end" | "never";
  signal?: AbortSignal;
  /** Called with each window as it is published. */
  onWindow?: (w: SalesWindow) => void;
  /** Called after each handled batch with the sales read so far (a live view's progress). */
  onRead?: (read: number) => void;
  /** Stop once this many sales were read, then publish the open windows (a live run that knows how many the store sells). */
  expect?: number;
}

/**
 * The lecture's second consumer, done right: sums the amounts per tumbling window of `time`
 * (`[k·5, (k+1)·5)`), and publishes each window once, when final (a sale at or past its end arrived,
 * or at the end of input with `until: "end"`), to `sales-summary` as
 * `{"window_start","window_end","total","count"}` keyed by `window_start`. Offsets are committed only
 * up to the first sale of a window not yet published, so a restart rebuilds it from the topic.
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
  const summer = new TumblingSummer(options.size ?? SUMMARY_DEFAULTS.size);
  const producer = await KafkaProducer.connect({ ...config, partitions: 1 });
  const windows: SalesWindow[] = [];
  const skipped: SkippedSale[] = [];
  // Offset of the first message of each open window, to commit no further than the oldest open one.
  const firstOffset = new Map<number, number>();
  const expect = options.expect === undefined ? undefined : positiveNumber("expect", options.expect, undefined, "the number of sales to read before stopping");
  let read = 0;

  const publish = async (done: SalesWindow[]) => {
    if (done.length === 0) return;
    await producer.send(to, done.map((w) => ({ key: String(w.window_start), value: JSON.stringify(w) })));
    for (const w of done) {
      firstOffset.delete(w.window_start);
      windows.push(w);
      options.onWindow?.(w);
    }
  };

  try {
    await consumeInGroup({
      topic: from,
      groupId: options.groupId ?? "sales-summary",
      kafka: config,
      until: options.until,
      signal: options.signal,
      done: expect === undefined ? undefined : () => read >= expect,
      handle: async (messages: ConsumedMessage[]) => {
        read += messages.length;
        for (const m of messages) {
          const sale = parseSale(m.raw);
          if (typeof sale === "string") {
            skipped.push({ at: `${m.topic}/${m.partition}@${m.offset}`, reason: sale });
            continue;
          }
          const start = Math.floor(sale.time / summer.size) * summer.size;
          if (!firstOffset.has(start)) firstOffset.set(start, m.offset);
          await publish(summer.add(sale));
        }
        options.onRead?.(read);
        const open = [...firstOffset.values()];
        return open.length === 0 ? undefined : Math.min(...open);
      },
    });
    await publish(summer.flush());
  } finally {
    await producer.close();
  }
  return { windows, late: summer.late, skipped };
}
