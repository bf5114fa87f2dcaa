import pl from "nodejs-polars";
import type { FlatEvent, GameEvent } from "./types";

/** A message that could not be parsed as a game event, kept with its reason (nothing is lost silently). */
export interface SkippedEvent {
  /** Where it came from, e.g. `events/0@17`. */
  at: string;
  reason: string;
}

/** Flattens one event: the nested headers become the `host`, `user_agent` and `accept` columns. */
export function flattenEvent(e: GameEvent): FlatEvent {
  return {
    event_type: e.event_type,
    timestamp: e.timestamp,
    user: e.user,
    host: e.headers?.Host ?? null,
    user_agent: e.headers?.["User-Agent"] ?? null,
    accept: e.headers?.Accept ?? null,
    item: e.item ?? null,
    quantity: e.quantity ?? null,
    color: e.color ?? null,
    guild: e.guild ?? null,
  };
}

function parseOne(value: string): GameEvent | string {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return "not JSON";
  }
  if (v === null || typeof v !== "object") return "not a JSON object";
  const e = v as Partial<GameEvent>;
  if (typeof e.event_type !== "string") return "no event_type";
  if (typeof e.timestamp !== "string" || Number.isNaN(Date.parse(e.timestamp))) return "no ISO timestamp";
  if (typeof e.user !== "string") return "no user";
  return e as GameEvent;
}

/** The flat events table's columns, typed (a frame of zero events has them too). */
export function eventsFrame(rows: FlatEvent[]): pl.DataFrame {
  return pl.DataFrame({
    event_type: pl.Series("event_type", rows.map((r) => r.event_type), pl.Utf8),
    timestamp: pl.Series("timestamp", rows.map((r) => new Date(r.timestamp)), pl.Datetime("ms")),
    user: pl.Series("user", rows.map((r) => r.user), pl.Utf8),
    host: pl.Series("host", rows.map((r) => r.host), pl.Utf8),
    user_agent: pl.Series("user_agent", rows.map((r) => r.user_agent), pl.Utf8),
    accept: pl.Series("accept", rows.map((r) => r.accept), pl.Utf8),
    item: pl.Series("item", rows.map((r) => r.item), pl.Utf8),
    quantity: pl.Series("quantity", rows.map((r) => r.quantity), pl.Int64),
    color: pl.Series("color", rows.map((r) => r.color), pl.Utf8),
    guild: pl.Series("guild", rows.map((r) => r.guild), pl.Utf8),
  });
}

/**
 * Parses raw event messages (JSON strings) into the flat events table; a message that is not a
 * game event is skipped and reported with where it was and why.
 *
 * @example
 * ```ts
 * const { frame, skipped } = parseEvents([{ at: "events/0@0", value: '{"event_type":"default",…}' }]);
 * ```
 */
export function parseEvents(messages: Array<{ at: string; value: string | null }>): { frame: pl.DataFrame; skipped: SkippedEvent[] } {
  const rows: FlatEvent[] = [];
  const skipped: SkippedEvent[] = [];
  for (const m of messages) {
    const parsed = m.value === null ? "empty message" : parseOne(m.value);
    if (typeof parsed === "string") skipped.push({ at: m.at, reason: parsed });
    else rows.push(flattenEvent(parsed));
  }
  return { frame: eventsFrame(rows), skipped };
}

/** The rows of the given event types (the course's "filter by event type"). */
export function filterEvents(frame: pl.DataFrame, eventTypes: string[]): pl.DataFrame {
  return frame.filter(pl.col("event_type").isIn(eventTypes));
}
