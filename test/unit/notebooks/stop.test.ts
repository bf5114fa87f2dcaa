import { strict as assert } from "node:assert";
import { stopOnInterrupt } from "../../../lib/notebooks/stop";

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The SIGINT listener stopOnInterrupt added (called directly: emitting SIGINT would reach mocha too). */
function addedListener(before: Function[]): () => void {
  const added = process.listeners("SIGINT").filter((l) => !before.includes(l));
  assert.equal(added.length, 1);
  return added[0] as () => void;
}

describe("stopOnInterrupt", () => {
  it("listens from the next turn of the event loop (not inside the cell's vm run) and aborts on SIGINT", async () => {
    const before = process.listeners("SIGINT");
    const stop = stopOnInterrupt();
    assert.deepEqual(process.listeners("SIGINT"), before, "no listener may be added synchronously");
    await nextTurn();
    const onInterrupt = addedListener(before);
    assert.equal(stop.signal.aborted, false);
    onInterrupt();
    assert.equal(stop.signal.aborted, true);
    assert.deepEqual(process.listeners("SIGINT"), before);
  });

  it("abort() by hand also removes the listener", async () => {
    const before = process.listeners("SIGINT");
    const stop = stopOnInterrupt();
    await nextTurn();
    stop.abort();
    assert.equal(stop.signal.aborted, true);
    assert.deepEqual(process.listeners("SIGINT"), before);
  });

  it("dispose() before the listener is added means it never is", async () => {
    const before = process.listeners("SIGINT");
    const stop = stopOnInterrupt();
    stop.dispose();
    await nextTurn();
    assert.equal(stop.signal.aborted, false);
    assert.deepEqual(process.listeners("SIGINT"), before);
  });
});
