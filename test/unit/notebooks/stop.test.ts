import { strict as assert } from "node:assert";
import { stopOnInterrupt } from "../../../lib/notebooks/stop";

/** The SIGINT listener stopOnInterrupt added (called directly: emitting SIGINT would reach mocha too). */
function addedListener(before: Function[]): () => void {
  const added = process.listeners("SIGINT").filter((l) => !before.includes(l));
  assert.equal(added.length, 1);
  return added[0] as () => void;
}

describe("stopOnInterrupt", () => {
  it("aborts its signal on a kernel interrupt (SIGINT) and stops listening", () => {
    const before = process.listeners("SIGINT");
    const stop = stopOnInterrupt();
    const onInterrupt = addedListener(before);
    assert.equal(stop.signal.aborted, false);
    onInterrupt();
    assert.equal(stop.signal.aborted, true);
    assert.deepEqual(process.listeners("SIGINT"), before);
  });

  it("abort() by hand also removes the listener", () => {
    const before = process.listeners("SIGINT");
    const stop = stopOnInterrupt();
    stop.abort();
    assert.equal(stop.signal.aborted, true);
    assert.deepEqual(process.listeners("SIGINT"), before);
  });

  it("dispose() stops listening without aborting", () => {
    const before = process.listeners("SIGINT");
    const stop = stopOnInterrupt();
    stop.dispose();
    assert.equal(stop.signal.aborted, false);
    assert.deepEqual(process.listeners("SIGINT"), before);
  });
});
