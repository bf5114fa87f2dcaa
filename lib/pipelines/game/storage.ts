import fs from "node:fs";
import path from "node:path";
import pl from "nodejs-polars";
import { OptionError, SinkError, DataError } from "../../errors";
import { writeFileAtomicSync } from "../../files/atomic";
import { filterEvents } from "./flatten";

/** The tables the batch job stores, each the events of some types (`events` holds them all). */
export const EVENT_TABLES: Record<string, string[] | "all"> = {
  events: "all",
  purchases: ["purchase_sword", "purchase_item"],
  guild_joins: ["join_guild"],
};

/**
 * Writes the flat events to `dir/<table>.parquet`, one file per table of {@link EVENT_TABLES}
 * (each written to a temporary name, then renamed, so a reader never sees half a file: lib/files/atomic.ts).
 * Returns the paths written.
 *
 * @example
 * ```ts
 * storeEvents(frame, "results/game"); // results/game/{events,purchases,guild_joins}.parquet
 * ```
 */
export function storeEvents(frame: pl.DataFrame, dir: string): Record<string, string> {
  if (typeof dir !== "string" || dir.trim() === "") throw new OptionError("dir", dir, "expected a folder path such as results/game");
  const written: Record<string, string> = {};
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new SinkError(dir, `cannot create the folder: ${(e as Error).message}`, e);
  }
  for (const [table, types] of Object.entries(EVENT_TABLES)) {
    const rows = types === "all" ? frame : filterEvents(frame, types);
    const target = path.join(dir, `${table}.parquet`);
    writeFileAtomicSync(target, (p) => rows.writeParquet(p), { sync: false, explain: (e) => `cannot write parquet: ${(e as Error).message}` });
    written[table] = target;
  }
  return written;
}

/**
 * Answers a SQL question on the stored events with polars' SQL context; the tables are those of
 * {@link EVENT_TABLES} (`events`, `purchases`, `guild_joins`).
 *
 * @example
 * ```ts
 * queryEvents("results/game", "SELECT item, SUM(quantity) AS bought FROM purchases GROUP BY item ORDER BY item");
 * ```
 */
export function queryEvents(dir: string, sql: string): pl.DataFrame {
  const frames: Record<string, pl.DataFrame> = {};
  for (const table of Object.keys(EVENT_TABLES)) {
    const file = path.join(dir, `${table}.parquet`);
    if (!fs.existsSync(file)) throw new DataError("NO_DATA", file, "missing: run storeEvents(frame, dir) first to write the event tables.");
    frames[table] = pl.readParquet(file);
  }
  const ctx = pl.SQLContext(frames);
  try {
    return ctx.execute(sql, { eager: true });
  } catch (e) {
    throw new OptionError("sql", sql, `polars SQL could not run it (${(e as Error).message}); tables are ${Object.keys(EVENT_TABLES).join(", ")}`, e);
  }
}
