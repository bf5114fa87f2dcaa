import { OptionError } from "../errors";
import { TABLES, type Table } from "./types";

/** Options of `discoverDataset`. */
export interface DiscoverOptions {
  /** Which tables to look for. Default: both, `["locations", "accelerations"]`. */
  tables?: readonly Table[];
}

export interface ResolvedDiscoverOptions {
  tables: Table[];
}

export const DISCOVER_DEFAULTS: ResolvedDiscoverOptions = { tables: [...TABLES] };

/** Applies defaults and validates; throws OptionError (BAD_OPTION) naming the option. */
export function resolveDiscoverOptions(options: DiscoverOptions = {}): ResolvedDiscoverOptions {
  const tables = options.tables ?? DISCOVER_DEFAULTS.tables;
  if (!Array.isArray(tables) || tables.length === 0 || tables.some((t) => !TABLES.includes(t))) {
    throw new OptionError("tables", tables, `a non-empty list of ${TABLES.map((t) => `"${t}"`).join(", ")}`);
  }
  return { tables: [...new Set(tables)] };
}

export function checkRoot(root: unknown): string {
  if (typeof root !== "string" || root.trim() === "") throw new OptionError("root", root, "the path of a BDD-layout folder, e.g. \"data/bdd\"");
  return root;
}
