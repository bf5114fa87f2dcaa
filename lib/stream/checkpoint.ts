/**
 * A query's checkpoint folder (semantics.md, "Checkpoints and exactly-once"; anchor: Spark's
 * checkpointLocation):
 *
 *   <dir>/metadata.json        the checkpoint's id, and what the query computes (a restart with another query is refused)
 *   <dir>/offsets/<id>.json    the input of micro-batch <id> (its chunks' origins), written before it runs
 *   <dir>/commits/<id>         written once every sink holds the batch's output durably
 *   <dir>/state/<id>/          the processor's state after batch <id> (JSON + Arrow IPC frames)
 *
 * Every file is written to a temp name and renamed into place (lib/files/atomic.ts; a snapshot folder too), so a crash
 * leaves either the old file or the new one, never a torn one.
 */
import { randomUUID } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import pl from "nodejs-polars";
import { CheckpointError } from "../errors";
import { causeOf, tempPathFor, writeFileAtomic } from "../files/atomic";
import type { ProcessorSnapshot } from "./processor";

/** The input of one micro-batch: per input name, its chunks' origins (empty: no input). */
export interface OffsetEntry {
  batchId: number;
  /** The end-of-input flush batch (watermark at +infinity). */
  final: boolean;
  inputs: Record<string, unknown[]>;
}

/** What a snapshot holds besides the processor: the loop's own counters. */
export interface LoopState {
  nextBatchId: number;
  watermarkOfLastBatch: number | string;
}

const VERSION = 1;
const ID = (n: number) => String(n).padStart(8, "0");

/** Writes one checkpoint file atomically (lib/files/atomic.ts; not fsync'ed: it survives a crash, not a power cut). */
async function writeAtomic(dir: string, file: string, data: string): Promise<void> {
  try {
    await writeFileAtomic(file, data, { sync: false });
  } catch (e) {
    throw new CheckpointError(dir, `could not write ${file} (${(causeOf(e) as Error).message}); check the disk and permissions.`, { cause: causeOf(e) });
  }
}

async function ids(dir: string): Promise<number[]> {
  if (!existsSync(dir)) return [];
  return (await fs.readdir(dir)).filter((n) => /^\d{8}(\.json)?$/.test(n)).map((n) => Number(n.slice(0, 8))).sort((a, b) => a - b);
}

/** Paths whose values differ between two JSON descriptions, as "a.b: x (checkpoint) ≠ y (this query)". */
export function describeDifferences(before: unknown, now: unknown, at = ""): string[] {
  const same = JSON.stringify(before) === JSON.stringify(now);
  if (same) return [];
  const isObj = (v: unknown) => v !== null && typeof v === "object";
  if (isObj(before) && isObj(now) && Array.isArray(before) === Array.isArray(now)) {
    const keys = [...new Set([...Object.keys(before as object), ...Object.keys(now as object)])];
    return keys.flatMap((k) => describeDifferences((before as Record<string, unknown>)[k], (now as Record<string, unknown>)[k], at === "" ? k : `${at}.${k}`));
  }
  return [`${at || "(query)"}: ${JSON.stringify(before) ?? "none"} in the checkpoint, ${JSON.stringify(now) ?? "none"} now`];
}

export class Checkpoint {
  /** @param id made when the folder is created: a sink's own record of written batches is keyed by it. */
  private constructor(readonly dir: string, readonly id: string) {}

  /**
   * Opens `dir` for the query `description` (what it reads and computes): creates it on the first
   * run; on a restart, refuses a checkpoint written by a different query, naming what differs.
   */
  static async open(dir: string, description: unknown): Promise<Checkpoint> {
    const meta = path.join(dir, "metadata.json");
    try {
      for (const sub of ["offsets", "commits", "state"]) await fs.mkdir(path.join(dir, sub), { recursive: true });
    } catch (e) {
      throw new CheckpointError(dir, `cannot create the folder (${(e as Error).message}); check the path and its permissions.`, { cause: e });
    }
    if (!existsSync(meta)) {
      const id = randomUUID();
      await writeAtomic(dir, meta, JSON.stringify({ version: VERSION, id, query: description }, null, 2));
      return new Checkpoint(dir, id);
    }
    let stored: { version?: number; id?: string; query?: unknown };
    try {
      stored = JSON.parse(await fs.readFile(meta, "utf8"));
    } catch (e) {
      throw new CheckpointError(dir, `metadata.json is unreadable (${(e as Error).message}); delete the folder to start over.`, { cause: e });
    }
    const diff = describeDifferences(stored.query, JSON.parse(JSON.stringify(description)));
    if (diff.length > 0) {
      throw new CheckpointError(dir, `it was written by a different query, so this one cannot resume from it:\n  ${diff.join("\n  ")}\n` +
        "Run the query as it was to resume, or start over: delete the folder (and the query's output), or give another checkpoint folder.", { context: { differences: diff } });
    }
    if (typeof stored.id !== "string") {
      stored.id = randomUUID(); // a checkpoint from before ids: give it one now
      await writeAtomic(dir, meta, JSON.stringify({ version: VERSION, id: stored.id, query: stored.query }, null, 2));
    }
    return new Checkpoint(dir, stored.id);
  }

  /** The offsets log, oldest first. */
  async offsets(): Promise<OffsetEntry[]> {
    const out: OffsetEntry[] = [];
    for (const id of await ids(path.join(this.dir, "offsets"))) {
      const file = path.join(this.dir, "offsets", `${ID(id)}.json`);
      try {
        out.push(JSON.parse(await fs.readFile(file, "utf8")));
      } catch (e) {
        throw new CheckpointError(this.dir, `${file} is unreadable (${(e as Error).message}); delete the folder to start over.`, { cause: e });
      }
    }
    return out;
  }

  /** Batch ids whose output every sink holds. */
  async committed(): Promise<Set<number>> {
    return new Set(await ids(path.join(this.dir, "commits")));
  }

  /** Logs a batch's input before it runs. */
  async logOffsets(entry: OffsetEntry): Promise<void> {
    await this.write(path.join(this.dir, "offsets", `${ID(entry.batchId)}.json`), JSON.stringify(entry));
  }

  /** Marks a batch done: its output is durable in every sink. */
  async commit(batchId: number): Promise<void> {
    await this.write(path.join(this.dir, "commits", ID(batchId)), "");
  }

  /** Writes the state after `batchId`, then removes older snapshots (one is kept). */
  async snapshot(batchId: number, processor: ProcessorSnapshot, loop: LoopState): Promise<void> {
    const stateDir = path.join(this.dir, "state");
    const final = path.join(stateDir, ID(batchId));
    const tmp = tempPathFor(final);
    try {
      await fs.rm(tmp, { recursive: true, force: true });
      await fs.mkdir(tmp, { recursive: true });
      const frames: string[] = [];
      for (const [name, frame] of Object.entries(processor.frames)) {
        if (frame === null) continue;
        await fs.writeFile(path.join(tmp, `${name}.arrow`), frame.writeIPC());
        frames.push(name);
      }
      await fs.writeFile(path.join(tmp, "state.json"), JSON.stringify({ batchId, frames, watermark: processor.watermark, meta: processor.meta, loop }));
      await fs.rm(final, { recursive: true, force: true });
      await fs.rename(tmp, final);
      for (const id of await ids(stateDir)) if (id < batchId) await fs.rm(path.join(stateDir, ID(id)), { recursive: true, force: true });
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw new CheckpointError(this.dir, `could not write the state after batch ${batchId} (${(e as Error).message}); check the disk.`, { cause: e });
    }
  }

  /** The latest snapshot, or null when there is none. */
  async latestSnapshot(): Promise<{ batchId: number; processor: ProcessorSnapshot; loop: LoopState } | null> {
    const all = await ids(path.join(this.dir, "state"));
    if (all.length === 0) return null;
    const dir = path.join(this.dir, "state", ID(all[all.length - 1]));
    try {
      const s = JSON.parse(await fs.readFile(path.join(dir, "state.json"), "utf8"));
      const frames: Record<string, pl.DataFrame | null> = {};
      for (const name of s.frames as string[]) frames[name] = pl.readIPC(await fs.readFile(path.join(dir, `${name}.arrow`)));
      return { batchId: s.batchId, processor: { watermark: s.watermark, frames, meta: s.meta }, loop: s.loop };
    } catch (e) {
      throw new CheckpointError(this.dir, `the state snapshot ${dir} is unreadable (${(e as Error).message}); delete the folder to start over.`, { cause: e });
    }
  }

  private write(file: string, data: string): Promise<void> {
    return writeAtomic(this.dir, file, data);
  }
}
