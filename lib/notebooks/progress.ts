/**
 * Live replay progress for a notebook: the replay reports every release, the display shows the
 * latest one, redrawn at most every `everyMs` so the notebook is not flooded with updates. Without
 * a display it is a progress bar (share of the partitions, rows per second, time left) with the
 * progress line under it.
 */
import { ProgressBar, type ProgressState } from "../display/progress-bar";
import type { DisplayWriter } from "../display/channel";
import { OptionError } from "../errors";
import { formatProgress } from "../replay/summary";
import type { ReplayProgress } from "../replay/types";
import type { TextDisplay } from "./types";

export interface ProgressDisplayOptions {
  /** Minimum wall milliseconds between redraws (default 500; 0 redraws on every release). */
  everyMs?: number;
  /** Time source in ms (default Date.now); tests pass a fake. */
  now?: () => number;
  /** Progress bar only: where its output goes (default tslab's display channel); tests collect it. */
  write?: DisplayWriter;
}

/** The `onProgress` callback to hand to `replay()`, plus `flush()` to draw the very last record. */
export interface ProgressDisplay {
  (progress: ReplayProgress): void;
  /** Draws the latest record if a redraw was skipped; returns it (undefined before any release). */
  flush(): ReplayProgress | undefined;
}

/** The bar's state for a replay record: partitions of the pass (no total when looping), rows per second. */
export function replayProgressState(p: ReplayProgress): ProgressState {
  return {
    done: p.partitions,
    total: p.loop === 0 ? p.partitionsTotal : undefined,
    elapsedMs: p.elapsedMs,
    throughput: { value: p.rows.locations + p.rows.accelerations, unit: "rows" },
    detail: formatProgress(p),
  };
}

/**
 * Shows replay progress in one output that updates in place: a progress bar with rate and time
 * left (no argument), or the progress line in a display of your own (`tslab.newDisplay()`).
 *
 * @example
 * const progress = progressDisplay(); // a bar: replay [█████░░░]  30%  9/29 partitions  1,234 rows/s  0:42 left
 * // or, the line only: progressDisplay(tslab.newDisplay())
 * const summary = await replay({ data: params.data, sinks: sink, onProgress: progress });
 * progress.flush();
 * // replay  accelerations t=121.4  partitions 68  rows 478 loc + 23,512 acc  lateness 1 ms (p99 3 ms)  121.5 s
 */
export function progressDisplay(display?: TextDisplay, options: ProgressDisplayOptions = {}): ProgressDisplay {
  if (display === undefined) return replayBar(options);
  if (typeof display?.text !== "function") throw new OptionError("display", typeof display, "an object with text(s), e.g. tslab.newDisplay()");
  const everyMs = options.everyMs ?? 500;
  if (typeof everyMs !== "number" || !Number.isFinite(everyMs) || everyMs < 0) throw new OptionError("everyMs", everyMs, "a number of milliseconds of 0 or more");
  const now = options.now ?? Date.now;
  let last: ReplayProgress | undefined;
  let drawn: ReplayProgress | undefined;
  let drawnAt = -Infinity;
  const draw = (p: ReplayProgress): void => {
    display.text(formatProgress(p));
    drawn = p;
    drawnAt = now();
  };
  const onProgress = ((p: ReplayProgress) => {
    last = p;
    if (now() - drawnAt >= everyMs) draw(p);
  }) as ProgressDisplay;
  onProgress.flush = () => {
    if (last !== undefined && last !== drawn) draw(last);
    return last;
  };
  return onProgress;
}

/** {@link progressDisplay} without a display: the replay as a {@link ProgressBar}. */
function replayBar(options: ProgressDisplayOptions): ProgressDisplay {
  const bar = new ProgressBar({ label: "replay", unit: "partitions", everyMs: options.everyMs ?? 500, now: options.now, write: options.write });
  bar.update({ done: 0, elapsedMs: 0, detail: "reading the first partitions…" }); // the bar shows where it will be from the start
  let last: ReplayProgress | undefined;
  const onProgress = ((p: ReplayProgress) => {
    last = p;
    bar.update(replayProgressState(p));
  }) as ProgressDisplay;
  onProgress.flush = () => {
    if (last !== undefined) bar.finish(replayProgressState(last));
    return last;
  };
  return onProgress;
}
