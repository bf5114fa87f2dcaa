/**
 * The machine's timer floor for bench section 1: streamlab's clock (SystemClock: setTimeout, then
 * setImmediate until the moment) sleeping to `--moments` due moments `--interval-ms` apart with no
 * replay work at all. A release can be no more punctual than this on the same machine at the same
 * time; the section reports it beside the replay's lateness.
 *
 *   tsx bench/ours/timer-floor.ts --moments 52 --interval-ms 385
 */
import { args, main } from "./args";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const lib: any = require("../../lib");

main(async () => {
  const a = args();
  const moments = Number(a.moments), interval = Number(a["interval-ms"]);
  const clock = lib.systemClock;
  const late: number[] = [];
  const t0 = clock.now() + interval;
  for (let i = 0; i < moments; i++) {
    const due = t0 + i * interval;
    await clock.sleepUntil(due);
    late.push(clock.now() - due);
  }
  late.sort((x, y) => x - y);
  const at = (q: number) => late[Math.min(late.length - 1, Math.ceil(q * late.length) - 1)];
  return { moments, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: late[late.length - 1], over1Ms: late.filter((l) => l > 1).length };
});
