import type { WatermarkPolicy } from "./options";

/**
 * Event-time watermark of a query (semantics.md, "Watermark"): per input, the max event time seen
 * minus its delay; globally the min of the inputs (or the max with policy `"max"`). `observe` during
 * a micro-batch, `advance` at its end; `current` is the watermark in force, which is what late-row
 * dropping and eviction use, so a new watermark applies from the next micro-batch on.
 */
export class WatermarkTracker {
  private readonly inputs = new Map<string, { delayMs: number; maxEventMs: number | null }>();
  private inForce = -Infinity;

  /**
   * @param delays delay in ms per input name that has a watermark (inputs without one do not count)
   */
  constructor(delays: Record<string, number>, private readonly policy: WatermarkPolicy = "min") {
    for (const [name, delayMs] of Object.entries(delays)) this.inputs.set(name, { delayMs, maxEventMs: null });
  }

  /** True when at least one input has a watermark. */
  get enabled(): boolean {
    return this.inputs.size > 0;
  }

  /** The watermark in force (epoch ms): -Infinity before one exists. */
  get current(): number {
    return this.inForce;
  }

  /** Records the max event time of an input's rows in this micro-batch. */
  observe(input: string, maxEventMs: number | null): void {
    const state = this.inputs.get(input);
    if (state === undefined || maxEventMs === null || !Number.isFinite(maxEventMs)) return;
    state.maxEventMs = state.maxEventMs === null ? maxEventMs : Math.max(state.maxEventMs, maxEventMs);
  }

  /** Computes the watermark for the next micro-batch (never moves backwards); returns it. */
  advance(): number {
    if (this.inputs.size === 0) return this.inForce;
    const marks = [...this.inputs.values()].map((s) => (s.maxEventMs === null ? null : s.maxEventMs - s.delayMs));
    const seen = marks.filter((m): m is number => m !== null);
    let next: number;
    if (this.policy === "max") next = seen.length === 0 ? -Infinity : Math.max(...seen);
    else next = seen.length < marks.length ? -Infinity : Math.min(...seen);
    this.inForce = Math.max(this.inForce, next);
    return this.inForce;
  }

  /** The tracker's state for a checkpoint snapshot (JSON; infinities as strings). */
  snapshot(): { inForce: number | string; maxEventMs: Record<string, number | null> } {
    const maxEventMs: Record<string, number | null> = {};
    for (const [name, s] of this.inputs) maxEventMs[name] = s.maxEventMs;
    return { inForce: Number.isFinite(this.inForce) ? this.inForce : String(this.inForce), maxEventMs };
  }

  /** Restores what {@link snapshot} gave. */
  restore(s: { inForce: number | string; maxEventMs: Record<string, number | null> }): void {
    this.inForce = Number(s.inForce);
    for (const [name, v] of Object.entries(s.maxEventMs)) {
      const state = this.inputs.get(name);
      if (state) state.maxEventMs = v;
    }
  }

  /**
   * Raises the watermark to `ms` (never lowers it). The end-of-input flush records with it the
   * watermark under which everything the flush emitted was final, so a later run with the same
   * checkpoint drops exactly the rows that would change what the flush emitted.
   */
  raiseTo(ms: number): void {
    if (ms > this.inForce) this.inForce = ms;
  }
}
