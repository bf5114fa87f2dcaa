import { DataError, OptionError } from "../errors";
import { TABLES, type Skipped, type Table } from "../dataset/types";
import { LatenessRecorder } from "./lateness";
import { resolveReplayOptions, type ReplayOptions, type ResolvedReplayOptions } from "./options";
import { freshLog, prepareProgressLogDir, ProgressTracker, readProgressLog, sinkRecords, type ReplayProgressLog } from "./progress-log";
import { ReadAhead } from "./read-ahead";
import { checkDataset, datasetFingerprint, reconcileOptions, recordedState } from "./resume";
import { ReplayScheduler, type LoadEntry, type ReleaseEntry } from "./scheduler";
import type { ReleaseBatch, ReplayProgress, ReplayStopReason, ReplaySummary, ReplayTableStats } from "./types";

export { PAUSE_GUARD_MS, ROW_SLACK_SECONDS } from "./read-ahead";

/**
 * A real-time replay of a BDD-layout dataset into one or more sinks. `run()` resolves to the run's
 * summary; `stop()` (or aborting `options.signal`) ends it cleanly: the batch in flight completes,
 * the sinks close, and `run()` still resolves with `stopReason: "aborted"`.
 *
 * Each release is due at `t0 + offset / speed` against the run's starting instant `t0` (never
 * by adding up sleeps, so there is no drift), and the next partition is read while waiting.
 *
 * @example
 * const run = new Replay({ data: "data/bdd", sinks: new FileSink(), speed: 10 });
 * const done = run.run();
 * // later, e.g. from another notebook cell:
 * run.stop();
 * const summary = await done; // summary.stopReason === "aborted"
 */
export class Replay {
  readonly options: ResolvedReplayOptions;
  private readonly controller = new AbortController();
  private running?: Promise<ReplaySummary>;
  private latest?: ReplayProgress;

  /** Validates the options at once (OptionError naming the option), before anything runs. */
  constructor(options: ReplayOptions) {
    this.options = resolveReplayOptions(options);
  }

  /** The most recent progress record, or undefined before the first release. */
  get progress(): ReplayProgress | undefined {
    return this.latest;
  }

  /** Starts the run (once; calling again returns the same promise). */
  run(): Promise<ReplaySummary> {
    this.running ??= this.execute();
    return this.running;
  }

  /** Asks the run to stop after the batch in flight; `run()` then resolves with the summary. */
  stop(): void {
    this.controller.abort();
  }

  private async execute(): Promise<ReplaySummary> {
    // With `resume`, the interrupted run's log decides the options left out (and refuses others).
    const log = this.options.resume ? await readResumeLog(this.options.progressLog!) : undefined;
    const o = log ? reconcileOptions(this.options, log, this.options.progressLog!) : this.options;
    const signal = o.signal ? AbortSignal.any([o.signal, this.controller.signal]) : this.controller.signal;
    const { clock, sinks, speed } = o;

    const scan = await o.reader.discover(o.data);
    const fingerprint = datasetFingerprint(scan);
    if (log) checkDataset(log, fingerprint, o.progressLog!);
    const skipped = new Map<string, Skipped>();
    const noteSkipped = (list: Skipped[]): void => list.forEach((s) => skipped.has(s.path) || skipped.set(s.path, s));
    noteSkipped(scan.skipped);
    const scheduler = new ReplayScheduler(scan.partitions, { loop: o.loop, speed: o.speed });
    if (scheduler.partitionCount === 0) {
      throw new DataError("NO_DATA", scan.root, 'has no t=SSS.S partitions with parquet files to replay; check --data or run "npx streamlab generate".');
    }

    // Resumed, `o.startMs` is the interrupted run's start instant (from the log): every row gets
    // the event time it would have had.
    const startMs = Math.round(o.startMs ?? clock.now());
    // Every release ordered at or before the log's last went out and was acknowledged: this run skips them.
    const reads = new ReadAhead({ reader: o.reader, schedule: o.schedule, startMs, acked: log?.last ?? null, sinks, clock, scheduler, root: scan.root, onSkipped: noteSkipped });
    const tally = new ReleaseTally();
    const lateness = new LatenessRecorder();
    let stopReason: ReplayStopReason = "completed";

    /** Hands every batch of the group to every sink; resolves once all are durable. */
    const publish = (group: ReleaseEntry[]): Promise<unknown> => Promise.all(group.flatMap((e) => sinks.map((s) => s.write(e.batch))));

    const opened: typeof sinks = [];
    let failure: unknown;
    let t0 = clock.now();
    let wallStart = t0;
    // A resumed run re-anchors its schedule on its first release: due at once, the following ones
    // at their original distance from it.
    let anchored = log === undefined;
    let tracker: ProgressTracker | undefined;
    try {
      if (o.progressLog !== undefined) {
        await prepareProgressLogDir(o.progressLog);
        tracker = new ProgressTracker(o.progressLog, log ?? freshLog(o, scan.root, fingerprint, startMs, sinkRecords(sinks)));
        // A fresh run replaces an older log before its sinks open (the file sink clears input/ then):
        // a resume after a crash in between must not skip releases of that older run.
        if (!log) await tracker.save(sinks);
      }
      for (const sink of sinks) {
        await sink.open(log ? { resume: { state: recordedState(log, sink) } } : undefined);
        opened.push(sink);
      }
      // The sinks' starting points (Kafka: where each partition ends), before the first release.
      if (!log) await tracker?.save(sinks);
      // Read the first partitions before the clock starts, so the first release is on time.
      for (let n = scheduler.peek(); n?.kind === "load" && n.at < reads.earliest; n = scheduler.peek()) await reads.start(scheduler.next() as LoadEntry);
      await reads.drain();
      t0 = clock.now();
      wallStart = t0;
      const deadline = o.timeLimit === undefined ? Infinity : t0 + o.timeLimit * 1000;
      for (;;) {
        reads.settle();
        if (signal.aborted) { stopReason = "aborted"; break; }
        if (o.maxEvents !== undefined && tally.releases >= o.maxEvents) { stopReason = "maxEvents"; break; }
        if (clock.now() >= deadline) { stopReason = "timeLimit"; break; }
        const next = scheduler.peek();
        if (next === undefined) {
          if (reads.pending === 0) break;
          await reads.drain();
          continue;
        }
        // A read in flight stands for its batches, not in the queue yet: when they would come
        // before the next entry, wait for it (bounds read-ahead, keeps releases in order).
        if (next.at >= reads.earliest) {
          await reads.awaitEarliest();
          continue;
        }
        if (next.kind === "load") {
          await reads.start(scheduler.next() as LoadEntry);
          continue;
        }
        const entry = scheduler.next() as ReleaseEntry;
        // Batches due at the same moment (both tables share partition times) go out together.
        const group = [entry];
        for (let n = scheduler.peek(); n?.kind === "release" && n.at === entry.at; n = scheduler.peek()) {
          if (o.maxEvents !== undefined && tally.releases + group.length >= o.maxEvents) break;
          if (n.at >= reads.earliest) break;
          group.push(scheduler.next() as ReleaseEntry);
        }
        if (speed !== "max") {
          if (!anchored) {
            t0 = clock.now() - (entry.at * 1000) / speed;
            anchored = true;
          }
          const due = t0 + (entry.at * 1000) / speed;
          reads.holdBack(Math.min(due, deadline));
          try {
            if (due > deadline) {
              await clock.sleepUntil(deadline, signal);
              stopReason = signal.aborted ? "aborted" : "timeLimit";
              break;
            }
            await clock.sleepUntil(due, signal);
            if (signal.aborted) { stopReason = "aborted"; break; }
            const late = clock.now() - due;
            for (let i = 0; i < group.length; i++) lateness.record(late);
            await publish(group);
          } finally {
            reads.letGo();
          }
        } else {
          await publish(group);
        }
        // Every sink acknowledged the group: record it before the next release goes out.
        await tracker?.acknowledge(group.map((e) => reads.marks.get(e.batch)!), sinks);
        for (const e of group) {
          tally.count(e);
          this.latest = progressOf(e.batch, tally, clock.now() - wallStart, speed === "max" ? null : lateness, scheduler.partitionCount);
          o.onProgress?.(this.latest);
        }
      }
      await tracker?.finish(stopReason, sinks);
    } catch (e) {
      failure = e;
    }
    const wallMs = clock.now() - wallStart;
    // Never leave a read running behind a stopped or failed run (it would write into staging/).
    await reads.finish();
    await o.reader.close?.().catch(() => undefined);
    for (const sink of opened.reverse()) {
      try {
        await sink.close();
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure !== undefined) throw failure;

    const { tables } = tally;
    return {
      data: scan.root,
      start: new Date(startMs).toISOString(),
      speed,
      schedule: o.schedule,
      loop: o.loop,
      tables,
      partitions: totalOf(tables, "partitions"),
      files: totalOf(tables, "files"),
      rows: totalOf(tables, "rows"),
      releases: tally.releases,
      skipped: [...skipped.values()],
      lateness: lateness.stats(),
      wallMs,
      loops: tally.loops,
      lastOffset: tally.lastOffset,
      stoppedEarly: stopReason !== "completed",
      stopReason,
      sinks: Object.fromEntries(sinks.map((s) => [s.name, s.stats()])),
      progressLog: o.progressLog ?? null,
      resumedAfter: log ? log.released : null,
    };
  }
}

/** What the releases so far add up to: per table, and the run's totals. */
class ReleaseTally {
  readonly tables: Record<Table, ReplayTableStats> = Object.fromEntries(TABLES.map((t) => [t, { partitions: 0, files: 0, rows: 0, releases: 0 }])) as Record<Table, ReplayTableStats>;
  releases = 0;
  lastOffset: number | null = null;
  loops = 0;

  /** Counts a release: its partition and each source file once (however many releases a partition is cut into). */
  count({ batch, origin }: ReleaseEntry): void {
    const stats = this.tables[batch.table];
    if (!origin.counted) {
      origin.counted = true;
      stats.partitions++;
    }
    for (const f of batch.files) {
      if (!origin.files.has(f.path)) {
        origin.files.add(f.path);
        stats.files++;
      }
    }
    stats.rows += batch.rows;
    stats.releases++;
    this.releases++;
    this.lastOffset = batch.dueOffset;
    this.loops = Math.max(this.loops, batch.loop + 1);
  }
}

/** The log a resumed run continues. @throws OptionError (`resume`) when there is none */
async function readResumeLog(file: string): Promise<ReplayProgressLog> {
  const log = await readProgressLog(file);
  if (log === undefined) {
    throw new OptionError("resume", true, `a progress log to resume from, but ${file} does not exist: run without --resume (resume: false) to start a fresh replay, or point --progress-log (progressLog) at the interrupted run's log`);
  }
  return log;
}

function totalOf(tables: Record<Table, ReplayTableStats>, k: keyof ReplayTableStats): number {
  return TABLES.reduce((n, t) => n + tables[t][k], 0);
}

/** The progress record after releasing `batch`; `lateness` null at speed "max" (nothing is due). */
function progressOf(batch: ReleaseBatch, { tables, releases }: ReleaseTally, elapsedMs: number, lateness: LatenessRecorder | null, partitionsTotal: number): ReplayProgress {
  return {
    releases,
    partitions: totalOf(tables, "partitions"),
    partitionsTotal,
    rows: Object.fromEntries(TABLES.map((t) => [t, tables[t].rows])) as Record<Table, number>,
    table: batch.table,
    partition: batch.partition,
    offset: batch.dueOffset,
    loop: batch.loop,
    elapsedMs,
    lateness: lateness === null ? null : { lastMs: lateness.lastMs(), p99Ms: lateness.stats()?.p99Ms ?? 0 },
  };
}

/**
 * Replays a BDD-layout dataset in real time into the given sinks and resolves to the summary.
 * Shorthand for `new Replay(options).run()`.
 *
 * @param options.data dataset folder (default `data/bdd`)
 * @param options.sinks one or more sinks (required), e.g. `new FileSink({ out: "results/stream" })`
 * @param options.speed 1 = real time (default), 10 = ten times faster, "max" = no waiting
 * @param options.start event time of offset 0 (ISO-8601 or Date; default now)
 * @param options.resume continue the run recorded in `options.progressLog` after its last acknowledged release (default false)
 * @example
 * const summary = await replay({ data: "data/bdd", sinks: new FileSink(), speed: "max", start: "2020-01-01T00:00:00Z" });
 * summary.tables.locations.rows; // 478 on the course's sample
 * summary.lateness;              // null at speed "max"; { p50Ms, p99Ms, maxMs, ... } otherwise
 * // after a crash: the same sinks, the rest of the releases, the same event times
 * await replay({ sinks: new FileSink(), resume: true });
 */
export function replay(options: ReplayOptions): Promise<ReplaySummary> {
  return new Replay(options).run();
}
