/**
 * streamlab's replay as a child process of the bench (sections 1, 2 and 4).
 *
 *   tsx bench/ours/replay.ts --data DIR --speed 1|10|max --sink files|kafka [--out DIR]
 *       [--bootstrap H:P --topic-prefix P] [--client platformatic|kafkajs] [--start ISO] [--schedule partition|row]
 */
import { args, main } from "./args";

// The public surface (lib/index.ts); `any` so the bench keeps compiling while the API grows.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const lib: any = require("../../lib");

main(async () => {
  const a = args();
  const speed = a.speed === "max" ? "max" : Number(a.speed);
  let sink: any;
  if (a.sink === "files") {
    sink = new lib.FileSink({ out: a.out });
  } else if (a.sink === "kafka") {
    sink = new lib.KafkaSink({ bootstrap: a.bootstrap, topicPrefix: a["topic-prefix"], partitions: Number(a.partitions ?? 3), ...(a.client ? { client: a.client } : {}) });
  } else {
    throw new Error(`unknown sink ${a.sink}`);
  }
  const t0 = performance.now();
  const summary = await lib.replay({ data: a.data, sinks: sink, speed, start: a.start, schedule: a.schedule ?? "partition" });
  const ms = performance.now() - t0;
  return { rows: summary.rows, releases: summary.releases, wallMs: summary.wallMs, totalMs: ms, lateness: summary.lateness, sinks: summary.sinks, skipped: summary.skipped.length };
});
