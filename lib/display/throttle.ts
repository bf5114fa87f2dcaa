/**
 * Redraws at most every `everyMs`, and never loses the last state: a change that comes too soon is
 * drawn by a timer once the interval has passed. Shared by live views and progress bars.
 */
export class Throttle {
  private drawnAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly everyMs: number, private readonly now: () => number, private readonly draw: () => void) {}

  /** Draws now, or schedules one drawing for when `everyMs` has passed since the last. */
  request(): void {
    if (this.stopped) return;
    const wait = this.drawnAt + this.everyMs - this.now();
    if (wait <= 0) {
      this.fire();
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.stopped) this.fire();
      }, wait);
      this.timer.unref?.(); // a pending redraw must not keep a finished kernel or test alive
    }
  }

  /** Draws now, whatever the interval. */
  fire(): void {
    this.drawnAt = this.now();
    this.draw();
  }

  /** Cancels a scheduled drawing; later requests are ignored. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
