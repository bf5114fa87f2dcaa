/**
 * Subscriptions: one or more (prefixed) topics, from the earliest or the latest offset, in a
 * consumer group or without one, auto-commit off by default (as in the course). Messages are pulled
 * (`next`, `take`, `printMessages`, `for await`), through a bounded buffer: when it is full the
 * partitions pause (and keep their group membership), so a slow reader never grows memory. An AbortSignal (or `close()`) stops it cleanly.
 */
import { randomUUID } from "node:crypto";
import type { Consumer, EachMessagePayload, KafkaMessage } from "kafkajs";
import type pl from "nodejs-polars";
import { KafkaError, OptionError } from "../errors";
import { KafkaAdmin } from "./admin";
import { createClient, retryWithin } from "./client";
import { resolveConfig } from "./config";
import { asKafkaError } from "./failures";
import { topicName } from "./topics";
import { messagesToFrame, parseJsonValue, type MessagesToFrameOptions } from "./frame";
import { countOrInfinity, positiveInt } from "../options";
import type { KafkaOptions } from "./options";
import type { ConsumedMessage, KafkaConfig } from "./types";

export type StartFrom = "earliest" | "latest";

export interface SubscribeOptions extends KafkaOptions {
  /** Topic name(s); prefixed with `<prefix>-` when a prefix is configured. */
  topics: string | string[];
  /** Where a consumer without committed offsets starts (default `earliest`). */
  from?: StartFrom;
  /**
   * Consumer group id. Without one, an ephemeral unique group is used and nothing is ever
   * committed (each subscription reads independently).
   */
  group?: string;
  /** Commit offsets automatically (default false, as in the course; only with `group`). */
  autoCommit?: boolean;
  /** Read only this partition (single topic only). */
  partition?: number;
  /** With `partition`: the first offset to read. */
  offset?: number;
  /**
   * Single topic: per partition, the first offset to read (a checkpointed query resumes there).
   * Partitions not listed start per `from`, or are not read at all with `onlyListed`.
   */
  startOffsets?: Record<number, number>;
  /** With `startOffsets`: read only the partitions it lists. */
  onlyListed?: boolean;
  /** Parse values as JSON (default true; non-JSON text is kept as a string). */
  parseJson?: boolean;
  /** Messages buffered before fetching pauses (default 1000). */
  bufferSize?: number;
  /** Stops and closes the subscription (notebook interrupt, time limit). */
  signal?: AbortSignal;
}

export interface TakeOptions extends MessagesToFrameOptions {
  /** At most this many messages (default 10). */
  n?: number;
  /** Total time to wait, in ms (default 5000); returns what arrived by then. */
  timeoutMs?: number;
}

export interface PrintOptions {
  /** Stop after this many messages (default 10; Infinity for no limit). */
  n?: number;
  /** Stop when no message came for this long, in ms (default 10000; Infinity to wait forever). */
  idleTimeoutMs?: number;
  /** Where lines go (default console.log). */
  print?: (line: string) => void;
}

/** One message as printed by {@link KafkaSubscription.printMessages}. */
export function formatMessage(m: ConsumedMessage): string {
  const value = typeof m.value === "string" ? m.value : JSON.stringify(m.value, null, 2);
  return `${m.topic} [partition ${m.partition}] offset ${m.offset} key ${m.key ?? "null"}\n${value}`;
}

/** A fetched kafkajs message as streamlab hands it on: UTF-8 key and value, the value parsed as JSON when asked. */
export function toConsumedMessage(topic: string, partition: number, message: KafkaMessage, parseJson = false): ConsumedMessage {
  const raw = message.value === null ? null : message.value.toString("utf8");
  const value = parseJson ? parseJsonValue(raw) : raw;
  return {
    topic,
    partition,
    offset: Number(message.offset),
    key: message.key === null ? null : message.key.toString("utf8"),
    value,
    raw,
    timestamp: new Date(Number(message.timestamp)),
  };
}

/**
 * A running subscription. Close it (or abort its signal) when done.
 *
 * @example
 * const sub = await subscribe({ firstName: "John", lastName: "Doe", topics: ["locations"], from: "earliest" });
 * await sub.printMessages({ n: 3 });
 * const df = await sub.take({ n: 100, timeoutMs: 5000 });
 * await sub.close();
 */
export class KafkaSubscription implements AsyncIterable<ConsumedMessage> {
  readonly topics: string[];
  readonly group: string;
  readonly ephemeralGroup: boolean;
  private readonly buffer: ConsumedMessage[] = [];
  private readonly waiters: Array<() => void> = [];
  /** Resume functions of the partitions paused because the buffer filled up. */
  private readonly resumes: Array<() => void> = [];
  private readonly positions = new Map<string, { topic: string; partition: number; offset: number }>();
  private failure: KafkaError | undefined;
  private closing: Promise<void> | undefined;
  private readonly cleanups: Array<() => void> = [];
  private consumed = 0;
  /** Per `topic\u0000partition`: the offset after the last record fetched and delivered (control records included). */
  private readonly reached = new Map<string, number>();
  /** Partitions paused in the middle of a fetched batch: its end-of-batch offset says nothing about delivery. */
  private readonly pausedMidBatch = new Set<string>();
  /** Per `topic\u0000partition`: the offset it was sought to; batches fetched before the seek took effect start below it. */
  private readonly seekedTo = new Map<string, number>();
  /** Per `topic\u0000partition`: messages in the buffer (so `readPast` need not scan it). */
  private readonly buffered = new Map<string, number>();

  /** @internal use {@link subscribe} */
  constructor(readonly config: KafkaConfig, private readonly consumer: Consumer, topics: string[], group: string, ephemeral: boolean, private readonly parseJson: boolean, private readonly bufferSize: number, private readonly filter?: (m: ConsumedMessage) => boolean) {
    this.topics = topics;
    this.group = group;
    this.ephemeralGroup = ephemeral;
  }

  /**
   * @internal the kafkajs eachMessage handler. When the buffer is full it pauses the partition
   * (kafkajs then stops after this message and fetches nothing more for it) instead of blocking:
   * a blocked handler would miss heartbeats and, after the session timeout, be thrown out of its
   * group; a paused consumer keeps heartbeating while the reader catches up.
   */
  async deliver(p: EachMessagePayload): Promise<void> {
    if (this.closing) return;
    const m = toConsumedMessage(p.topic, p.partition, p.message, this.parseJson);
    if (this.filter && !this.filter(m)) return;
    this.buffer.push(m);
    const key = `${p.topic}\u0000${p.partition}`;
    this.buffered.set(key, (this.buffered.get(key) ?? 0) + 1);
    if (this.buffer.length >= this.bufferSize) {
      this.resumes.push(p.pause());
      this.pausedMidBatch.add(`${p.topic}\u0000${p.partition}`);
    }
    this.wakeSoon();
  }

  private wakePending = false;

  /**
   * Wakes the readers once the messages delivered in this turn of the event loop are buffered:
   * kafkajs hands a fetched batch over message by message in microtasks, so the readers wake once
   * per batch (a {@link drain} then takes it whole) instead of once per message.
   */
  private wakeSoon(): void {
    if (this.wakePending) return;
    this.wakePending = true;
    setImmediate(() => {
      this.wakePending = false;
      this.wake(this.waiters);
    });
  }

  /**
   * @internal kafkajs's end-of-batch event: every record of the fetched batch up to `lastOffset`
   * was delivered to the buffer or was not a message (a transaction marker, an aborted record). A
   * reader uses it to tell that a partition written in transactions is read to its end, where the
   * last offset is a commit marker that never arrives as a message.
   */
  batchEnded(topic: string, partition: number, firstOffset: string | number | null, lastOffset: string | number | null): void {
    const key = `${topic}\u0000${partition}`;
    if (this.pausedMidBatch.delete(key) || lastOffset === null) return;
    // A fetch that left before a seek: kafkajs drops its records but still reports its end.
    const start = this.seekedTo.get(key);
    if (start !== undefined && firstOffset !== null && Number(firstOffset) < start) return;
    const next = Number(lastOffset) + 1;
    if (next > (this.reached.get(key) ?? 0)) this.reached.set(key, next);
    this.wake(this.waiters);
  }

  /**
   * True when every record of `partition` before `end` was handed out by `next()` (or was a
   * transaction marker): a bounded reader is done with it.
   */
  readPast(topic: string, partition: number, end: number): boolean {
    const key = `${topic}\u0000${partition}`;
    const handed = this.positions.get(key)?.offset ?? 0;
    if (handed >= end) return true;
    if ((this.reached.get(key) ?? 0) < end) return false;
    return (this.buffered.get(key) ?? 0) === 0;
  }

  /** @internal */
  fail(e: unknown, topic?: string): void {
    this.failure = asKafkaError(e, this.config, topic);
    this.wake(this.waiters);
  }

  private wake(list: Array<() => void>): void {
    for (const w of list.splice(0)) w();
  }

  private unwait(waiter: () => void): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  /** @internal readers currently blocked in `next()` (for tests). */
  get waiting(): number {
    return this.waiters.length;
  }

  /** @internal records a seek (see {@link batchEnded}). */
  sought(topic: string, partition: number, offset: number): void {
    this.seekedTo.set(`${topic}\u0000${partition}`, offset);
  }

  /** @internal runs `cleanup` once when the subscription closes (e.g. removes an abort listener). */
  onClose(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /** True once closed (by `close()` or the signal). */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Per partition of `topic`: the offset after the last message handed out by `next()`. */
  handedOffsets(topic: string): Record<number, number> {
    const out: Record<number, number> = {};
    for (const p of this.positions.values()) if (p.topic === topic) out[p.partition] = p.offset;
    return out;
  }

  /** Messages handed out so far. */
  get count(): number {
    return this.consumed;
  }

  /**
   * The next message, or undefined after `timeoutMs`, once closed, or (with `until`) as soon as the
   * buffer is empty and `until()` holds. Throws the KafkaError that stopped the consumer, if any.
   *
   * @example
   * const m = await sub.next(5000);
   * if (m) console.log(m.partition, m.offset, m.key, m.value);
   */
  async next(timeoutMs = Infinity, until?: () => boolean): Promise<ConsumedMessage | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffer.length === 0 && until?.()) return undefined;
      const m = this.buffer.shift();
      if (m) {
        if (this.resumes.length > 0 && this.buffer.length <= this.bufferSize / 2 && !this.closing) for (const resume of this.resumes.splice(0)) resume();
        this.consumed++;
        const key = `${m.topic}\u0000${m.partition}`;
        this.buffered.set(key, (this.buffered.get(key) ?? 1) - 1);
        this.positions.set(key, { topic: m.topic, partition: m.partition, offset: m.offset + 1 });
        return m;
      }
      if (this.failure) throw this.failure;
      if (this.closing) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        // On timeout the waiter takes itself off the list: a reader polling an idle topic with
        // short timeouts must not pile up one stale waiter per call.
        const timer = Number.isFinite(left) ? setTimeout(() => { this.unwait(wake); resolve(); }, left) : undefined;
        const wake = (): void => { clearTimeout(timer); resolve(); };
        this.waiters.push(wake);
      });
    }
  }

  /**
   * The messages buffered now (at most `max`), or, when none is, the first to arrive as {@link next}
   * waits for it (an empty list where `next` gives undefined). A bulk reader takes a whole fetch
   * per call instead of paying an await per message.
   *
   * @example
   * for (let got = await sub.drain(); got.length > 0; got = await sub.drain(Infinity, 1000)) rows.push(...got);
   */
  async drain(max = Infinity, timeoutMs = Infinity, until?: () => boolean): Promise<ConsumedMessage[]> {
    const first = await this.next(timeoutMs, until);
    if (first === undefined) return [];
    const rest = this.buffer.splice(0, Math.min(this.buffer.length, max - 1));
    if (rest.length === 0) return [first];
    const taken = new Map<string, { n: number; last: ConsumedMessage }>();
    for (const m of rest) {
      const key = `${m.topic}\u0000${m.partition}`;
      const t = taken.get(key);
      if (t === undefined) taken.set(key, { n: 1, last: m });
      else { t.n++; t.last = m; }
    }
    for (const [key, { n, last }] of taken) {
      this.buffered.set(key, (this.buffered.get(key) ?? n) - n);
      this.positions.set(key, { topic: last.topic, partition: last.partition, offset: last.offset + 1 });
    }
    this.consumed += rest.length;
    if (this.resumes.length > 0 && !this.closing) for (const resume of this.resumes.splice(0)) resume();
    return [first, ...rest];
  }

  /** Messages until closed (for `for await`). */
  async *[Symbol.asyncIterator](): AsyncIterator<ConsumedMessage> {
    for (;;) {
      const m = await this.next();
      if (m === undefined) return;
      yield m;
    }
  }

  /**
   * Up to `n` messages, waiting at most `timeoutMs` in all.
   *
   * @example
   * const messages = await sub.takeMessages({ n: 5, timeoutMs: 2000 });
   */
  async takeMessages(options: Omit<TakeOptions, "parseDates"> = {}): Promise<ConsumedMessage[]> {
    const n = countOrInfinity("n", options.n, 10);
    const timeoutMs = countOrInfinity("timeoutMs", options.timeoutMs, 5000);
    if (n === Infinity && timeoutMs === Infinity) throw new OptionError("n", n, "a finite n or a finite timeoutMs (otherwise take never returns)");
    const deadline = Date.now() + timeoutMs;
    const out: ConsumedMessage[] = [];
    while (out.length < n) {
      const m = await this.next(Math.max(0, deadline - Date.now()));
      if (m === undefined) break;
      out.push(m);
    }
    return out;
  }

  /**
   * Up to `n` messages as a polars DataFrame (columns `topic, partition, offset, key, timestamp`
   * and the JSON fields flattened), waiting at most `timeoutMs`.
   *
   * @example
   * const df = await sub.take({ n: 100, timeoutMs: 5000 });
   * df.select("partition", "offset", "uuid", "speed").head(5);
   */
  async take(options: TakeOptions = {}): Promise<pl.DataFrame> {
    return messagesToFrame(await this.takeMessages(options), options);
  }

  /**
   * Prints messages (topic, partition, offset, key, pretty JSON value) as they arrive, like the
   * course's `for message in consumer: print(...)`; resolves with the number printed.
   *
   * @example
   * await sub.printMessages({ n: 5 });
   * // DoeJohn-locations [partition 2] offset 0 key 0a1b…
   * // { "id": …, "speed": 3.2, … }
   */
  async printMessages(options: PrintOptions = {}): Promise<number> {
    const n = countOrInfinity("n", options.n, 10);
    const idle = countOrInfinity("idleTimeoutMs", options.idleTimeoutMs, 10_000);
    const print = options.print ?? ((line: string) => console.log(line));
    let printed = 0;
    while (printed < n) {
      const m = await this.next(idle);
      if (m === undefined) break;
      print(formatMessage(m));
      printed++;
    }
    return printed;
  }

  /**
   * Commits the offsets of the messages handed out so far (named groups only): the group resumes
   * after them next time.
   *
   * @example
   * const sub = await subscribe({ topics: "events", group: "analytics" });
   * await sub.takeMessages({ n: 10 });
   * await sub.commit(); // the next member of "analytics" starts after these 10
   */
  async commit(): Promise<void> {
    if (this.ephemeralGroup) throw new OptionError("group", undefined, "commit needs a consumer group: subscribe with { group: \"my-group\" }");
    const offsets = [...this.positions.values()].map((p) => ({ topic: p.topic, partition: p.partition, offset: String(p.offset) }));
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets);
    } catch (e) {
      throw asKafkaError(e, this.config, offsets[0]?.topic);
    }
  }

  /** Stops fetching, leaves the group and disconnects; safe to call twice. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        for (const cleanup of this.cleanups.splice(0)) cleanup();
        this.wake(this.waiters);
        await this.consumer.disconnect().catch(() => {});
      })();
    }
    return this.closing;
  }
}

/** Validates the options of {@link subscribe} before any network call; OptionError names the option. */
function resolveSubscribeOptions(options: SubscribeOptions): { config: KafkaConfig; names: string[]; from: StartFrom; bufferSize: number } {
  const config = resolveConfig(options);
  const names = Array.isArray(options.topics) ? options.topics : [options.topics];
  if (names.length === 0) throw new OptionError("topics", options.topics, "at least one topic");
  const from = options.from ?? "earliest";
  if (from !== "earliest" && from !== "latest") throw new OptionError("from", from, '"earliest" or "latest"');
  if (options.group !== undefined && (typeof options.group !== "string" || options.group.trim() === "")) throw new OptionError("group", options.group, "a non-empty group id");
  if (options.autoCommit === true && options.group === undefined) throw new OptionError("autoCommit", true, "auto-commit needs a consumer group (group option)");
  const bufferSize = positiveInt("bufferSize", options.bufferSize, 1000);
  if (options.offset !== undefined && options.partition === undefined) throw new OptionError("offset", options.offset, "an offset needs a partition too (offsets are per partition)");
  if (options.partition !== undefined) {
    positiveInt("partition", options.partition, 0, 0);
    if (names.length !== 1) throw new OptionError("partition", options.partition, "reading one partition needs exactly one topic");
  }
  if (options.offset !== undefined) positiveInt("offset", options.offset, 0, 0);
  if (options.startOffsets !== undefined) {
    if (names.length !== 1 || options.partition !== undefined) throw new OptionError("startOffsets", options.startOffsets, "start offsets need exactly one topic and no partition option");
    for (const [p, off] of Object.entries(options.startOffsets)) { positiveInt("startOffsets partition", Number(p), 0, 0); positiveInt(`startOffsets[${p}]`, off, 0, 0); }
  }
  if (options.signal?.aborted) throw new OptionError("signal", "aborted", "the signal is already aborted");
  for (const name of names) topicName(name, config); // bad names fail before any network call
  return { config, names, from, bufferSize };
}

/**
 * The full names of the topics, each required to exist (a clear TOPIC_MISSING instead of an
 * auto-created empty topic), and, when `withLayout`, their partitions' offsets.
 */
async function topicLayouts(config: KafkaConfig, names: string[], withLayout: boolean): Promise<{ topics: string[]; layout: Map<string, { partition: number; low: number; high: number }[]> }> {
  const admin = await KafkaAdmin.connect(config);
  const topics: string[] = [];
  const layout = new Map<string, { partition: number; low: number; high: number }[]>();
  try {
    for (const name of names) {
      const t = await admin.requireTopic(name);
      topics.push(t);
      if (withLayout) layout.set(t, (await admin.describeTopic(t)).partitions);
    }
  } finally {
    await admin.close();
  }
  return { topics, layout };
}

/**
 * Subscribes to one or more topics and starts fetching. Throws TOPIC_MISSING for a topic that does
 * not exist (check the prefix), BROKER_UNREACHABLE when no broker answers.
 *
 * @example
 * const controller = new AbortController(); // controller.abort() stops it (e.g. from another cell)
 * const sub = await subscribe({ firstName: "John", lastName: "Doe", topics: ["locations", "accelerations"], signal: controller.signal });
 * for await (const m of sub) console.log(m.topic, m.offset, m.value);
 */
export async function subscribe(options: SubscribeOptions): Promise<KafkaSubscription> {
  const { config, names, from, bufferSize } = resolveSubscribeOptions(options);
  const starts = options.startOffsets;
  const { topics, layout } = await topicLayouts(config, names, from === "latest" || options.partition !== undefined || starts !== undefined);
  if (options.partition !== undefined) {
    const parts = layout.get(topics[0])!;
    if (!parts.some((p) => p.partition === options.partition)) throw new OptionError("partition", options.partition, `topic ${topics[0]} has partitions 0-${parts.length - 1}`);
  }

  const ephemeral = options.group === undefined;
  const group = options.group ?? `streamlab-${config.clientId}-${randomUUID()}`;
  const retry = retryWithin(config.retryBudgetMs);
  const consumer = createClient(config, retry.retries).consumer({
    groupId: group,
    allowAutoTopicCreation: false,
    // Idle fetches return after 1 s (kafkajs default 5 s): close() waits for the fetch in flight.
    maxWaitTimeInMs: 1000,
    // A crash ends the subscription with a KafkaError instead of restarting forever.
    retry: { ...retry, restartOnFailure: async () => false },
  });
  const only = options.partition;
  const startAt = options.offset;
  const filter = only === undefined ? undefined : (m: ConsumedMessage) => m.partition === only && (startAt === undefined || m.offset >= startAt);
  const sub = new KafkaSubscription(config, consumer, topics, group, ephemeral, options.parseJson ?? true, bufferSize, filter);
  consumer.on(consumer.events.CRASH, (ev) => sub.fail(ev.payload.error));
  consumer.on(consumer.events.END_BATCH_PROCESS, (ev) => sub.batchEnded(ev.payload.topic, ev.payload.partition, ev.payload.firstOffset, ev.payload.lastOffset));
  try {
    await consumer.connect();
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: from === "earliest" });
    // Known before the first fetch can end: batches from before the seeks below are told apart.
    if (starts !== undefined) for (const [p, offset] of Object.entries(starts)) sub.sought(topics[0], Number(p), offset);
    await consumer.run({ autoCommit: options.autoCommit === true, eachMessage: (p) => sub.deliver(p) });
    // Seeks apply when the partitions are assigned. "latest" without a group = the end as of now
    // (captured above), so nothing produced after subscribe() returns is missed.
    if (only !== undefined) {
      const topic = topics[0];
      const part = layout.get(topic)!.find((p) => p.partition === only)!;
      consumer.seek({ topic, partition: only, offset: String(startAt ?? (from === "latest" ? part.high : part.low)) });
      const others = layout.get(topic)!.map((p) => p.partition).filter((p) => p !== only);
      if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
    } else if (starts !== undefined) {
      const topic = topics[0];
      const parts = layout.get(topic)!.map((p) => p.partition);
      for (const p of parts) if (starts[p] !== undefined) consumer.seek({ topic, partition: p, offset: String(starts[p]) });
      const others = parts.filter((p) => starts[p] === undefined);
      if (options.onlyListed && others.length > 0) consumer.pause([{ topic, partitions: others }]);
      else if (from === "latest" && ephemeral) for (const p of layout.get(topic)!) if (starts[p.partition] === undefined) consumer.seek({ topic, partition: p.partition, offset: String(p.high) });
    } else if (from === "latest" && ephemeral) {
      for (const [topic, parts] of layout) for (const p of parts) consumer.seek({ topic, partition: p.partition, offset: String(p.high) });
    }
  } catch (e) {
    await sub.close();
    throw asKafkaError(e, config, topics.join(","));
  }
  const signal = options.signal;
  if (signal) {
    // Removed when the subscription closes: a long-lived signal (one AbortController for a whole
    // notebook) would otherwise keep every closed subscription, and its listener, alive.
    const onAbort = (): void => void sub.close();
    signal.addEventListener("abort", onAbort, { once: true });
    sub.onClose(() => signal.removeEventListener("abort", onAbort));
    // Aborted while connecting: the listener came too late to see it.
    if (signal.aborted) await sub.close();
  }
  return sub;
}
