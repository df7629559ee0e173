import { grown } from './typed-columns.js';

/**
 * A binary min-heap of expiries, earliest first. Each item is three numbers: when it expires,
 * the store slot it names and the generation it was scheduled as. `MemoryStore` pushes an item
 * when a write or touch moves an entry's expiry earlier than its queued item (a later expiry is
 * re-pushed only when the earlier item comes due) and never removes superseded items in place;
 * a popped item whose generation no longer matches the slot's is simply stale. This keeps
 * reclaiming expired sessions at O(log n) each instead of a full scan per write.
 *
 * The items live in typed arrays, not in one object each: a million queued sessions are three
 * arrays outside the garbage-collected heap instead of a million objects (and their boxed
 * times) for the collector to trace and copy (see docs/performance.md, "Memory store flat").
 */
export class ExpiryQueue {
  #times = new Float64Array(16);
  #slots = new Int32Array(16);
  #generations = new Float64Array(16);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** The earliest expiry held, or `Infinity` when empty. */
  peekTime(): number {
    return this.#size === 0 ? Number.POSITIVE_INFINITY : this.#times[0]!;
  }

  /** The slot of the earliest item (meaningful only when `size > 0`). */
  peekSlot(): number {
    return this.#slots[0]!;
  }

  /** The generation of the earliest item (meaningful only when `size > 0`). */
  peekGeneration(): number {
    return this.#generations[0]!;
  }

  push(expiresAt: number, slot: number, generation: number): void {
    this.#reserve(this.#size + 1);
    const times = this.#times;
    const slots = this.#slots;
    const generations = this.#generations;
    let index = this.#size++;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (times[parent]! <= expiresAt) break;
      times[index] = times[parent]!;
      slots[index] = slots[parent]!;
      generations[index] = generations[parent]!;
      index = parent;
    }
    times[index] = expiresAt;
    slots[index] = slot;
    generations[index] = generation;
  }

  /** Removes the earliest item (nothing when empty). */
  pop(): void {
    if (this.#size === 0) return;
    const last = --this.#size;
    if (last > 0) this.#siftDown(0, this.#times[last]!, this.#slots[last]!, this.#generations[last]!);
  }

  /** Adds an item without restoring heap order: call `heapify()` after the last one. */
  append(expiresAt: number, slot: number, generation: number): void {
    this.#reserve(this.#size + 1);
    const index = this.#size++;
    this.#times[index] = expiresAt;
    this.#slots[index] = slot;
    this.#generations[index] = generation;
  }

  /** Restores heap order after `append` calls (O(n)). */
  heapify(): void {
    for (let index = (this.#size >> 1) - 1; index >= 0; index--) {
      this.#siftDown(index, this.#times[index]!, this.#slots[index]!, this.#generations[index]!);
    }
  }

  /** Empties the queue; `release` also gives its arrays back (the store was closed). */
  clear(release = false): void {
    this.#size = 0;
    if (release) {
      this.#times = new Float64Array(16);
      this.#slots = new Int32Array(16);
      this.#generations = new Float64Array(16);
    }
  }

  /** Places the item (time, slot, generation) at `start` or below it, moving smaller children up. */
  #siftDown(start: number, time: number, slot: number, generation: number): void {
    const times = this.#times;
    const slots = this.#slots;
    const generations = this.#generations;
    const size = this.#size;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && times[right]! < times[left]! ? right : left;
      if (times[child]! >= time) break;
      times[index] = times[child]!;
      slots[index] = slots[child]!;
      generations[index] = generations[child]!;
      index = child;
    }
    times[index] = time;
    slots[index] = slot;
    generations[index] = generation;
  }

  #reserve(length: number): void {
    if (length <= this.#times.length) return;
    const capacity = Math.max(length, this.#times.length * 2);
    this.#times = grown(this.#times, capacity);
    this.#slots = grown(this.#slots, capacity);
    this.#generations = grown(this.#generations, capacity);
  }
}
