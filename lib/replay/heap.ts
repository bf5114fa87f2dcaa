/**
 * A small binary min-heap (a priority queue), the replay's event queue.
 *
 * Stable on ties: two items that compare equal come out in the order they were pushed, so the
 * replay is deterministic (Python's `heapq` gets the same effect by pushing `(key, seq, item)`
 * tuples; we keep the sequence number inside the heap).
 *
 * @example
 * const heap = new MinHeap<number>((a, b) => a - b);
 * heap.push(3); heap.push(1); heap.push(2);
 * heap.pop(); // 1
 * heap.size;  // 2
 */
export class MinHeap<T> {
  private readonly items: { value: T; seq: number }[] = [];
  private seq = 0;

  /** @param compare negative when `a` comes first, positive when `b` does, 0 on a tie. */
  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  /** Adds an item in O(log n). */
  push(value: T): void {
    this.items.push({ value, seq: this.seq++ });
    this.up(this.items.length - 1);
  }

  /** The smallest item without removing it, or undefined when empty. */
  peek(): T | undefined {
    return this.items[0]?.value;
  }

  /** Removes and returns the smallest item (the earliest pushed among equals), or undefined. */
  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      this.down(0);
    }
    return top.value;
  }

  private less(i: number, j: number): boolean {
    const a = this.items[i];
    const b = this.items[j];
    const c = this.compare(a.value, b.value);
    return c < 0 || (c === 0 && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const t = this.items[i];
    this.items[i] = this.items[j];
    this.items[j] = t;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.less(right, left) ? right : left;
      if (!this.less(child, i)) return;
      this.swap(i, child);
      i = child;
    }
  }
}
