import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { assignWindows, window, windowsOf } from "../../lib/stream";
import { EVENT_MS, withEventMs } from "../../lib/stream/time";
import { WINDOW_END_MS, WINDOW_START_MS } from "../../lib/stream/window";
import { at, BASE_MS } from "./stream-fixtures";

describe("stream windows", () => {
  it("assigns a tumbling window aligned on the epoch, start inclusive and end exclusive", () => {
    const spec = window("timestamp", "15 seconds");
    assert.deepEqual(windowsOf(0, spec), [[0, 15_000]]);
    assert.deepEqual(windowsOf(14_999, spec), [[0, 15_000]]);
    assert.deepEqual(windowsOf(15_000, spec), [[15_000, 30_000]]);
    // 2020-01-01 is a multiple of 15 s since the epoch, so a window starts exactly there
    assert.deepEqual(windowsOf(BASE_MS + 7_000, spec), [[BASE_MS, BASE_MS + 15_000]]);
  });

  it("puts a row into size/slide sliding windows", () => {
    const spec = window("timestamp", "30 seconds", "15 seconds");
    assert.deepEqual(windowsOf(16_000, spec), [[0, 30_000], [15_000, 45_000]]);
    assert.deepEqual(windowsOf(30_000, spec), [[15_000, 45_000], [30_000, 60_000]]);
    const fine = window("timestamp", "15s", "5s");
    assert.equal(windowsOf(12_345, fine).length, 3);
    for (const [s, e] of windowsOf(12_345, fine)) assert.ok(s <= 12_345 && 12_345 < e && e - s === 15_000 && s % 5_000 === 0);
  });

  it("handles a slide that does not divide the size (fewer windows at some offsets)", () => {
    const spec = window("t", "10 seconds", "4 seconds");
    for (const t of [0, 1_000, 3_999, 4_000, 9_999, 11_000]) {
      const ws = windowsOf(t, spec);
      assert.ok(ws.length >= 2 && ws.length <= 3, `t=${t}: ${JSON.stringify(ws)}`);
      for (const [s, e] of ws) assert.ok(s <= t && t < e && s % 4_000 === 0);
    }
  });

  it("assignWindows on a frame agrees with windowsOf for every row", () => {
    const seconds = [0, 4.999, 5, 14.999, 15, 29.5, 31];
    const frame = withEventMs(pl.DataFrame({ timestamp: pl.Series("timestamp", seconds.map(at), pl.Datetime("ms")) }), "timestamp", "test");
    for (const spec of [window("timestamp", "15 seconds"), window("timestamp", "15 seconds", "5 seconds")]) {
      const out = assignWindows(frame, spec).toRecords();
      const expected = seconds.flatMap((s) => windowsOf(BASE_MS + s * 1000, spec).map(([a, b]) => `${BASE_MS + s * 1000}:${a}:${b}`)).sort();
      const actual = out.map((r) => `${r[EVENT_MS]}:${r[WINDOW_START_MS]}:${r[WINDOW_END_MS]}`).sort();
      assert.deepEqual(actual, expected);
    }
  });

  for (const [size, slide, option] of [
    ["0 seconds", undefined, "window"],
    [-5, undefined, "window"],
    ["fifteen seconds", undefined, "window"],
    ["15 seconds", "0 s", "slide"],
    ["15 seconds", "20 seconds", "slide"],
    ["15 seconds", "5 parsecs", "slide"],
  ] as const) {
    it(`rejects window(${JSON.stringify(size)}, ${JSON.stringify(slide)}) with BAD_OPTION naming ${option}`, () => {
      assert.throws(() => window("timestamp", size, slide), (e: unknown) => isStreamlabError(e, "BAD_OPTION") && e.context.option === option);
    });
  }

  it('says "slide must be <= window" for a slide larger than the window', () => {
    assert.throws(() => window("timestamp", "15 seconds", "30 seconds"), /slide must be <= window/);
  });
});
