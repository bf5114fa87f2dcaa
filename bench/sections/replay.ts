/**
 * 1. Replay precision: lateness (actual release − due) at speed 1 and 10, ~2,000 rows/s due, to
 * the file stream and to Kafka — streamlab's replay vs the course's heapq + time.sleep replay.
 */
import type { Ctx } from "../lib/context";
import { freshDir } from "../lib/datasets";
import { createTopics, requireBroker } from "../lib/kafka";
import { reasonOf } from "../lib/proc";
import type { Section, Value } from "../lib/report";
import { fmt } from "../lib/stats";

type Parts = Omit<Section, "id" | "title" | "seconds">;

export const REPLAY_TARGET = "our p99 ≤ 1 ms (speeds 1 and 10, both sinks)";

export async function replaySection(ctx: Ctx): Promise<Parts> {
  const rows: Value[][] = [];
  const notMeasured: string[] = [];
  const notes: string[] = [];
  const raw: Record<string, unknown> = {};
  const oursP99: number[] = [];
  const floorP99: number[] = [];
  let oursMissing = false;
  for (const speed of [1, 10] as const) {
    const ds = await ctx.data(`replay speed ${speed}`, speed === 1 ? ctx.p.replay.speed1 : ctx.p.replay.speed10);
    const total = ds.rows.locations + ds.rows.accelerations;
    const due = (total / ds.duration) * speed;
    notes.push(`speed ${speed}: ${total.toLocaleString("en-US")} rows over ${ds.duration} simulated s = ${Math.round(due).toLocaleString("en-US")} rows/s due, ${ds.files} files (one per ride and partition), released per partition (the course's schedule and streamlab's default).`);
    // The machine's own floor, measured now: the same number of due moments, as far apart, slept
    // to by streamlab's clock with no replay work at all.
    const intervalMs = Math.round((ds.duration / ds.partitions / speed) * 1000);
    try {
      const f = await ctx.ours(`speed ${speed} timer floor`, "timer-floor.ts", ["--moments", String(ds.partitions), "--interval-ms", String(intervalMs)]);
      raw[`speed ${speed} timer floor`] = f;
      floorP99.push(f.p99Ms);
      rows.push([speed, "none", "timer floor (streamlab's clock, no work)", null, f.moments, fmt.ms(f.p50Ms), fmt.ms(f.p99Ms), fmt.ms(f.maxMs), null]);
      notes.push(`speed ${speed} timer floor: ${f.moments} wake-ups ${intervalMs} ms apart by the replay's clock in a process doing nothing else; ${f.over1Ms} of them more than 1 ms late.`);
    } catch (e) {
      notMeasured.push(`speed ${speed} timer floor: ${reasonOf(e)}`);
    }
    for (const sink of ["files", "kafka"] as const) {
      for (const impl of ["streamlab", "course (Python heapq + sleep)"] as const) {
        const label = `speed ${speed} → ${sink}, ${impl}`;
        try {
          const args = ["--data", ds.dir, "--speed", String(speed), "--sink", sink, "--start", ctx.p.start];
          if (sink === "files") args.push("--out", freshDir(`replay-${speed}-${impl.slice(0, 6)}`));
          else {
            await requireBroker();
            const prefix = ctx.prefix(`R${speed}${impl === "streamlab" ? "O" : "C"}`);
            await createTopics([`${prefix}-locations`, `${prefix}-accelerations`], ctx.p.kafka.partitions);
            args.push("--topic-prefix", prefix, "--bootstrap", "localhost:9092");
          }
          const r = impl === "streamlab" ? await ctx.ours(label, "replay.ts", args) : await ctx.py(label, "replay_course.py", args);
          raw[label] = r;
          const l = r.lateness;
          if (impl === "streamlab" && l) oursP99.push(l.p99Ms);
          rows.push([speed, sink, impl, Math.round(due), r.releases, fmt.ms(l?.p50Ms), fmt.ms(l?.p99Ms), fmt.ms(l?.maxMs), fmt.int(r.rows)]);
        } catch (e) {
          if (impl === "streamlab") oursMissing = true;
          notMeasured.push(`${label}: ${reasonOf(e)}`);
          rows.push([speed, sink, impl, Math.round(due), null, "not measured", null, null, null]);
        }
      }
    }
  }
  const worst = oursP99.length ? Math.max(...oursP99) : null;
  const met = worst === null ? null : worst <= 1 && !oursMissing;
  notes.push("Lateness is taken when the wait for a release ends, before its write, in both implementations (a write that overruns shows up as lateness of the next release). streamlab sends each table on its own producer, so one table's acknowledgement never delays the other's release.");
  notes.push("The target holds on an idle machine; the bench runs nothing else meanwhile, but a busy machine (CI, other jobs) shows up in these figures. The timer floor rows show what the machine itself allows: on this 2-vCPU VM a few wake-ups in a thousand come 1–4 ms late with no work at all, and with ~25–100 wake-ups a run's p99 is in effect its worst one.");
  notes.push("Percentiles: streamlab from its HDR histogram (3 significant digits), the course's from the exact list; with one release per table and partition a run has few releases, so p99 is close to the maximum.");
  return {
    target: REPLAY_TARGET,
    met,
    verdict: worst === null ? "streamlab not measured" : `streamlab's worst p99 ${fmt.ms(worst)} ms over the ${oursP99.length} runs${oursMissing ? " (some runs not measured)" : ""}${floorP99.length ? `; the machine's timer floor (no work) ${fmt.ms(Math.max(...floorP99))} ms in the same run` : ""}`,
    tables: [{ columns: ["speed", "sink", "replay", "rows/s due", "releases", "p50 ms", "p99 ms", "max ms", "rows"], rows }],
    notes, notMeasured, raw,
  };
}
