/**
 * streamlab's course queries in `once` mode on a file stream, as a child process of the bench
 * (sections 3, 5 and 6). Runs each query in turn and reports its time, micro-batches, rows and the
 * largest state (rows held in state after a batch); the process's peak RSS covers all of them.
 *
 *   tsx bench/ours/query.ts --input DIR --out DIR [--queries windowed,joined]
 *       [--watermark "30 seconds"] [--window "15 seconds"] [--within "1.5 seconds"]
 */
import { args, main } from "./args";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const lib: any = require("../../lib");

function helper(name: string): (o: object) => any {
  if (typeof lib[name] === "function") return lib[name];
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const f = require("../../lib/stream/queries")[name];
  if (typeof f !== "function") throw new Error(`${name} is not available in lib/ yet`);
  return f;
}

main(async () => {
  const a = args();
  const runs = [];
  for (const kind of (a.queries ?? "windowed,joined").split(",")) {
    let stateRows = 0;
    let batches = 0;
    const build = helper(kind === "windowed" ? "windowedQuery" : "joinedQuery");
    const t0 = performance.now();
    const q = build({
      source: "files", input: a.input, output: a.out, trigger: "once",
      watermark: a.watermark ?? "30 seconds", window: a.window ?? "15 seconds", within: a.within ?? "1.5 seconds",
      ...(kind === "windowed" && a.slide ? { slide: a.slide } : {}),
      onProgress: (p: { stateRows: number }) => { batches++; stateRows = Math.max(stateRows, p.stateRows); },
    });
    const summary = await q.awaitTermination();
    const ms = performance.now() - t0;
    const inputRows = Object.values(summary.inputRows as Record<string, number>).reduce((n, v) => n + v, 0);
    runs.push({ query: kind, ms, batches: summary.batches ?? batches, inputRows, outputRows: summary.outputRows, maxStateRows: stateRows, dropped: summary.rowsDroppedByWatermark, out: summary.outputs?.[0], rssAfterMb: Math.round(process.memoryUsage().rss / 1048576) });
  }
  return { runs };
});
