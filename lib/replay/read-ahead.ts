import { DataError } from "../errors";
import type { Skipped } from "../dataset/types";
import { partitionBatch, rowBatches, yieldToEventLoop } from "./batches";
import type { Clock } from "./clock";
import type { DatasetReader } from "./options";
import type { ReleaseMark } from "./progress-log";
import { isAcknowledged } from "./resume";
import type { LoadEntry, ReplayScheduler } from "./scheduler";
import type { ReleaseBatch, ReplaySink } from "./types";

/** Background reads hold back when a release falls due within this many milliseconds. */
export const PAUSE_GUARD_MS = 20;

/** With the row schedule, how far before its partition time a row may be due and still go out in order. */
export const ROW_SLACK_SECONDS = 1;

/** What {@link ReadAhead} needs from the run. */
export interface ReadAheadOptions {
  reader: DatasetReader;
  schedule: "partition" | "row";
  /** The run's start instant (event time of offset 0), epoch ms. */
  startMs: number;
  /** A resumed run: the last release the interrupted run had acknowledged (those up to it are not sent again). */
  acked: ReleaseMark | null;
  sinks: ReplaySink[];
  clock: Clock;
  /** Where the batches read go, to be released at their due moment. */
  scheduler: ReplayScheduler;
  /** The dataset's root, named when a loop finds no readable row at all. */
  root: string;
  /** Files and folders the reader passed over. */
  onSkipped(list: Skipped[]): void;
}

/**
 * The replay's read-ahead: partitions are read in the background, one after another in due order,
 * while the release loop waits for the next due moment; each read's batches go to the scheduler, and
 * the sinks do the costly part of delivering them then (`prepare`). Between files the reads pause:
 * while a release is held back ({@link holdBack}) and falls due within {@link PAUSE_GUARD_MS}, they
 * wait until it is out, so a blocking step (a parquet write) never makes a release late.
 * A read that fails is thrown by the next {@link settle} or {@link drain}.
 */
export class ReadAhead {
  /** The release mark of each batch read (what the progress log records once it is acknowledged). */
  readonly marks = new WeakMap<ReleaseBatch, ReleaseMark>();
  private readonly inflight: { earliest: number; done: Promise<void> }[] = [];
  private gate: { due: number; passed: Promise<void>; open: () => void } | undefined;
  private loadError: unknown;
  private loadLoop = 0;
  private rowsLoadedThisLoop = 0;
  private skippedLoadThisLoop = false;

  constructor(private readonly o: ReadAheadOptions) {}

  /** Reads in flight (started, batches not yet all in the scheduler). */
  get pending(): number {
    return this.inflight.length;
  }

  /** The earliest moment (simulated seconds) a batch of a read in flight can be due; Infinity when none. */
  get earliest(): number {
    return this.inflight.reduce((m, l) => Math.min(m, l.earliest), Infinity);
  }

  /** Starts reading a partition, after the reads already in flight. */
  async start(entry: LoadEntry): Promise<void> {
    const o = this.o;
    if (entry.loop !== this.loadLoop) {
      // Loads of a new pass start once the previous pass is read: then check it had rows at all,
      // else looping would spin forever releasing nothing.
      await this.drain();
      if (this.rowsLoadedThisLoop === 0 && !this.skippedLoadThisLoop) throw new DataError("NO_DATA", o.root, "has no readable rows in any partition (see the skipped files); nothing to replay.");
      this.loadLoop = entry.loop;
      this.rowsLoadedThisLoop = 0;
      this.skippedLoadThisLoop = false;
    }
    // Resuming with the partition schedule: a partition is one release, due at its time, so one
    // the interrupted run already sent is not even read.
    if (o.acked && o.schedule === "partition") {
      const dueOffset = entry.partition.time + entry.shift;
      if (isAcknowledged({ table: entry.table, partition: entry.partition.name, loop: entry.loop, dueOffset, time: entry.partition.time }, o.acked)) {
        this.skippedLoadThisLoop = true;
        return;
      }
    }
    // With the row schedule a partition may hold rows due a little before its time (up to
    // 0.045 s in the course's data): allow ROW_SLACK_SECONDS; earlier rows go out late, not lost.
    const earliest = entry.partition.time + entry.shift - (o.schedule === "row" ? ROW_SLACK_SECONDS : 0);
    // A reader working in the background starts now, while earlier reads are still being prepared.
    o.reader.prefetch?.(entry.partition);
    // Reads run one after another (in due order), so the next one due is ready first.
    const done = (this.inflight.at(-1)?.done ?? Promise.resolve()).then(() => this.load(entry)).catch((e: unknown) => {
      this.loadError ??= e;
    });
    this.inflight.push({ earliest, done });
  }

  /** Throws the error of a read that failed. */
  settle(): void {
    if (this.loadError !== undefined) throw this.loadError;
  }

  /** Waits for every read in flight; throws if one failed. */
  async drain(): Promise<void> {
    while (this.inflight.length > 0) await this.inflight.shift()!.done;
    this.settle();
  }

  /** Waits for the read whose batches can be due first (they may come before the scheduler's next entry). */
  async awaitEarliest(): Promise<void> {
    const first = this.inflight.reduce((a, b) => (b.earliest < a.earliest ? b : a));
    this.inflight.splice(this.inflight.indexOf(first), 1);
    await first.done;
  }

  /** Reads hold back between files from {@link PAUSE_GUARD_MS} before `due` until {@link letGo}. */
  holdBack(due: number): void {
    let open = (): void => undefined;
    this.gate = { due, passed: new Promise<void>((resolve) => (open = resolve)), open };
  }

  /** The release held back for has gone out (or the run stopped): reads go on. */
  letGo(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  /** Waits for every read in flight without throwing: a stopped or failed run never leaves one writing behind it. */
  async finish(): Promise<void> {
    await Promise.all(this.inflight.map((l) => l.done));
  }

  /** Between costly steps of a read: returns at once, or waits while a release is about to fall due. */
  private readonly pause = async (): Promise<void> => {
    const g = this.gate;
    if (g !== undefined && this.o.clock.now() >= g.due - PAUSE_GUARD_MS) await g.passed;
    else await yieldToEventLoop();
  };

  private async load(entry: LoadEntry): Promise<void> {
    const o = this.o;
    const data = await o.reader.read(entry.partition, { pause: this.pause });
    o.onSkipped(data.skipped);
    this.rowsLoadedThisLoop += data.rows;
    const origin = { counted: false, files: new Set<string>() };
    const batches = o.schedule === "row" ? await rowBatches(data, o.startMs, entry.loop, entry.shift, this.pause) : [await partitionBatch(data, o.startMs, entry.loop, entry.shift, this.pause)];
    for (const batch of batches) {
      if (batch === undefined) continue;
      const mark: ReleaseMark = { table: batch.table, partition: batch.partition, loop: batch.loop, dueOffset: batch.dueOffset, time: entry.partition.time };
      if (isAcknowledged(mark, o.acked)) continue; // sent by the interrupted run
      this.marks.set(batch, mark);
      // Do the costly part of delivery now, while waiting, so the due moment only publishes.
      for (const sink of o.sinks) if (sink.prepare) await sink.prepare(batch, this.pause);
      o.scheduler.release(batch, origin);
    }
  }
}
