import { strict as assert } from "node:assert";
import { isStreamlabError } from "../../../lib/errors";
import { progressDisplay } from "../../../lib/notebooks/progress";
import type { ReplayProgress } from "../../../lib/replay/types";

function record(releases: number, locations: number, accelerations: number): ReplayProgress {
  return { releases, partitions: releases, rows: { locations, accelerations }, table: "locations", partition: `t=00${releases}.0`, offset: releases, loop: 0, elapsedMs: releases * 1000, lateness: null };
}

describe("progressDisplay", () => {
  it("redraws at most every everyMs and flush() draws the last record it skipped", () => {
    const shown: string[] = [];
    let now = 0;
    const progress = progressDisplay({ text: (s) => shown.push(s) }, { everyMs: 500, now: () => now });
    progress(record(1, 10, 100)); // drawn (first)
    now = 100;
    progress(record(2, 20, 200)); // skipped: 100 ms after the last draw
    now = 600;
    progress(record(3, 30, 300)); // drawn
    now = 700;
    progress(record(4, 40, 400)); // skipped
    assert.equal(shown.length, 2);
    assert.match(shown[0], /rows 10 loc \+ 100 acc/);
    assert.match(shown[1], /rows 30 loc \+ 300 acc/);
    assert.deepEqual(progress.flush(), record(4, 40, 400));
    assert.equal(shown.length, 3);
    assert.match(shown[2], /rows 40 loc \+ 400 acc/);
    progress.flush(); // nothing new: no redraw
    assert.equal(shown.length, 3);
  });

  it("flush() before any release draws nothing", () => {
    const shown: string[] = [];
    assert.equal(progressDisplay({ text: (s) => shown.push(s) }).flush(), undefined);
    assert.deepEqual(shown, []);
  });

  it("rejects a display without text() and a negative everyMs", () => {
    assert.throws(() => progressDisplay({} as never), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "display");
    assert.throws(() => progressDisplay({ text: () => undefined }, { everyMs: -1 }), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "everyMs");
  });
});
