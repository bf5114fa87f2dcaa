/**
 * The replay's notion of time, injectable so schedulers are tested without real sleeps.
 *
 * `now()` is epoch milliseconds (fractional) and never goes backwards; `sleepUntil(t)` resolves at
 * or after `t`, or early when the signal aborts (it never rejects: the caller checks the signal).
 */
export interface Clock {
  now(): number;
  sleepUntil(t: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The real clock. `now()` is `performance.timeOrigin + performance.now()`: epoch-based but
 * monotonic, so a wall-clock adjustment (NTP) cannot make the replay jump.
 *
 * `sleepUntil` sleeps coarsely with `setTimeout` until `spinMarginMs` before the target (timers
 * fire a millisecond or more late), then yields with `setImmediate` until the target: lateness
 * stays in the low milliseconds while I/O keeps running during the final wait.
 *
 * @example
 * const clock = new SystemClock();
 * await clock.sleepUntil(clock.now() + 100); // ~100 ms later, within a millisecond or so
 */
export class SystemClock implements Clock {
  constructor(private readonly spinMarginMs = 2) {}

  now(): number {
    return performance.timeOrigin + performance.now();
  }

  async sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    const coarse = t - this.now() - this.spinMarginMs;
    if (coarse > 0) await sleepFor(coarse, signal);
    while (this.now() < t && !signal?.aborted) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Waits `ms` milliseconds, or less when `signal` aborts (it never rejects: the caller checks the
 * signal). The timer and the abort listener are both removed however it ends.
 *
 * @example
 * await sleepFor(100, controller.signal);
 */
export function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted || !(ms > 0)) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The shared real clock, the default of every option that takes a `Clock`. */
export const systemClock: Clock = new SystemClock();

/**
 * A clock for tests: time stands still until someone sleeps, then jumps to the wake-up time at
 * once. `onSleep` lets a test act at a given moment (abort, advance time to simulate slow work).
 *
 * @example
 * const clock = new FakeClock(0);
 * await clock.sleepUntil(5000); // returns immediately
 * clock.now();                  // 5000
 * clock.sleeps;                 // [5000]
 */
export class FakeClock implements Clock {
  /** Every wake-up time asked for, in order. */
  readonly sleeps: number[] = [];
  onSleep?: (t: number, clock: FakeClock) => void;

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  /** Moves time forward by `ms` (simulates work that takes time). */
  advance(ms: number): void {
    this.time += ms;
  }

  async sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(t);
    this.onSleep?.(t, this);
    if (signal?.aborted) return;
    if (t > this.time) this.time = t;
  }
}
