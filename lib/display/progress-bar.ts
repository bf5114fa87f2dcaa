/**
 * A progress bar for long work in a notebook (a replay, generating a dataset): the share done, the
 * rate and the time left, in one output redrawn in place. HTML for JupyterLab and the HTML export,
 * a text bar as the plain-text fallback. (The CLI keeps its own one-line progress on the terminal.)
 */
import { OptionError } from "../errors";
import { positiveInt } from "../options";
import { LiveOutput, type DisplayWriter } from "./channel";
import { escapeHtml } from "./frame-html";
import { Throttle } from "./throttle";

/** Where a long job is. */
export interface ProgressState {
  /** Units done (partitions, files, …). */
  done: number;
  /** Units in all; unknown (an endless loop) leaves the bar without share and time left. */
  total?: number;
  /** Wall milliseconds since the job started. */
  elapsedMs: number;
  /** What the rate counts when it is not the units, e.g. `{ value: rowsSoFar, unit: "rows" }`. */
  throughput?: { value: number; unit: string };
  /** A line of detail under the bar (the replay's progress line). */
  detail?: string;
}

/** Options of {@link progressBar}. */
export interface ProgressBarOptions {
  /** Name before the bar, e.g. `replay`. */
  label?: string;
  /** What the units are, e.g. `partitions`; default `steps`. */
  unit?: string;
  /** Minimum wall milliseconds between redraws; default 250. */
  everyMs?: number;
  /** Where the output goes; default tslab's display channel of the current cell. */
  write?: DisplayWriter;
  now?: () => number;
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");

/** `m:ss` or `h:mm:ss`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Share done (0..1, or undefined without a total), rate per second and seconds left (undefined until it can be told). */
export function progressFigures(state: ProgressState): { share: number | undefined; rate: number | undefined; left: number | undefined } {
  const seconds = state.elapsedMs / 1000;
  const share = state.total !== undefined && state.total > 0 ? Math.min(1, state.done / state.total) : undefined;
  const counted = state.throughput?.value ?? state.done;
  const rate = seconds > 0 ? counted / seconds : undefined;
  // Time left from the pace so far: elapsed × (what is left / what is done).
  const left = share !== undefined && share > 0 && seconds > 0 ? (seconds * (1 - share)) / share : undefined;
  return { share, rate, left };
}

/**
 * The bar as text: `replay [██████░░░░░░░░░░░░░░]  30%  9/29 partitions  1,234 rows/s  0:42 left`.
 *
 * @example
 * formatProgressBar({ done: 9, total: 29, elapsedMs: 20_000 }, { label: "replay", unit: "partitions" });
 */
export function formatProgressBar(state: ProgressState, options: { label?: string; unit?: string } = {}): string {
  const { share, rate, left } = progressFigures(state);
  const unit = options.unit ?? "steps";
  const width = 20;
  const filled = share === undefined ? 0 : Math.round(share * width);
  const parts = [
    ...(options.label ? [options.label] : []),
    share === undefined ? "" : `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%`,
    state.total === undefined ? `${int(state.done)} ${unit}` : `${int(state.done)}/${int(state.total)} ${unit}`,
    rate === undefined ? "" : `${int(rate)} ${state.throughput?.unit ?? unit}/s`,
    left === undefined ? "" : share === 1 ? `done in ${formatDuration(state.elapsedMs / 1000)}` : `${formatDuration(left)} left`,
  ].filter((p) => p !== "");
  return parts.join("  ") + (state.detail ? `\n${state.detail}` : "");
}

function barHtml(state: ProgressState, text: string, label: string | undefined): string {
  const { share } = progressFigures(state);
  const [line, ...detail] = text.split("\n");
  const bar = share === undefined ? "" : `<span style="display:inline-block;width:16em;height:0.8em;background:#e3e3e3;border-radius:3px;vertical-align:middle;margin-right:0.6em"><span style="display:block;width:${(share * 100).toFixed(1)}%;height:100%;background:#3b82f6;border-radius:3px"></span></span>`;
  const words = label && line.startsWith(label) ? line.slice(label.length) : line;
  return `<div class="streamlab-progress">${label ? `<b>${escapeHtml(label)}</b> ` : ""}${bar}<span>${escapeHtml(words.replace(/\[[█░]+\]\s*/, ""))}</span>${detail.length > 0 ? `<div style="font-family:monospace;font-size:90%">${escapeHtml(detail.join("\n"))}</div>` : ""}</div>`;
}

/** A progress bar in the current cell; see {@link progressBar}. */
export class ProgressBar {
  private readonly out: LiveOutput;
  private readonly throttle: Throttle;
  private readonly label: string | undefined;
  private readonly unit: string;
  private last: ProgressState | undefined;
  private finished = false;

  constructor(options: ProgressBarOptions = {}) {
    if (options === null || typeof options !== "object") throw new OptionError("options", options, 'an object such as { label: "replay", unit: "partitions" }');
    for (const k of ["label", "unit"] as const) if (options[k] !== undefined && typeof options[k] !== "string") throw new OptionError(k, options[k], "a string");
    this.label = options.label;
    this.unit = options.unit ?? "steps";
    this.out = new LiveOutput(options.write);
    this.throttle = new Throttle(positiveInt("everyMs", options.everyMs, 250, 0), options.now ?? Date.now, () => this.draw());
  }

  /** Shows where the job is (redrawn at most every `everyMs`; the last state is always drawn). */
  update(state: ProgressState): void {
    if (this.finished) return;
    this.last = state;
    this.throttle.request();
  }

  /** Draws the last state (or the one given) and stops updating. */
  finish(state?: ProgressState): void {
    if (this.finished) return;
    if (state !== undefined) this.last = state;
    this.finished = true;
    this.throttle.stop();
    this.draw();
  }

  /** The state drawn last (undefined before any update). */
  get state(): ProgressState | undefined {
    return this.last;
  }

  private draw(): void {
    if (this.last === undefined) return;
    const text = formatProgressBar(this.last, { label: this.label, unit: this.unit });
    this.out.draw({ data: { "text/html": barHtml(this.last, text, this.label), "text/plain": text }, metadata: {} });
  }
}

/**
 * A progress bar with rate and time left, updated in place in the current cell.
 *
 * @example
 * const bar = progressBar({ label: "generate", unit: "partitions" });
 * const t0 = Date.now();
 * await generateDataset({ rides: 200, out: "results/big", onProgress: (p) => bar.update({ done: p.partitions, total: p.partitionsTotal, elapsedMs: Date.now() - t0 }) });
 * bar.finish();
 */
export function progressBar(options: ProgressBarOptions = {}): ProgressBar {
  return new ProgressBar(options);
}
