import assert from "node:assert/strict";
import { Random } from "../../lib/generate/random";
import { partitionTimes } from "../../lib/generate/timeline";
import { ridePlans } from "../../lib/generate/ride";

const draw = (r: Random, n: number) => Array.from({ length: n }, () => r.next());

describe("generate: seeded randomness and the timeline", () => {
  it("repeats the same sequence for the same seed and stream", () => {
    assert.deepEqual(draw(new Random(42, 3), 50), draw(new Random(42, 3), 50));
  });

  it("gives different sequences for different seeds or streams", () => {
    const base = draw(new Random(42, 3), 20);
    assert.notDeepEqual(draw(new Random(43, 3), 20), base);
    assert.notDeepEqual(draw(new Random(42, 4), 20), base);
  });

  it("draws uniform values in [0, 1) with a mean near 0.5, and normals with the asked mean and sd", () => {
    const xs = draw(new Random(1), 20_000);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
    const r = new Random(2);
    const ns = Array.from({ length: 20_000 }, () => r.normal(3, 2));
    const m = ns.reduce((a, b) => a + b, 0) / ns.length;
    const sd = Math.sqrt(ns.reduce((a, b) => a + (b - m) ** 2, 0) / ns.length);
    assert.ok(Math.abs(m - 3) < 0.05 && Math.abs(sd - 2) < 0.05, `mean ${m}, sd ${sd}`);
  });

  it("makes 32-char lowercase hex ids", () => {
    const r = new Random(5);
    for (let i = 0; i < 100; i++) assert.match(r.hex(32), /^[0-9a-f]{32}$/);
  });

  it("spaces partitions 2.8-4.8 s apart, one decimal, from 0 up to the duration", () => {
    const times = partitionTimes(42, 500);
    assert.equal(times[0], 0);
    assert.ok(times.at(-1)! <= 500 && times.at(-1)! > 495);
    for (let i = 1; i < times.length; i++) {
      const step = times[i] - times[i - 1];
      assert.ok(step >= 2.8 - 1e-9 && step <= 4.8 + 1e-9, `step ${step}`);
      assert.equal(Math.round(times[i] * 10) / 10, times[i]);
    }
  });

  it("plans rides of 36-42 s that start at different times across the recording", () => {
    const plans = ridePlans(42, 20, 300);
    assert.equal(plans.length, 20);
    for (const p of plans) {
      assert.ok(p.end - p.start >= 36 && p.end - p.start <= 42);
      assert.ok(p.start >= 0 && p.end <= 300);
    }
    assert.equal(new Set(plans.map((p) => p.start)).size, 20);
    assert.ok(plans[0].start < 30 && plans.at(-1)!.start > 200, "starts cover the recording");
    assert.ok(ridePlans(42, 3, 20).every((p) => p.end - p.start === 20), "rides are cut to a short duration");
  });
});
