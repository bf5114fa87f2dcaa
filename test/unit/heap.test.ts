import assert from "node:assert/strict";
import { uniformSource } from "../../lib/generate/random";
import { MinHeap } from "../../lib/replay/heap";

/** A small deterministic PRNG (the generator's) so failures reproduce. */
const rng = (seed: number): (() => number) => uniformSource(seed);

describe("MinHeap", () => {
  it("is empty at first: size 0, peek and pop give undefined", () => {
    const heap = new MinHeap<number>((a, b) => a - b);
    assert.equal(heap.size, 0);
    assert.equal(heap.peek(), undefined);
    assert.equal(heap.pop(), undefined);
  });

  it("pops numbers in ascending order and peek shows the next without removing it", () => {
    const heap = new MinHeap<number>((a, b) => a - b);
    for (const n of [5, 3, 8, 1, 9, 2]) heap.push(n);
    assert.equal(heap.peek(), 1);
    assert.equal(heap.size, 6);
    const out: number[] = [];
    for (let x = heap.pop(); x !== undefined; x = heap.pop()) out.push(x);
    assert.deepEqual(out, [1, 2, 3, 5, 8, 9]);
    assert.equal(heap.size, 0);
  });

  it("is stable: items with equal keys come out in the order they were pushed", () => {
    const heap = new MinHeap<{ key: number; id: number }>((a, b) => a.key - b.key);
    const items = [3, 1, 3, 2, 1, 3, 2, 1].map((key, id) => ({ key, id }));
    items.forEach((i) => heap.push(i));
    const out: number[] = [];
    for (let x = heap.pop(); x; x = heap.pop()) out.push(x.id);
    assert.deepEqual(out, [1, 4, 7, 3, 6, 0, 2, 5]);
  });

  it("matches a stable sort for many random pushes interleaved with pops", () => {
    const random = rng(7);
    const heap = new MinHeap<{ key: number; id: number }>((a, b) => a.key - b.key);
    const pending: { key: number; id: number }[] = [];
    const popped: number[] = [];
    const expected: number[] = [];
    for (let id = 0; id < 5000; id++) {
      const item = { key: Math.floor(random() * 100), id };
      heap.push(item);
      pending.push(item);
      if (random() < 0.3) {
        // the expected minimum: smallest key, earliest id among equals
        pending.sort((a, b) => a.key - b.key || a.id - b.id);
        expected.push(pending.shift()!.id);
        popped.push(heap.pop()!.id);
      }
    }
    pending.sort((a, b) => a.key - b.key || a.id - b.id);
    expected.push(...pending.map((p) => p.id));
    for (let x = heap.pop(); x; x = heap.pop()) popped.push(x.id);
    assert.deepEqual(popped, expected);
  });
});
