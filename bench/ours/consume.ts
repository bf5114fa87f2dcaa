/**
 * streamlab's topic → DataFrame read (`readTopic`) as a child process of the bench (section 8).
 *
 *   tsx bench/ours/consume.ts --bootstrap H:P --topics T1,T2
 */
import { args, main } from "./args";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const lib: any = require("../../lib");

main(async () => {
  const a = args();
  const topics = String(a.topics).split(",");
  const t0 = performance.now();
  let rows = 0, columns = 0;
  for (const topic of topics) {
    const frame = await lib.readTopic(topic, { bootstrap: a.bootstrap });
    rows += frame.height;
    columns = Math.max(columns, frame.width);
  }
  return { rows, columns, wallMs: performance.now() - t0 };
});
