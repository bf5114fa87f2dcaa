import * as hdr from "hdr-histogram-js";

/** Lateness of the releases of a run, in milliseconds (actual release − due moment). */
export interface LatenessStats {
  /** Releases measured. */
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/**
 * Records how late each release was. Backed by an HDR histogram (hdr-histogram-js, 3 significant
 * digits, microsecond resolution): memory stays bounded however long a looping replay runs, and
 * percentiles are within 0.1 % of the exact value. The maximum and the mean are exact.
 *
 * @example
 * const lateness = new LatenessRecorder();
 * lateness.record(0.4); lateness.record(1.2);
 * lateness.stats(); // { count: 2, p50Ms: 0.4, p99Ms: 1.2, maxMs: 1.2, meanMs: 0.8 }
 */
export class LatenessRecorder {
  private readonly histogram = hdr.build({ numberOfSignificantValueDigits: 3, autoResize: true, useWebAssembly: false });
  private count = 0;
  private max = 0;
  private sum = 0;
  private last = 0;

  /** Adds one release's lateness; an early release (negative) counts as 0. */
  record(latenessMs: number): void {
    const ms = Math.max(0, latenessMs);
    this.histogram.recordValue(Math.round(ms * 1000));
    this.count++;
    this.sum += ms;
    this.last = ms;
    if (ms > this.max) this.max = ms;
  }

  /** The lateness of the most recent release, in ms. */
  lastMs(): number {
    return this.last;
  }

  /** p50/p99/max/mean so far, or null when nothing was measured (e.g. at speed "max"). */
  stats(): LatenessStats | null {
    if (this.count === 0) return null;
    const at = (p: number): number => Math.min(this.max, this.histogram.getValueAtPercentile(p) / 1000);
    return { count: this.count, p50Ms: at(50), p99Ms: at(99), maxMs: this.max, meanMs: this.sum / this.count };
  }
}
