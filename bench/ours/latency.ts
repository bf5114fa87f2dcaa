/**
 * streamlab's side of bench section 4: the course's Kafka windowed query (window 30 s sliding
 * 15 s, watermark 30 s, mean speed and count per ride), output mode update, default trigger,
 * from `<prefix>-locations` to `<prefix>-windowed`. Prints READY once running; SIGTERM stops it.
 *
 *   tsx bench/ours/latency.ts --topic-prefix P [--bootstrap H:P]
 */
import { args, emit } from "./args";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const lib: any = require("../../lib");

async function run(): Promise<void> {
  const a = args();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const windowedQuery = lib.windowedQuery ?? require("../../lib/stream/queries").windowedQuery;
  let batches = 0;
  let ready = false;
  const announce = () => { if (!ready) { ready = true; process.stdout.write("READY\n"); } };
  const q = windowedQuery({
    source: "kafka", sink: "kafka", bootstrap: a.bootstrap, topicPrefix: a["topic-prefix"],
    watermark: a.watermark ?? "30 seconds", window: a.window ?? "30 seconds", slide: a.slide ?? "15 seconds",
    mode: "update", trigger: "default",
    onProgress: () => { batches++; announce(); },
  });
  const timer = setTimeout(announce, Number(a["ready-after-ms"] ?? 8000));
  let stopping = false;
  process.on("SIGTERM", () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(timer);
    void q.stop().then((s: { outputRows: number }) => { emit({ batches, outputRows: s.outputRows }); process.exit(0); },
      (e: Error) => { emit({ error: e.message }); process.exit(0); });
  });
  q.awaitTermination().catch((e: Error) => { emit({ error: e.message }); process.exit(0); });
}

run().catch((e) => { emit({ error: (e as Error).message }); process.exit(0); });
