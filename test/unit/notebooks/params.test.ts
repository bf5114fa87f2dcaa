import { strict as assert } from "node:assert";
import * as path from "node:path";
import { isStreamlabError } from "../../../lib/errors";
import { formatParams, notebookParams, projectRoot } from "../../../lib/notebooks/options";

const ROOT = path.resolve(__dirname, "../../..");

function badOption(fn: () => unknown, option: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isStreamlabError(e, "BAD_OPTION"), `expected BAD_OPTION, got ${String(e)}`);
    assert.equal(e.context.option, option);
    return true;
  });
}

describe("notebookParams", () => {
  it("finds the project folder from the module's own location", () => {
    assert.equal(projectRoot(), ROOT);
  });

  it("defaults suit an interactive run: real time, no loop, no limit, the bundled sample", () => {
    const p = notebookParams({});
    assert.deepEqual(p, { data: path.join(ROOT, "data/bdd"), bootstrap: undefined, topicPrefix: undefined, speed: 1, loop: false, timeLimit: undefined, sample: 5, headless: false });
  });

  it("reads every STREAMLAB_* variable", () => {
    const p = notebookParams({
      STREAMLAB_DATA: "/tmp/bdd", STREAMLAB_BOOTSTRAP: "broker-1:9092, broker-2:9093", STREAMLAB_TOPIC_PREFIX: "NbTest1",
      STREAMLAB_SPEED: "max", STREAMLAB_LOOP: "yes", STREAMLAB_TIME_LIMIT: "2 minutes", STREAMLAB_SAMPLE: "3", STREAMLAB_HEADLESS: "1",
    });
    assert.deepEqual(p, { data: "/tmp/bdd", bootstrap: "broker-1:9092,broker-2:9093", topicPrefix: "NbTest1", speed: "max", loop: true, timeLimit: 120, sample: 3, headless: true });
  });

  it("takes a relative STREAMLAB_DATA from the project folder, not the notebook's", () => {
    assert.equal(notebookParams({ STREAMLAB_DATA: "../shared/data/bdd" }).data, path.resolve(ROOT, "../shared/data/bdd"));
  });

  it("treats empty variables as unset and STREAMLAB_TIME_LIMIT=none as no limit", () => {
    const p = notebookParams({ STREAMLAB_SPEED: " ", STREAMLAB_TIME_LIMIT: "none" });
    assert.equal(p.speed, 1);
    assert.equal(p.timeLimit, undefined);
  });

  it("names the variable in a BAD_OPTION error for each bad value", () => {
    badOption(() => notebookParams({ STREAMLAB_SPEED: "fast" }), "STREAMLAB_SPEED");
    badOption(() => notebookParams({ STREAMLAB_SPEED: "0" }), "STREAMLAB_SPEED");
    badOption(() => notebookParams({ STREAMLAB_LOOP: "maybe" }), "STREAMLAB_LOOP");
    badOption(() => notebookParams({ STREAMLAB_TIME_LIMIT: "soon" }), "STREAMLAB_TIME_LIMIT");
    badOption(() => notebookParams({ STREAMLAB_TIME_LIMIT: "0s" }), "STREAMLAB_TIME_LIMIT");
    badOption(() => notebookParams({ STREAMLAB_SAMPLE: "2.5" }), "STREAMLAB_SAMPLE");
    badOption(() => notebookParams({ STREAMLAB_BOOTSTRAP: "localhost" }), "STREAMLAB_BOOTSTRAP");
  });

  it("rejects a topic prefix Kafka would refuse, naming the variable", () => {
    assert.throws(() => notebookParams({ STREAMLAB_TOPIC_PREFIX: "Doe John" }), (e: unknown) => isStreamlabError(e, "INVALID_TOPIC") && /STREAMLAB_TOPIC_PREFIX/.test(e.message));
  });

  it("formats one line per parameter for the first cell", () => {
    const text = formatParams(notebookParams({ STREAMLAB_SPEED: "20", STREAMLAB_TIME_LIMIT: "90s" }));
    assert.match(text, /^speed\s+20$/m);
    assert.match(text, /^timeLimit\s+90 s$/m);
    assert.match(text, /^bootstrap\s+\(default/m);
  });
});
