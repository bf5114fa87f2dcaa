import assert from "node:assert/strict";
import path from "node:path";
import pl from "nodejs-polars";
import { isStreamlabError } from "../../lib/errors";
import { pipelineParams, purchasesFigure, seededRandom, iotReadings, checkDeliveries } from "../../lib/pipelines";

describe("pipeline notebook parameters", () => {
  it("reads STREAMLAB_* variables with per-notebook defaults; headless picks any free port", () => {
    const p = pipelineParams({ count: 60, seed: 1, port: 5000, out: "results/game" }, { STREAMLAB_COUNT: "12", STREAMLAB_BOOTSTRAP: "h:1", STREAMLAB_TOPIC_PREFIX: "Px" });
    assert.equal(p.count, 12);
    assert.equal(p.seed, 1);
    assert.equal(p.port, 5000);
    assert.deepEqual(p.kafka, { bootstrap: "h:1", topicPrefix: "Px" });
    assert.ok(path.isAbsolute(p.out) && p.out.endsWith(path.join("results", "game")));
    assert.equal(pipelineParams({ count: 1, port: 5000 }, { STREAMLAB_HEADLESS: "1" }).port, 0);
  });

  it("names the variable in a BAD_OPTION error", () => {
    assert.throws(() => pipelineParams({ count: 1 }, { STREAMLAB_COUNT: "lots" }), (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "STREAMLAB_COUNT");
    assert.throws(() => pipelineParams({ count: 1 }, { STREAMLAB_PORT: "70000" }), (e) => isStreamlabError(e, "BAD_OPTION") && e.context.option === "STREAMLAB_PORT");
  });
});

describe("purchases chart", () => {
  it("stacks the quantity bought per item, one trace per colour, missing pairs as 0", () => {
    const frame = pl.DataFrame({ item: ["bow", "bow", "sword"], color: ["red", null, "red"], bought: [2, 3, 5] });
    const fig = purchasesFigure(frame);
    assert.deepEqual(fig.data.map((t) => [t.name, t.x, t.y]), [
      ["none", ["bow", "sword"], [3, 0]],
      ["red", ["bow", "sword"], [2, 5]],
    ]);
    assert.equal(fig.layout.barmode, "stack");
  });

  it("says which column is missing", () => {
    assert.throws(() => purchasesFigure(pl.DataFrame({ item: ["a"], quantity: [1] })), (e) => isStreamlabError(e, "BAD_OPTION") && /missing color/.test((e as Error).message));
  });
});

describe("seeded randomness and delivery checks", () => {
  it("seededRandom repeats from a seed and stays in [0, 1)", () => {
    const a = seededRandom(3);
    const b = seededRandom(3);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
  });

  it("checkDeliveries reports missing and duplicated messages per group", () => {
    const sent = iotReadings({ count: 3, seed: 1 });
    const d = (consumer: string, seq: number) => ({ group: "g", consumer, partition: 0, offset: seq, seq, sensor_id: "s" });
    const [check] = checkDeliveries(sent, [d("g/c1", 0), d("g/c2", 0), d("g/c1", 2)], { g: 2 });
    assert.deepEqual(check.missing, [1]);
    assert.deepEqual(check.duplicated, [0]);
    assert.deepEqual(check.perConsumer, { "g/c1": 2, "g/c2": 1 });
  });
});
