/**
 * The pure logic of `resume`: which releases an interrupted run already had acknowledged, and
 * whether a resumed run is the same run (same dataset, start instant, schedule, sinks).
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { OptionError } from "../errors";
import { TABLES, type DatasetScan } from "../dataset/types";
import type { ReplayProgressLog, ReleaseMark, SinkRecord } from "./progress-log";
import type { ResolvedReplayOptions } from "./options";
import type { ReplaySink } from "./types";

/**
 * Orders releases as the replay sends them: due moment, then table (TABLES order), then loop and
 * source partition time. The scheduler pops releases in exactly this order as long as no row is
 * due more than ROW_SLACK_SECONDS before its partition's time (its own assumption; the course's
 * data stays within 0.045 s), so "every release at or before the last acknowledged one" is the
 * set of releases acknowledged.
 */
export function compareMarks(a: ReleaseMark, b: ReleaseMark): number {
  return a.dueOffset - b.dueOffset || TABLES.indexOf(a.table) - TABLES.indexOf(b.table) || a.loop - b.loop || a.time - b.time;
}

/** True when `mark` was released and acknowledged before the interrupted run ended (at or before `last`). */
export function isAcknowledged(mark: ReleaseMark, last: ReleaseMark | null): boolean {
  return last !== null && compareMarks(mark, last) <= 0;
}

/** The latest of `marks` in release order (the one to record as the last acknowledged). */
export function latestMark(marks: readonly ReleaseMark[]): ReleaseMark | undefined {
  return marks.reduce<ReleaseMark | undefined>((a, m) => (a === undefined || compareMarks(m, a) > 0 ? m : a), undefined);
}

/**
 * A short hash of the dataset's partitions and file names: a resume refuses a dataset that
 * changed, since the releases it skips would no longer be the ones that went out.
 */
export function datasetFingerprint(scan: Pick<DatasetScan, "partitions">): string {
  const shape = TABLES.map((t) => [t, scan.partitions[t].map((p) => [p.name, p.files.map((f) => path.basename(f))])]);
  return `sha256:${createHash("sha256").update(JSON.stringify(shape)).digest("hex").slice(0, 32)}`;
}

/** The options a resumed run takes from the log when they were left out. */
export type ResumableOption = "data" | "speed" | "start" | "schedule" | "loop";

function differs(option: string, given: unknown, recorded: unknown, file: string): OptionError {
  return new OptionError(
    option,
    given,
    `the interrupted run being resumed used ${JSON.stringify(recorded)} (recorded in ${file}); leave the option out to reuse that value, or start a fresh replay without --resume (resume: false)`,
  );
}

/**
 * The options of a resumed run: every option left out takes the interrupted run's value from the
 * log; one given with another value is refused, as are other sinks or other destinations.
 *
 * @throws OptionError naming the option that differs, the value recorded and how to start over
 * @example
 * reconcileOptions(resolveReplayOptions({ sinks, resume: true }), log, "results/replay/files-progress.json").speed; // the log's speed
 */
export function reconcileOptions(o: ResolvedReplayOptions, log: ReplayProgressLog, file: string): ResolvedReplayOptions {
  const given = (k: ResumableOption): boolean => !o.unset.has(k);
  if (given("data") && path.resolve(o.data) !== log.data) throw differs("data", o.data, log.data, file);
  if (given("speed") && o.speed !== log.speed) throw differs("speed", o.speed, log.speed, file);
  if (given("start") && o.startMs !== log.startMs) throw differs("start", o.startMs === undefined ? undefined : new Date(o.startMs).toISOString(), log.start, file);
  if (given("schedule") && o.schedule !== log.schedule) throw differs("schedule", o.schedule, log.schedule, file);
  if (given("loop") && o.loop !== log.loop) throw differs("loop", o.loop, log.loop, file);
  checkSinks(o.sinks, log.sinks, file);
  return { ...o, data: log.data, speed: log.speed, startMs: log.startMs, schedule: log.schedule, loop: log.loop };
}

const describeSinks = (sinks: readonly Pick<SinkRecord, "name" | "destination">[]): string => sinks.map((s) => (s.destination === null ? s.name : `${s.name} → ${s.destination}`)).join("; ");

/** The same sinks (by name), writing to the same destinations, as the interrupted run. */
export function checkSinks(sinks: readonly ReplaySink[], recorded: readonly SinkRecord[], file: string): void {
  const now = sinks.map((s) => ({ name: s.name, destination: s.destination ?? null }));
  const key = (list: readonly Pick<SinkRecord, "name" | "destination">[]): string => JSON.stringify(list.map((s) => [s.name, s.destination]).sort());
  if (key(now) !== key(recorded)) {
    throw new OptionError(
      "sinks",
      describeSinks(now),
      `the sinks of the interrupted run being resumed: ${describeSinks(recorded)} (recorded in ${file}); resume into the same ones (--sink, --out, the Kafka connection flags), or start a fresh replay without --resume`,
    );
  }
}

/**
 * The dataset a resumed run reads must be the one the interrupted run read.
 * @throws OptionError (`data`) when its partitions or file names changed
 */
export function checkDataset(log: ReplayProgressLog, fingerprint: string, file: string): void {
  if (fingerprint !== log.dataset) {
    throw new OptionError(
      "data",
      log.data,
      `the dataset the interrupted run replayed, but its partitions or files changed since (fingerprint ${fingerprint}, ${file} recorded ${log.dataset}); a resume would skip other releases than the ones sent. Start a fresh replay without --resume`,
    );
  }
}

/** The sink's state recorded by the log, for `open({ resume })`. */
export function recordedState(log: ReplayProgressLog, sink: ReplaySink): unknown {
  return log.sinks.find((s) => s.name === sink.name)?.state ?? null;
}
