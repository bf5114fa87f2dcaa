/**
 * Counts per topic for the notebooks' last cells: what the broker holds on each `<prefix>-<table>`
 * topic, next to what a replay published to it.
 */
import pl from "nodejs-polars";
import { TABLES, type Table } from "../dataset/types";
import { KafkaAdmin } from "../kafka/admin";
import type { KafkaOptions } from "../kafka/options";
import type { KafkaConfig } from "../kafka/types";
import type { ReplaySummary } from "../replay/types";

/** One row of {@link topicCounts}. */
export interface TopicCount {
  topic: string;
  partitions: number;
  /** Messages stored (high − low watermark over the partitions): what a read from earliest gets. */
  messages: number;
  /** Rows of this table the replay released (only with a summary). */
  replayed?: number;
  /** Messages Kafka acknowledged to the replay's sinks for this topic (only with a summary). */
  acknowledged?: number;
}

/**
 * Describes the `<prefix>-<table>` topics: one row per topic with `topic`, `partitions`, `messages`
 * and, given a replay summary, `replayed` (rows released) and `acknowledged` (messages Kafka
 * confirmed, from the Kafka sink's counters).
 *
 * @param options Kafka connection and prefix, e.g. `{ firstName: "John", lastName: "Doe" }`
 * @param summary what `replay()` returned (optional)
 * @throws KafkaError TOPIC_MISSING (check the prefix; run the producer first) or BROKER_UNREACHABLE
 * @example
 * const counts = await topicCounts({ firstName: "John", lastName: "Doe" }, summary);
 * console.log(formatTopicCounts(counts));
 * // DoeJohn-locations: 478 messages on 3 partitions (replayed 478, acknowledged 478)
 * // DoeJohn-accelerations: 23512 messages on 3 partitions (replayed 23512, acknowledged 23512)
 */
export async function topicCounts(options: KafkaOptions | KafkaConfig, summary?: ReplaySummary, tables: readonly Table[] = TABLES): Promise<TopicCount[]> {
  const admin = await KafkaAdmin.connect(options);
  try {
    const rows: TopicCount[] = [];
    for (const table of tables) {
      const d = await admin.describeTopic(table);
      const row: TopicCount = { topic: d.topic, partitions: d.partitions.length, messages: d.messages };
      if (summary) {
        row.replayed = summary.tables[table].rows;
        row.acknowledged = Object.values(summary.sinks).reduce((n, stats) => n + (stats[d.topic] ?? 0), 0);
      }
      rows.push(row);
    }
    return rows;
  } finally {
    await admin.close();
  }
}

/**
 * One line per topic, e.g. `DoeJohn-locations: 478 messages on 3 partitions (replayed 478, acknowledged 478)`.
 *
 * @example
 * console.log(formatTopicCounts(await topicCounts({ topicPrefix: "DoeJohn" })));
 */
export function formatTopicCounts(counts: readonly TopicCount[]): string {
  return counts
    .map((c) => {
      const extra = c.replayed === undefined ? "" : ` (replayed ${c.replayed}, acknowledged ${c.acknowledged ?? 0})`;
      return `${c.topic}: ${c.messages} messages on ${c.partitions} partitions${extra}`;
    })
    .join("\n");
}

/**
 * The counts as a polars DataFrame (a table in the notebook).
 *
 * @example
 * topicCountsFrame(await topicCounts({ topicPrefix: "DoeJohn" }));
 * // shape: (2, 3)  topic │ partitions │ messages
 */
export function topicCountsFrame(counts: readonly TopicCount[]): pl.DataFrame {
  const columns: Record<string, pl.Series> = {
    topic: pl.Series("topic", counts.map((c) => c.topic), pl.Utf8),
    partitions: pl.Series("partitions", counts.map((c) => c.partitions), pl.Int64),
    messages: pl.Series("messages", counts.map((c) => c.messages), pl.Int64),
  };
  if (counts.some((c) => c.replayed !== undefined)) {
    columns.replayed = pl.Series("replayed", counts.map((c) => c.replayed ?? null), pl.Int64);
    columns.acknowledged = pl.Series("acknowledged", counts.map((c) => c.acknowledged ?? null), pl.Int64);
  }
  return pl.DataFrame(columns);
}
