/**
 * 5. Memory: peak RSS of the windowed + joined queries (one process runs both) over ~10 and ~60
 * simulated minutes of the same stream shape, with the largest state (rows held after a batch).
 * The runs are the engine section's (the 60-minute stream is section 3's input).
 */
import type { Ctx } from "../lib/context";
import { round } from "../lib/context";
import type { Section, Value } from "../lib/report";
import { fmt } from "../lib/stats";
import { engineSection, type EngineRun } from "./engine";

type Parts = Omit<Section, "id" | "title" | "seconds">;

export async function memorySection(ctx: Ctx): Promise<Parts> {
  if (!ctx.shared.engine) await engineSection(ctx); // --only memory
  const { small, large } = ctx.shared.engine as { small: EngineRun; large: EngineRun };
  const notMeasured: string[] = [];
  const rows: Value[][] = [];
  const state = (r: any, q: string) => r?.runs?.find((x: any) => x.query === q)?.maxStateRows ?? null;
  for (const [label, run] of [[`~${ctx.p.engine.minutesSmall} min`, small], [`~${ctx.p.engine.minutesLarge} min`, large]] as const) {
    if (run.oursError) notMeasured.push(`streamlab ${label}: ${run.oursError}`);
    if (run.sparkError) notMeasured.push(`Spark ${label}: ${run.sparkError}`);
    rows.push([label, round(run.ds.duration / 60, 1), fmt.int(run.ds.rows.accelerations + run.ds.rows.locations), run.ours ? fmt.mb(run.ours.peakRssMb) : "not measured", fmt.int(state(run.ours, "windowed")), fmt.int(state(run.ours, "joined")), run.spark ? `${fmt.mb(run.spark.jvmPeakRssMb)}${run.spark.runs?.some((r: any) => r.capped) ? " (stopped at the cap)" : ""}` : run.sparkError ? "not measured" : "not run (quick)"]);
  }
  const a = small.ours?.peakRssMb;
  const b = large.ours?.peakRssMb;
  const growth = a && b ? b / a : null;
  const sa = state(small.ours, "joined");
  const sb = state(large.ours, "joined");
  // Issue #9's target: the 60-minute run's peak RSS at most 1.1× the 10-minute one's, and under 1 GB.
  const bounded = growth !== null && b !== undefined ? growth <= 1.1 && b < 1024 : null;
  return {
    target: "bounded: 60-min peak RSS ≤ 1.1× the 10-min one's, and under 1 GB",
    met: bounded,
    verdict: growth === null ? "streamlab not measured (see below)" : `peak RSS ${fmt.mb(a)} → ${fmt.mb(b)} MB (${fmt.x(growth)}), joined state ${fmt.int(sa)} → ${fmt.int(sb)} rows`,
    tables: [{ columns: ["stream", "simulated min", "input rows", "ours peak RSS MB", "ours max state rows (windowed)", "ours max state rows (joined)", "Spark driver JVM peak RSS MB"], rows }],
    notes: [
      "Peak RSS = the process's high-water mark (Node: process.resourceUsage().maxRSS; Spark: VmHWM of the driver JVM, which holds the state store in local mode) while it ran windowed then joined.",
      "State rows = the largest `stateRows` of any progress record (windows / join rows held after a batch). Both streams have the same concurrency (the same rides looped in time). The watermark a batch evicts with is the one in force during it (the previous batch's), so the state after a batch spans that batch's event time plus the delay: it is bounded by the batch size (`maxRowsPerTrigger`, `maxFilesPerTrigger`), not by the length of the stream.",
      ctx.mode === "quick" ? "Quick mode: 1 and 3 simulated minutes instead of 10 and 60; Spark's memory runs only in the full run." : "",
    ].filter(Boolean),
    notMeasured,
    raw: { small: { ours: small.ours, spark: small.spark }, large: { oursRss: large.ours?.peakRssMb, sparkRss: large.spark?.jvmPeakRssMb } },
  };
}
