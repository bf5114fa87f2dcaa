/** The request headers the course logs with every event (Flask's `request.headers`, trimmed). */
export interface LoggedHeaders {
  Host: string | null;
  "User-Agent": string | null;
  Accept: string | null;
}

/** The event types the game API logs; purchases carry an item, guild joins a guild. */
export type GameEventType = "default" | "purchase_sword" | "purchase_item" | "join_guild" | "view_inventory";

/** One request as logged to the `events` topic (a JSON value, keyed by `user`). */
export interface GameEvent {
  event_type: GameEventType;
  /** When the API accepted the request (ISO-8601, UTC). */
  timestamp: string;
  user: string;
  headers: LoggedHeaders;
  /** Purchases: what, how many, which colour. */
  item?: string;
  quantity?: number;
  color?: string;
  /** Guild joins: the guild joined. */
  guild?: string;
}

/** One player's state, changed by purchases and guild joins. */
export interface PlayerState {
  user: string;
  /** Item → quantity owned. */
  inventory: Record<string, number>;
  guild: string | null;
}

/** Where accepted events go: Kafka in a run, memory in unit tests. */
export interface EventLog {
  /** Resolves once the event is durable (Kafka acknowledged); rejects otherwise. */
  append(event: GameEvent): Promise<void>;
  close(): Promise<void>;
}

/** A flat event row, as stored in parquet and queried with SQL (headers as columns). */
export interface FlatEvent {
  event_type: string;
  timestamp: string;
  user: string;
  host: string | null;
  user_agent: string | null;
  accept: string | null;
  item: string | null;
  quantity: number | null;
  color: string | null;
  guild: string | null;
}
