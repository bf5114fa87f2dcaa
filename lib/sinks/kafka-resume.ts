/**
 * Resuming the replay's Kafka sink: which messages of the release in flight when a run died did
 * reach Kafka. Kafka's idempotent producer only deduplicates retries within one producer session,
 * so after a crash the sink compares instead: the progress log holds, per topic partition, the
 * next offset after the last release every sink acknowledged; whatever a partition holds beyond it
 * landed after that release, from the one in flight. When that release is sent again, its
 * messages already there (same key, same value) are left out; the rest go out, after them.
 */
import { KafkaError } from "../errors";
import type { OutgoingMessage } from "../kafka/types";

/** The sink's checkpoint: next offset per partition, per topic (JSON object keys are strings). */
export interface KafkaSinkState {
  offsets: Record<string, Record<string, number>>;
}

export function isKafkaSinkState(v: unknown): v is KafkaSinkState {
  if (typeof v !== "object" || v === null) return false;
  const offsets = (v as { offsets?: unknown }).offsets;
  return (
    typeof offsets === "object" &&
    offsets !== null &&
    Object.values(offsets).every((p) => typeof p === "object" && p !== null && Object.values(p).every((n) => Number.isInteger(n) && (n as number) >= 0))
  );
}

/** For each partition of a topic, the offsets beyond the recorded ones: `[from, to)` to read back. */
export function landedRanges(topic: string, recorded: Record<string, number> | undefined, ends: ReadonlyMap<number, number>): { partition: number; from: number; to: number }[] {
  if (recorded === undefined) return [];
  const had = Object.keys(recorded).length;
  if (had !== ends.size) {
    throw new KafkaError("KAFKA", `Topic ${topic} has ${ends.size} partitions, the interrupted replay wrote to ${had}: a resume would route keys elsewhere. Start a fresh replay without --resume.`, { context: { topic } });
  }
  const ranges: { partition: number; from: number; to: number }[] = [];
  for (const [partition, end] of ends) {
    const from = recorded[String(partition)];
    if (from === undefined) throw new KafkaError("KAFKA", `Topic ${topic} has a partition ${partition} the interrupted replay did not know: start a fresh replay without --resume.`, { context: { topic, partition } });
    if (end < from) {
      throw new KafkaError(
        "KAFKA",
        `Topic ${topic} partition ${partition} ends at offset ${end}, but the interrupted replay had messages acknowledged up to offset ${from}: the topic was deleted or emptied since. Start a fresh replay without --resume.`,
        { context: { topic, partition } },
      );
    }
    if (end > from) ranges.push({ partition, from, to: end });
  }
  return ranges;
}

const keyOf = (m: { key: string | null; value: string | null }): string => `${m.key ?? ""}\u0000${m.value ?? ""}`;

/**
 * The messages that landed beyond the recorded offsets, per topic, as a multiset: `take()` removes
 * from a batch the ones already there. It applies to the first due moment written after the
 * resume only (the release in flight at the crash); anything left over then was written by
 * someone else and is forgotten.
 *
 * @example
 * const landed = new LandedMessages();
 * landed.add("DoeJohn-locations", [{ key: "a", value: "{…}" }]);
 * landed.take("DoeJohn-locations", 52.5, messages); // messages without the one already in Kafka
 */
export class LandedMessages {
  private readonly bags = new Map<string, Map<string, number>>();
  private due: number | undefined;
  /** Messages left out because Kafka already had them. */
  skipped = 0;

  get size(): number {
    let n = 0;
    for (const bag of this.bags.values()) for (const c of bag.values()) n += c;
    return n;
  }

  add(topic: string, messages: readonly { key: string | null; value: string | null }[]): void {
    let bag = this.bags.get(topic);
    if (bag === undefined) this.bags.set(topic, (bag = new Map()));
    for (const m of messages) bag.set(keyOf(m), (bag.get(keyOf(m)) ?? 0) + 1);
  }

  /** `messages` of a batch due at `dueOffset`, without those already in `topic`. */
  take<M extends OutgoingMessage>(topic: string, dueOffset: number, messages: M[]): M[] {
    if (this.bags.size === 0) return messages;
    this.due ??= dueOffset;
    if (dueOffset !== this.due) {
      this.bags.clear(); // past the release in flight at the crash
      return messages;
    }
    const bag = this.bags.get(topic);
    if (bag === undefined) return messages;
    return messages.filter((m) => {
      const k = keyOf(m);
      const n = bag.get(k) ?? 0;
      if (n === 0) return true;
      if (n === 1) bag.delete(k);
      else bag.set(k, n - 1);
      this.skipped++;
      return false;
    });
  }
}
