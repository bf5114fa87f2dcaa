/** Finds the `{accelerations,locations}/t=SSS.S/*.parquet` partitions under a root folder. */
import { promises as fs } from "node:fs";
import path from "node:path";
import { DataError } from "../errors";
import { checkRoot, resolveDiscoverOptions, type DiscoverOptions } from "./options";
import { PARTITION_FORM, parsePartitionName } from "./partition-name";
import { TABLES, type DatasetScan, type Partition, type Skipped, type Table } from "./types";

const LAYOUT = "<root>/{locations,accelerations}/t=<seconds>/<uuid>.parquet";

async function statOrUndefined(p: string) {
  try {
    return await fs.stat(p);
  } catch {
    return undefined;
  }
}

async function listEntries(dir: string): Promise<{ name: string; full: string; isDir: boolean }[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const out = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    // Follow symlinks: a linked partition or file counts as what it points to.
    const isDir = e.isSymbolicLink() ? (await statOrUndefined(full))?.isDirectory() ?? false : e.isDirectory();
    out.push({ name: e.name, full, isDir });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function stray(full: string, reason: string): Skipped {
  return { path: full, code: "STRAY_FILE", reason: `${full}: ${reason}` };
}

async function scanTable(table: Table, tableDir: string, skipped: Skipped[]): Promise<Partition[]> {
  const partitions: Partition[] = [];
  for (const entry of await listEntries(tableDir)) {
    if (!entry.isDir) {
      skipped.push(stray(entry.full, `not a partition folder (expected ${PARTITION_FORM}); ignored`));
      continue;
    }
    const time = parsePartitionName(entry.name);
    if (time === undefined) {
      skipped.push({ path: entry.full, code: "BAD_PARTITION", reason: `${entry.full}: partition folder name "${entry.name}" is not of the form ${PARTITION_FORM}; its files are ignored. Rename it to read it.` });
      continue;
    }
    const files: string[] = [];
    for (const f of await listEntries(entry.full)) {
      if (f.isDir) skipped.push(stray(f.full, "a folder inside a partition; only .parquet files are read"));
      else if (!f.name.endsWith(".parquet") || f.name.startsWith(".")) skipped.push(stray(f.full, "not a .parquet file; ignored"));
      else files.push(f.full);
    }
    partitions.push({ table, name: entry.name, time, dir: entry.full, files });
  }
  return partitions.sort((a, b) => a.time - b.time || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Finds the partitions of a BDD-layout dataset, in time order, per table.
 *
 * Folders whose name is not `t=<number>` (BAD_PARTITION) and files that are not `.parquet`
 * (STRAY_FILE: `_SUCCESS`, `*.crc`, `.DS_Store`, ...) are skipped and listed in `scan.skipped`.
 * Throws DataError `NO_DATA` when the root is missing or holds none of the requested table folders.
 *
 * @param root folder holding `locations/` and/or `accelerations/`
 * @param options.tables which tables to look for (default both)
 * @example
 * const scan = await discoverDataset("data/bdd");
 * scan.partitions.locations.map((p) => p.name); // ["t=000.0", "t=003.4", ...]
 * scan.skipped; // [{ path: ".../_SUCCESS", code: "STRAY_FILE", reason: "..." }]
 */
export async function discoverDataset(root: string, options: DiscoverOptions = {}): Promise<DatasetScan> {
  const { tables } = resolveDiscoverOptions(options);
  const abs = path.resolve(checkRoot(root));
  const rootStat = await statOrUndefined(abs);
  if (!rootStat?.isDirectory()) {
    throw new DataError("NO_DATA", abs, `${rootStat ? "is not a folder" : "does not exist"}. Expected a dataset laid out as ${LAYOUT}; run "npx streamlab generate --out ${root}" to make one.`);
  }
  const partitions = Object.fromEntries(TABLES.map((t) => [t, [] as Partition[]])) as Record<Table, Partition[]>;
  const skipped: Skipped[] = [];
  let found = 0;
  for (const table of tables) {
    const tableDir = path.join(abs, table);
    if (!(await statOrUndefined(tableDir))?.isDirectory()) continue;
    found++;
    partitions[table] = await scanTable(table, tableDir, skipped);
  }
  if (found === 0) {
    throw new DataError("NO_DATA", abs, `has no ${tables.join(" or ")} folder. Expected a dataset laid out as ${LAYOUT}; check the path or run "npx streamlab generate --out ${root}".`, { context: { tables } });
  }
  return { root: abs, partitions, skipped };
}
