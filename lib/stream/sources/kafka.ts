import pl from "nodejs-polars";
import { KafkaError, isStreamlabError } from "../../errors";
import type { Skipped } from "../../dataset/types";
import { describeTopic } from "../../kafka/admin";
import { kafkaConfig } from "../../kafka/config";
import { subscribe, type KafkaSubscription } from "../../kafka/consumer";
import { KafkaProducer } from "../../kafka/producer";
import { ISO, ISO_FORMAT, MESSAGE_COLUMNS, messagesToFrame, readJsonObjects } from "../../kafka/frame";
import { readRanges, type OffsetRanges } from "../../kafka/read";
import { sleepFor } from "../../replay/clock";
import type { ConsumedMessage, KafkaConfig } from "../../kafka/types";
import type { Replayable, SourceChunk, StreamSource } from "../types";
import { resolveKafkaSourceOptions, type KafkaSourceOptions } from "./options";

/** In once mode: give up when nothing arrives for this long while messages are still due. */
const ONCE_IDLE_LIMIT_MS = 30_000;
/** How often a missing topic is looked up again. */
const MISSING_RETRY_MS = 1_000;
/**
 * Outside once mode: after a fetched batch, wait this long for the next before handing the chunk
 * over; any longer only adds to every row's latency (the end-to-end latency bench, section 4).
 */
const LINGER_MS = 5;

/**
 * JSON message values → the rows they hold, with the configured ISO-8601 fields as
 * Datetime("ms"). Values that are not JSON objects are skipped (reported by the caller).
 */
export function messagesToRows(messages: ConsumedMessage[], timestampFields: string[]): pl.DataFrame {
  // messagesToFrame prefixes value fields that clash with message metadata (offset, timestamp…).
  const frame = messagesToFrame(messages).drop(...MESSAGE_COLUMNS);
  const renames: Record<string, string> = {};
  for (const c of MESSAGE_COLUMNS) if (frame.columns.includes(`value.${c}`)) renames[`value.${c}`] = c;
  let rows = Object.keys(renames).length > 0 ? frame.rename(renames) : frame;
  for (const f of timestampFields) {
    const col = rows.columns.includes(f) ? rows.getColumn(f) : undefined;
    // A chunk where the field is null in every row comes back as text: give it its real type.
    if (col !== undefined && col.dtype.variant !== "Datetime") rows = rows.withColumn(pl.col(f).cast(pl.Utf8).str.strptime(pl.Datetime("ms"), "%Y-%m-%dT%H:%M:%S%.fZ").alias(f));
  }
  return rows;
}


/**
 * The fast path of {@link messagesToRows}: raw JSON object values, newline-joined and read by polars
 * as NDJSON in one native call (5× faster than JSON.parse per message plus building columns in
 * JavaScript, on 200,000 BDD rows). Gives the same frame as the per-message path, or null when it
 * cannot promise that (a value that is not one line starting with `{`, a nested object, another
 * field holding ISO-8601 text, anything polars refuses): the caller then takes that path.
 * `cache` keeps the cast expressions across calls (nodejs-polars expressions are costly to build).
 */
export function valuesToRows(raws: (string | null)[], timestampFields: string[], cache = new Map<string, pl.Expr>()): pl.DataFrame | null {
  const frame = readJsonObjects(raws, 100);
  if (frame === null) return null;
  const columns = frame.columns;
  const dtypes = frame.dtypes;
  const casts: pl.Expr[] = [];
  for (let i = 0; i < columns.length; i++) {
    const name = columns[i], v = dtypes[i].variant;
    if (v === "Struct" || v === "List") return null;
    const cached = (build: () => pl.Expr): pl.Expr => {
      const key = `${v}:${name}`;
      let e = cache.get(key);
      if (e === undefined) cache.set(key, (e = build()));
      return e;
    };
    if (timestampFields.includes(name)) {
      if (v === "String") casts.push(cached(() => pl.col(name).str.strptime(pl.Datetime("ms"), ISO_FORMAT).cast(pl.Datetime("ms")).alias(name)));
      else if (v === "Null") casts.push(cached(() => pl.col(name).cast(pl.Datetime("ms"))));
      else return null;
    } else if (v === "Int64") casts.push(cached(() => pl.col(name).cast(pl.Float64)));
    else if (v === "Null") casts.push(cached(() => pl.col(name).cast(pl.Utf8)));
    else if (v === "String") {
      // The per-message path turns a field that is ISO-8601 in every row into a Datetime.
      const first = frame.getColumn(name).dropNulls().head(1).toArray()[0];
      if (typeof first === "string" && ISO.test(first)) return null;
    }
  }
  try {
    return casts.length === 0 ? frame : frame.withColumns(...casts);
  } catch {
    return null;
  }
}

/** What a Kafka chunk read, for a checkpoint's offsets log: per partition, offsets [from, until). */
export interface KafkaOrigin {
  topic: string;
  ranges: Record<string, [number, number]>;
}

/** The offset ranges of a poll's messages (each partition's are contiguous in what the consumer hands out). */
function originOf(topic: string, messages: ConsumedMessage[]): KafkaOrigin {
  const ranges: Record<string, [number, number]> = {};
  for (const m of messages) {
    const r = ranges[m.partition];
    if (r === undefined) ranges[m.partition] = [m.offset, m.offset + 1];
    else { r[0] = Math.min(r[0], m.offset); r[1] = Math.max(r[1], m.offset + 1); }
  }
  return { topic, ranges };
}

/** A Kafka source that also reports how far it has read. */
export interface KafkaStreamSource extends StreamSource {
  readonly topic: string;
  /** Messages read so far. */
  messagesRead(): number;
}

/**
 * A topic written by the replay (JSON values keyed by uuid), as a query input. It reads from the
 * earliest offset with its own consumer group and commits nothing, so every run sees the whole topic;
 * a checkpointed query (`checkpointLocation`) logs each micro-batch's offset ranges instead and
 * resumes after the last one (it can read them again to re-run a batch). Transactional topics (a
 * checkpointed query's Kafka output) are read committed.
 * ISO-8601 `timestamp` values come back as polars Datetime("ms"). In `once` mode it captures the
 * topic's high watermarks on the first poll, reads up to them, then is exhausted. Kafka carries no
 * partition time: each poll is one chunk. A missing topic is not an error while the query runs (the
 * replay may not have created it yet); `skipped()` reports it as `NO_DATA` until it appears.
 *
 * @param options.topic the full topic name, e.g. `DoeJane-locations`
 * @param options.bootstrap `host:port[,…]`; default env KAFKA_BOOTSTRAP_SERVERS, else localhost:9092
 * @param options.once bounded mode: read up to the end as of the first poll
 * @param options.maxOffsetsPerTrigger most messages per poll (micro-batch); default 50,000
 * @param options.deadLetter where bad messages go (a value that is not a JSON object, or without the
 *   event-time field), with the reason: default `<prefix>-dead-letter`; `false` only reports them
 *   in `skipped()`. Nothing stops the query.
 * @example
 * const locations = kafkaSource({ topic: "DoeJane-locations", once: true });
 * const chunks = await locations.poll(); // [{ frame }] with uuid, timestamp (Datetime), speed, …
 * await locations.close();
 */
export function kafkaSource(options: KafkaSourceOptions): KafkaStreamSource {
  const o = resolveKafkaSourceOptions(options);
  const timestampExprs = new Map<string, pl.Expr>();
  const config: KafkaConfig = kafkaConfig({ bootstrap: o.bootstrap, clientId: "streamlab-query", retryBudgetMs: o.retryBudgetMs });
  const skips: Skipped[] = [];
  let missing: string | undefined;
  let sub: KafkaSubscription | undefined;
  /** once mode: per partition, the offset where reading stops (high watermark at start). */
  let due: Map<number, number> | undefined;
  let done = false;
  let closed = false;
  let read = 0;
  let lastAttempt = 0;
  let producer: KafkaProducer | undefined;
  /** Checkpoint restart: per partition, the offset after the last batch logged. */
  let startOffsets: Record<number, number> | undefined;
  /** When the broker stopped answering (the consumer gave up), while it has not come back. */
  let outageSince: number | undefined;
  /** The continuous trigger: hand over each fetched batch at once (see `poll`). */
  let lowLatency = false;

  /** Carries on from `offsets` (per partition, the next to read) when the subscription starts (again). */
  function resumeAt(offsets: Record<number, number>): void {
    for (const [p, next] of Object.entries(offsets)) {
      startOffsets ??= {};
      startOffsets[Number(p)] = Math.max(startOffsets[Number(p)] ?? 0, next);
    }
  }

  /**
   * The broker stopped answering for longer than the consumer's own retries: drop the subscription
   * and subscribe again after what was handed out, until `retryBudgetMs` has passed since it went.
   */
  async function rideOut(e: unknown): Promise<void> {
    outageSince ??= Date.now();
    if (sub !== undefined) {
      resumeAt(sub.handedOffsets(o.topic));
      await sub.close();
      sub = undefined;
    }
    if (Date.now() - outageSince > config.retryBudgetMs) throw e;
  }

  async function connect(): Promise<boolean> {
    // While the topic is missing, ask the broker again at most once per second, not on every poll.
    if (missing !== undefined && Date.now() - lastAttempt < MISSING_RETRY_MS) return false;
    lastAttempt = Date.now();
    try {
      if (o.once && due === undefined) {
        const d = await describeTopic(o.topic, config);
        due = new Map(d.partitions.filter((p) => Math.max(p.low, startOffsets?.[p.partition] ?? 0) < p.high).map((p) => [p.partition, p.high]));
        if (due.size === 0) {
          done = true;
          return false;
        }
      }
      // Raw values: the poll parses them in bulk (valuesToRows), JSON.parse only on the fallback path.
      sub = await subscribe({ ...config, topics: [o.topic], from: "earliest", ...(o.groupId === undefined ? {} : { group: o.groupId }), ...(startOffsets === undefined ? {} : { startOffsets }), bufferSize: 10_000, parseJson: false });
      missing = undefined;
      outageSince = undefined;
      return true;
    } catch (e) {
      if (outageSince !== undefined && isStreamlabError(e, "BROKER_UNREACHABLE")) {
        await rideOut(e); // still gone: try again on a later poll, until the budget is spent
        return false;
      }
      if (isStreamlabError(e, "TOPIC_MISSING")) {
        missing = e.message;
        if (o.once) done = true;
        return false;
      }
      throw e;
    }
  }

  function keep(m: ConsumedMessage): boolean {
    if (due === undefined) return true;
    const end = due.get(m.partition);
    return end !== undefined && m.offset < end;
  }

  /** once mode: drops the partitions read to their captured end; true when none is left. */
  function readToEnd(s: KafkaSubscription): boolean {
    for (const [p, end] of due!) if (s.readPast(o.topic, p, end)) due!.delete(p);
    return due!.size === 0;
  }

  async function poll(signal?: AbortSignal): Promise<SourceChunk[]> {
    if (closed || done) return [];
    if (sub === undefined && !(await connect())) {
      if (outageSince !== undefined) await sleepFor(MISSING_RETRY_MS, signal); // the broker is still away
      return [];
    }
    const s = sub!;
    const messages: ConsumedMessage[] = [];
    // The subscription wakes a reader once per fetched batch, so a drain takes a whole batch; once
    // mode reads on until the captured end, otherwise a chunk lingers briefly for more.
    const started = Date.now();
    let wait = o.once ? ONCE_IDLE_LIMIT_MS : o.pollTimeoutMs;
    const atEnd = o.once ? () => readToEnd(s) : undefined;
    while (messages.length < o.maxOffsetsPerTrigger && !signal?.aborted) {
      if (atEnd?.()) break;
      if (!o.once && messages.length > 0 && Date.now() - started > o.pollTimeoutMs) break;
      let got: ConsumedMessage[];
      try {
        got = await s.drain(o.maxOffsetsPerTrigger - messages.length, wait, atEnd);
        if (got.length === 0 && lowLatency && messages.length > 0) {
          // The buffer ran dry: one turn of the event loop lets kafkajs deliver the rest of a batch it
          // fetched (its message handler runs in microtasks); after that the chunk goes at once.
          await new Promise<void>((resolve) => setImmediate(resolve));
          got = await s.drain(o.maxOffsetsPerTrigger - messages.length, 0, atEnd);
        }
      } catch (e) {
        if (!isStreamlabError(e, "BROKER_UNREACHABLE") || signal?.aborted) throw e;
        await rideOut(e); // what arrived before is returned; the next poll subscribes again
        break;
      }
      if (got.length === 0) {
        if (o.once && !s.closed && due!.size > 0 && sub !== undefined) {
          const left = [...due!].map(([p, end]) => `partition ${p} up to offset ${end - 1}`).join(", ");
          throw new KafkaError("KAFKA", `Reading ${o.topic} on ${config.bootstrap}: nothing arrived for ${wait} ms while ${left} were still due; is the broker overloaded or the topic truncated?`, { retriable: true, context: { broker: config.bootstrap, topic: o.topic } });
        }
        break;
      }
      for (const m of got) if (keep(m)) messages.push(m);
      if (!o.once) wait = lowLatency ? 0 : LINGER_MS;
    }
    if (o.once && sub !== undefined && readToEnd(s)) {
      done = true;
      await s.close();
    }
    read += messages.length;
    if (messages.length === 0) return [];
    // Partition then offset: a re-run of the batch (read back by its offsets) sees the same rows in the same order.
    messages.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    const chunks = await toRows(messages, true);
    return chunks.map((c) => ({ ...c, origin: originOf(o.topic, messages) }));
  }

  /** Messages → the rows of one chunk; bad messages are skipped (and dead-lettered the first time, not on a re-run). */
  async function toRows(messages: ConsumedMessage[], firstTime: boolean): Promise<SourceChunk[]> {
    const bad: { m: ConsumedMessage; reason: string }[] = [];
    let frame = valuesToRows(messages.map((m) => m.raw), o.timestampFields, timestampExprs);
    let rows = messages;
    if (frame === null) {
      rows = [];
      const good: ConsumedMessage[] = [];
      for (const m of messages) {
        let value: unknown = null;
        try { value = m.raw === null ? null : JSON.parse(m.raw); } catch { /* not JSON: dead-lettered below */ }
        if (value !== null && typeof value === "object" && !Array.isArray(value)) { good.push({ ...m, value }); rows.push(m); }
        else bad.push({ m, reason: `message value is not a JSON object (${String(m.raw).slice(0, 60)})` });
      }
      frame = good.length === 0 ? null : messagesToRows(good, o.timestampFields);
    }
    // A row without its event time cannot be placed in time: it goes to the dead letters too.
    const field = o.timestampFields[0];
    if (frame !== null && field !== undefined) {
      const i = frame.columns.indexOf(field);
      const column = i < 0 ? null : frame.getColumn(field);
      // The per-row mask only when some row lacks it: the common poll pays one null count.
      if (column === null || column.nullCount() > 0) {
        const missing: boolean[] = column === null ? rows.map(() => true) : (column.isNull().toArray() as boolean[]);
        missing.forEach((miss, k) => { if (miss) bad.push({ m: rows[k], reason: `message value has no "${field}" (the event time) in ISO-8601, e.g. "2020-01-01T00:00:03.000Z"` }); });
        frame = i < 0 ? null : frame.filter(pl.col(field).isNotNull());
        rows = rows.filter((_, k) => !missing[k]);
      }
    }
    if (bad.length > 0) await deadLetter(bad, firstTime);
    if (frame === null || frame.height === 0) return [];
    // The continuous trigger measures each row's latency from its message's timestamp.
    return [lowLatency ? { frame, arrivalMs: rows.map((m) => m.timestamp.getTime()) } : { frame }];
  }

  /** Bad messages: reported by `skipped()`, and written with the reason to the dead-letter topic (unless disabled). */
  async function deadLetter(bad: { m: ConsumedMessage; reason: string }[], send: boolean): Promise<void> {
    for (const { m, reason } of bad) skips.push({ path: `${m.topic}[${m.partition}]@${m.offset}`, code: "KAFKA", reason: `${reason}; skipped${o.deadLetter === false ? "" : `, written to ${o.deadLetter}`}` });
    // A re-run batch's bad messages went to the dead letters when it first ran.
    if (o.deadLetter === false || !send) return;
    producer ??= await KafkaProducer.connect({ bootstrap: config.bootstrap, clientId: "streamlab-query", retryBudgetMs: config.retryBudgetMs, createTopics: true });
    await producer.send(o.deadLetter, bad.map(({ m, reason }) => ({
      key: m.key,
      value: JSON.stringify({ reason, topic: m.topic, partition: m.partition, offset: m.offset, value: m.raw }),
    })));
  }

  const rangesOf = (origins: unknown[]): KafkaOrigin[] => origins.map((x) => x as KafkaOrigin).filter((x) => x?.topic === o.topic && typeof x.ranges === "object");
  const replayable: Replayable = {
    id: `kafka:${o.topic}`,
    skip(origins) {
      for (const { ranges } of rangesOf(origins)) resumeAt(Object.fromEntries(Object.entries(ranges).map(([p, [, until]]) => [p, until])));
    },
    async reread(origins) {
      const due: OffsetRanges = new Map();
      for (const { ranges } of rangesOf(origins)) {
        for (const [p, [from, until]] of Object.entries(ranges)) {
          const r = due.get(Number(p));
          due.set(Number(p), r === undefined ? { start: from, end: until } : { start: Math.min(r.start, from), end: Math.max(r.end, until) });
        }
      }
      const d = await describeTopic(o.topic, config);
      for (const [p, r] of due) {
        const low = d.partitions.find((x) => x.partition === p)?.low ?? Infinity;
        if (r.start < low) throw new KafkaError("KAFKA", `${o.topic} partition ${p}: offsets ${r.start}–${r.end - 1}, the input of a logged micro-batch, are no longer on the topic (retention deleted them up to ${low}); the query cannot re-run that batch. Start over: delete the checkpoint folder and the query's output.`, { context: { topic: o.topic, broker: config.bootstrap } });
      }
      const messages = await readRanges(o.topic, due, { ...config, parseJson: false });
      return toRows(messages, false);
    },
  };

  return {
    name: o.name,
    topic: o.topic,
    spec: { kind: "kafka", topic: o.topic, bootstrap: config.bootstrap, maxOffsetsPerTrigger: o.maxOffsetsPerTrigger, timestampFields: o.timestampFields },
    replayable,
    poll,
    exhausted: () => closed || done,
    skipped: () => (missing === undefined ? [...skips] : [...skips, { path: o.topic, code: "NO_DATA", reason: missing }]),
    messagesRead: () => read,
    lowLatency() {
      lowLatency = true;
    },
    async close() {
      closed = true;
      await sub?.close();
      await producer?.close();
    },
  };
}
