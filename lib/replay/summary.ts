import { TABLES } from "../dataset/types";
import type { ReplayProgress, ReplaySummary } from "./types";

const int = (n: number): string => n.toLocaleString("en-US");
const ms = (n: number): string => `${n.toFixed(n < 10 ? 2 : 1)} ms`;

/**
 * One status line for a terminal or a notebook (no newline).
 *
 * @example
 * formatProgress(progress);
 * // "replay  accelerations t=052.5  partitions 16  rows 478 loc + 11,204 acc  lateness 0.41 ms (p99 1.20 ms)  12.3 s"
 */
export function formatProgress(p: ReplayProgress): string {
  const loop = p.loop > 0 ? `  loop ${p.loop + 1}` : "";
  const late = p.lateness ? `  lateness ${ms(p.lateness.lastMs)} (p99 ${ms(p.lateness.p99Ms)})` : "";
  return `replay  ${p.table} ${p.partition}${loop}  partitions ${int(p.partitions)}  rows ${int(p.rows.locations)} loc + ${int(p.rows.accelerations)} acc${late}  ${(p.elapsedMs / 1000).toFixed(1)} s`;
}

/**
 * The end-of-run report: rows per table, files skipped and why, lateness, sinks.
 *
 * @example
 * console.log(formatSummary(await replay({ sinks: new FileSink(), speed: "max" })));
 */
export function formatSummary(s: ReplaySummary): string {
  const lines: string[] = [];
  const how = s.stopReason === "completed" ? "completed" : `stopped early (${s.stopReason})`;
  lines.push(`Replay of ${s.data} ${how} in ${(s.wallMs / 1000).toFixed(2)} s  (speed ${s.speed}, schedule ${s.schedule}${s.loop ? `, loop: ${s.loops} pass(es)` : ""}, start ${s.start})`);
  for (const t of TABLES) {
    const x = s.tables[t];
    lines.push(`  ${t.padEnd(14)} ${int(x.rows).padStart(10)} rows  ${int(x.files).padStart(6)} files  ${int(x.partitions).padStart(5)} partitions  ${int(x.releases).padStart(7)} releases`);
  }
  lines.push(`  ${"total".padEnd(14)} ${int(s.rows).padStart(10)} rows  ${int(s.files).padStart(6)} files  ${int(s.partitions).padStart(5)} partitions  ${int(s.releases).padStart(7)} releases`);
  if (s.lastOffset !== null) lines.push(`  last offset    ${s.lastOffset.toFixed(3)} s`);
  if (s.resumedAfter !== undefined && s.resumedAfter !== null) lines.push(`  resumed        after ${int(s.resumedAfter)} releases the interrupted run(s) had acknowledged (same start ${s.start})`);
  if (s.progressLog) lines.push(`  progress log   ${s.progressLog}`);
  lines.push(
    s.lateness
      ? `  lateness       p50 ${ms(s.lateness.p50Ms)}  p99 ${ms(s.lateness.p99Ms)}  max ${ms(s.lateness.maxMs)}  (${int(s.lateness.count)} releases)`
      : `  lateness       not measured (${s.speed === "max" ? 'speed "max" does not wait' : "nothing released"})`,
  );
  if (s.skipped.length === 0) lines.push("  skipped        none");
  else {
    const byCode = new Map<string, number>();
    for (const k of s.skipped) byCode.set(k.code, (byCode.get(k.code) ?? 0) + 1);
    lines.push(`  skipped        ${s.skipped.length}: ${[...byCode].map(([c, n]) => `${n} ${c}`).join(", ")}`);
    for (const k of s.skipped) lines.push(`    [${k.code}] ${k.reason}`);
  }
  for (const [name, stats] of Object.entries(s.sinks)) {
    lines.push(`  sink ${name.padEnd(9)} ${Object.entries(stats).map(([k, v]) => `${k} ${int(v)}`).join("  ")}`);
  }
  return lines.join("\n");
}
