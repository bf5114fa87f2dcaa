/** Writes a synthetic BDD-layout dataset, partition by partition (memory bounded by one partition). */
import { promises as fs, statSync } from "node:fs";
import path from "node:path";
import { AbortedError, isStreamlabError, OptionError, SinkError } from "../errors";
import { formatPartitionName } from "../dataset/partition-name";
import type { Table } from "../dataset/types";
import type pl from "nodejs-polars";
import { accelerationsFrame, locationsFrame, type RideRows } from "./frames";
import { resolveGenerateOptions, type GenerateOptions } from "./options";
import { Ride, ridePlans, ROW_WINDOW } from "./ride";
import { partitionTimes } from "./timeline";
import type { GenerateSummary } from "./types";

/** snappy: the parquet default; about twice as fast to write as gzip (the real files use) for the same size. */
const COMPRESSION = "snappy" as const;

async function prepareOut(out: string, force: boolean): Promise<void> {
  let entries: string[] = [];
  try {
    const st = await fs.stat(out);
    if (!st.isDirectory()) throw new OptionError("out", out, "a folder, but this path is a file; choose another --out");
    entries = await fs.readdir(out);
  } catch (e) {
    if (isStreamlabError(e)) throw e;
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new SinkError(out, `cannot read the output folder (${(e as NodeJS.ErrnoException).code}); check its permissions.`, e);
  }
  if (entries.length > 0 && !force) {
    throw new OptionError("out", out, `an empty or new folder, but it already holds ${entries.length} entr${entries.length === 1 ? "y" : "ies"} (${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", ..." : ""}); pass --force (force: true) to replace its locations/ and accelerations/, or choose another folder`);
  }
  // With force, only the two table folders are replaced: nothing else in `out` is touched.
  try {
    for (const table of ["locations", "accelerations"]) await fs.rm(path.join(out, table), { recursive: true, force: true });
    await fs.mkdir(out, { recursive: true });
  } catch (e) {
    throw new SinkError(out, `cannot prepare the output folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check its permissions.`, e);
  }
}

/**
 * Generates a synthetic dataset in the BDD layout (`<out>/{locations,accelerations}/t=SSS.S/<uuid>.parquet`)
 * with the real schema and dtypes, deterministic for a seed. With the defaults it reproduces the
 * shipped sample `data/bdd`.
 *
 * @param options.rides number of rides (default 15)
 * @param options.duration seconds of recording (default 120)
 * @param options.seed PRNG seed (default 42)
 * @param options.out output folder (default `data/bdd`); must be empty unless `force`
 * @param options.force replace the output's table folders (default false)
 * @param options.onProgress called after each partition
 * @param options.signal stops between partitions with AbortedError
 * @example
 * const summary = await generateDataset({ rides: 5, duration: 60, seed: 7, out: "results/tiny" });
 * summary.rows; // { locations: 62, accelerations: 3481 }
 */
export async function generateDataset(options: GenerateOptions = {}): Promise<GenerateSummary> {
  const o = resolveGenerateOptions(options);
  const out = path.resolve(o.out);
  await prepareOut(out, o.force);

  const times = partitionTimes(o.seed, o.duration);
  const plans = ridePlans(o.seed, o.rides, o.duration);
  const users = Math.max(1, Math.round(o.rides * 0.7));
  const rows: Record<Table, number> = { locations: 0, accelerations: 0 };
  let files = 0;
  let partitions = 0;
  let bytes = 0;
  let next = 0; // next plan (by start) not yet started
  let active: Ride[] = [];

  /** Writes one file per ride: slices of the partition's frame, in ride order. */
  const writeTable = async <R>(table: Table, name: string, entries: RideRows<R>[], frame: pl.DataFrame) => {
    const dir = path.join(out, table, name);
    await fs.mkdir(dir, { recursive: true });
    let at = 0;
    for (const { ride, rows: rideRows } of entries) {
      const file = path.join(dir, `${ride.uuid}.parquet`);
      const slice = frame.slice(at, rideRows.length);
      at += rideRows.length;
      try {
        // Straight to the path: ~4x faster than through a Buffer in nodejs-polars 0.24.
        slice.writeParquet(file, { compression: COMPRESSION });
        bytes += statSync(file).size;
      } catch (e) {
        throw new SinkError(file, `cannot write (${e instanceof Error ? e.message : String(e)}); check free space and permissions.`, e);
      }
      files++;
      rows[table] += rideRows.length;
    }
  };

  for (let p = 0; p < times.length; p++) {
    if (o.signal?.aborted) throw new AbortedError("generate");
    const t = times[p];
    while (next < plans.length && plans[next].start <= t + ROW_WINDOW.after) active.push(new Ride(plans[next++], o.seed, users));
    active = active.filter((r) => r.plan.end >= t - ROW_WINDOW.before);
    const filesBefore = files;
    const name = formatPartitionName(t);
    // Rides in uuid order within a partition, as a directory listing shows them.
    const rides = active.filter((r) => r.activeAt(t)).sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
    const loc = rides.map((ride) => ({ ride, rows: ride.locations(t) })).filter((e) => e.rows.length > 0);
    const acc = rides.map((ride) => ({ ride, rows: ride.accelerations(t) })).filter((e) => e.rows.length > 0);
    if (loc.length > 0) await writeTable("locations", name, loc, locationsFrame(loc));
    if (acc.length > 0) await writeTable("accelerations", name, acc, accelerationsFrame(acc));
    if (files > filesBefore) partitions++;
    o.onProgress?.({ partitions: p + 1, partitionsTotal: times.length, time: t, files, rows: { ...rows }, bytes });
  }
  return { out, seed: o.seed, rides: o.rides, duration: o.duration, partitions, files, rows, bytes };
}
