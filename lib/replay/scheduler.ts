import { TABLES, type Partition, type Table } from "../dataset/types";
import { MinHeap } from "./heap";
import type { ReleaseBatch } from "./types";

/** Read a partition `lead` simulated seconds before it is due, so reading never delays a release. */
export interface LoadEntry {
  kind: "load";
  /** Simulated seconds at which to read it (due time minus the lead). */
  at: number;
  table: Table;
  partition: Partition;
  /** Position of the partition in its table's list. */
  index: number;
  loop: number;
  /** Seconds added to every offset in this loop (loop × period). */
  shift: number;
}

/** Hand a batch to the sinks at its due moment. */
export interface ReleaseEntry {
  kind: "release";
  at: number;
  batch: ReleaseBatch;
  /** Shared by every release cut from the same partition read: counts partitions/files once. */
  origin: ReleaseOrigin;
}

export interface ReleaseOrigin {
  counted: boolean;
  files: Set<string>;
}

export type QueueEntry = LoadEntry | ReleaseEntry;

/**
 * Typical gap between partitions: the median gap between consecutive distinct partition times of
 * both tables (1 s when there is only one time).
 */
export function typicalInterval(partitions: Record<Table, Partition[]>): number {
  const times = [...new Set(TABLES.flatMap((t) => partitions[t].map((p) => p.time)))].sort((a, b) => a - b);
  const gaps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
  if (gaps.length === 0) return 1;
  const mid = gaps.length >> 1;
  return gaps.length % 2 === 1 ? gaps[mid] : (gaps[mid - 1] + gaps[mid]) / 2;
}

/**
 * Loop period in seconds: the last partition time plus one typical partition interval, so that
 * loop k (shifted by k × period) starts strictly after loop k − 1 ended and event time keeps rising.
 */
export function loopPeriod(partitions: Record<Table, Partition[]>): number {
  const last = Math.max(0, ...TABLES.flatMap((t) => partitions[t].map((p) => p.time)));
  return last + typicalInterval(partitions);
}

/** How many partition intervals ahead of its due moment a partition is read (at least). */
export const READ_AHEAD_PARTITIONS = 3;
/** How many seconds of wall time ahead of its due moment a partition is read (at least). */
export const READ_AHEAD_WALL_SECONDS = 2;

function compareEntries(a: QueueEntry, b: QueueEntry): number {
  if (a.at !== b.at) return a.at - b.at;
  // At the same moment, release what is due before reading ahead; then tables in TABLES order.
  if (a.kind !== b.kind) return a.kind === "release" ? -1 : 1;
  const ta = a.kind === "load" ? a.table : a.batch.table;
  const tb = b.kind === "load" ? b.table : b.batch.table;
  return TABLES.indexOf(ta) - TABLES.indexOf(tb);
}

/**
 * The replay's event queue: a k-way merge of both tables' partitions in time order, on a binary
 * min-heap (stable on ties). The heap holds one pending read per table plus the releases cut from
 * partitions already read, so memory stays bounded even when looping forever.
 *
 * `next()` pops the earliest entry. Popping a `load` queues that table's following partition
 * (wrapping to the next loop, shifted by `period`, when `loop` is on); the caller reads the
 * partition and queues its batches with `release()`.
 *
 * @example
 * const scheduler = new ReplayScheduler(scan.partitions, { loop: false });
 * for (let e = scheduler.next(); e; e = scheduler.next()) {
 *   if (e.kind === "load") scheduler.release(batchOf(e), { counted: false, files: new Set() });
 *   else console.log(e.batch.table, e.batch.partition, e.at);
 * }
 */
export class ReplayScheduler {
  /** Seconds between the starts of two loops. */
  readonly period: number;
  /** Simulated seconds a partition is read before it is due. */
  readonly lead: number;
  private readonly heap = new MinHeap<QueueEntry>(compareEntries);

  constructor(private readonly partitions: Record<Table, Partition[]>, private readonly options: { loop: boolean; speed?: number | "max" }) {
    this.period = loopPeriod(partitions);
    // Read ahead by three partitions or READ_AHEAD_WALL_SECONDS of wall time, whichever is more:
    // slack to absorb slow reads on a busy machine, still bounded memory. At least 1 s: rows can be
    // due a little before their partition time. At speed "max" nothing waits: three partitions.
    const wall = typeof options.speed === "number" ? READ_AHEAD_WALL_SECONDS * options.speed : 0;
    this.lead = Math.max(1, READ_AHEAD_PARTITIONS * typicalInterval(partitions), wall);
    for (const table of TABLES) this.queueLoad(table, 0, 0);
  }

  /** Partitions over both tables in one pass. */
  get partitionCount(): number {
    return TABLES.reduce((n, t) => n + this.partitions[t].length, 0);
  }

  /** Entries waiting (pending reads and releases). */
  get size(): number {
    return this.heap.size;
  }

  peek(): QueueEntry | undefined {
    return this.heap.peek();
  }

  /** Pops the earliest entry; undefined when the data is exhausted (never, when looping over data). */
  next(): QueueEntry | undefined {
    const entry = this.heap.pop();
    if (entry?.kind === "load") {
      const list = this.partitions[entry.table];
      const index = entry.index + 1;
      if (index < list.length) this.queueLoad(entry.table, index, entry.loop);
      else if (this.options.loop) this.queueLoad(entry.table, 0, entry.loop + 1);
    }
    return entry;
  }

  /** Queues a batch for release at `batch.dueOffset`. */
  release(batch: ReleaseBatch, origin: ReleaseOrigin): void {
    this.heap.push({ kind: "release", at: batch.dueOffset, batch, origin });
  }

  private queueLoad(table: Table, index: number, loop: number): void {
    const partition = this.partitions[table][index];
    if (partition === undefined) return;
    const shift = loop * this.period;
    this.heap.push({ kind: "load", at: partition.time + shift - this.lead, table, partition, index, loop, shift });
  }
}
