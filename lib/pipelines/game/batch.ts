import type pl from "nodejs-polars";
import { readTopicMessages, type KafkaOptions } from "../../kafka";
import { parseEvents, type SkippedEvent } from "./flatten";

/**
 * The batch read: all of a topic's events, earliest to latest offset as of now (the course's
 * `kafkacat -C -t events -o beginning -e`), parsed and flattened into a table. Messages that are not
 * game events are returned in `skipped`, with their partition@offset and the reason.
 *
 * @example
 * ```ts
 * const { frame, skipped } = await readEvents("events");
 * filterEvents(frame, ["purchase_sword", "purchase_item"]);
 * ```
 */
export async function readEvents(topic = "events", kafka: KafkaOptions = {}): Promise<{ frame: pl.DataFrame; skipped: SkippedEvent[] }> {
  const messages = await readTopicMessages(topic, { ...kafka, parseJson: false });
  return parseEvents(messages.map((m) => ({ at: `${m.topic}/${m.partition}@${m.offset}`, value: m.raw })));
}
