import type { EventLog, GameEvent } from "./types";

/** An {@link EventLog} that keeps events in an array: for unit tests and offline demos. */
export function memoryEventLog(): EventLog & { events: GameEvent[] } {
  const events: GameEvent[] = [];
  return { events, append: async (e) => void events.push(e), close: async () => {} };
}
