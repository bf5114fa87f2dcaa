/**
 * The one frame → Kafka writer, used by the replay's Kafka sink, the engine's `kafkaSink` and
 * `KafkaProducer.sendFrame`: the rows of polars frames become messages (the value the row as JSON,
 * the key a column's value: messages.ts) and go to one topic through a {@link KafkaProducer}, which
 * routes them by key, chunks them under the broker's request limit (`REQUEST_BYTES`) and reports each
 * delivery. A fix to keys, JSON encoding or chunking is made once, here or below.
 */
import pl from "nodejs-polars";
import { frameToMessages, type FrameToMessagesOptions } from "./messages";
import type { KafkaProducer, TransactionMarker } from "./producer";
import type { DeliveryReport, OutgoingMessage } from "./types";

/** Options of {@link writeFrames}: the encoding (`keyField`, `timestampField`) and how the send goes. */
export interface FrameWriteOptions extends FrameToMessagesOptions {
  /**
   * Leaves out messages that need not go again (the replay's resume drops those of the release in
   * flight that already reached Kafka). Runs before `slot`, which is not taken when nothing is left.
   */
  unsent?: (messages: OutgoingMessage[]) => OutgoingMessage[];
  /** Waits for a turn to send and returns the function that gives it back (the replay bounds the batches in flight). */
  slot?: () => Promise<() => void>;
  /**
   * Sends in one Kafka transaction that also commits `marker` (a group offset: the writer's record of
   * what it wrote), on a producer connected with a `transactionalId`; `beforeCommit` runs just before
   * the commit (fault injection in tests).
   */
  transaction?: { marker: TransactionMarker; beforeCommit?: () => void };
  /** Stops a plain send before it starts (`ABORTED`). */
  signal?: AbortSignal;
}

/**
 * The rows of `frames` as messages, in order, JSON-encoded in one native call: several frames are
 * concatenated first (columns matched by name; a column one frame lacks is null there), and empty ones
 * skipped. A single frame is encoded as it is, so a `keyField` it lacks is an error even when empty.
 *
 * @throws OptionError (`keyField` / `timestampField`) naming the frame's columns when the column is missing
 * @example
 * framesToMessages([first, second], { keyField: "uuid" });
 * // [{ key: "0a1b…", value: '{"uuid":"0a1b…","timestamp":"2026-11-20T10:00:00.000Z","speed":8.1}' }, …]
 */
export function framesToMessages(frames: pl.DataFrame | readonly pl.DataFrame[], options: FrameToMessagesOptions = {}): OutgoingMessage[] {
  const all: readonly pl.DataFrame[] = Array.isArray(frames) ? frames : [frames as pl.DataFrame];
  const rows = all.length === 1 ? all : all.filter((f) => f.height > 0);
  if (rows.length === 0) return [];
  // One frame, so one bulk JSON write (a polars call per frame would cost more than the send).
  return frameToMessages(rows.length === 1 ? rows[0] : pl.concat([...rows], { how: "diagonalRelaxed" }), options);
}

/**
 * Writes the rows of `frames` to `topic` (see {@link framesToMessages}) and resolves with one delivery
 * report per message once the broker acknowledged all of them (or, with `transaction`, once the
 * transaction committed; it sends all or nothing). With no message left it resolves `[]` without taking a `slot`.
 *
 * @example
 * const reports = await writeFrames(producer, "DoeJane-windowed", frame, { keyField: "ride_id" });
 * reports[0]; // { topic: "DoeJane-windowed", partition: 2, offset: 17, key: "ride-7" }
 */
export async function writeFrames(
  producer: Pick<KafkaProducer, "send" | "sendTransaction">,
  topic: string,
  frames: pl.DataFrame | readonly pl.DataFrame[],
  options: FrameWriteOptions = {},
): Promise<DeliveryReport[]> {
  const { unsent, slot, transaction, signal, ...encoding } = options;
  return writeMessages(producer, topic, framesToMessages(frames, encoding), { unsent, slot, transaction, signal });
}

/**
 * The sending half of {@link writeFrames}, for messages encoded ahead (the replay's Kafka sink
 * encodes a batch while it waits for the batch's due moment).
 */
export async function writeMessages(
  producer: Pick<KafkaProducer, "send" | "sendTransaction">,
  topic: string,
  built: OutgoingMessage[],
  options: Omit<FrameWriteOptions, keyof FrameToMessagesOptions> = {},
): Promise<DeliveryReport[]> {
  const { unsent, slot, transaction, signal } = options;
  const messages = unsent === undefined ? built : unsent(built);
  // Nothing left: no turn taken (the producer resolves [] at once; a transaction still commits its marker).
  const release = messages.length === 0 ? undefined : await slot?.();
  try {
    if (transaction === undefined) return await producer.send(topic, messages, signal);
    return await producer.sendTransaction(topic, messages, transaction.marker, transaction.beforeCommit);
  } finally {
    release?.();
  }
}
