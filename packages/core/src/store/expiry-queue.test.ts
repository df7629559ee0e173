import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpiryQueue } from './expiry-queue.js';

/** Pops every item, earliest first, as [time, slot, generation]. */
function drain(queue: ExpiryQueue): [number, number, number][] {
  const out: [number, number, number][] = [];
  while (queue.size > 0) {
    out.push([queue.peekTime(), queue.peekSlot(), queue.peekGeneration()]);
    queue.pop();
  }
  return out;
}

const byTime = (a: [number, number, number], b: [number, number, number]): number => a[0] - b[0] || a[1] - b[1];

describe('ExpiryQueue', () => {
  it('is empty at first and after clear()', () => {
    const queue = new ExpiryQueue();
    expect(queue.size).toBe(0);
    expect(queue.peekTime()).toBe(Number.POSITIVE_INFINITY);
    queue.pop();
    expect(queue.size).toBe(0);
    queue.push(1, 7, 1);
    expect(queue.peekTime()).toBe(1);
    queue.clear();
    expect(queue.size).toBe(0);
    expect(queue.peekTime()).toBe(Number.POSITIVE_INFINITY);
    queue.push(2, 3, 4);
    queue.clear(true);
    expect(queue.size).toBe(0);
  });

  it('pops in expiry order whatever the push order, each item with its own slot and generation', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 300 }), (times) => {
        const queue = new ExpiryQueue();
        // Slot i, generation 2^40 + i: both must travel with their time through every move.
        const items = times.map((time, index): [number, number, number] => [time, index, 2 ** 40 + index]);
        for (const [time, slot, generation] of items) queue.push(time, slot, generation);
        expect(queue.size).toBe(times.length);
        const drained = drain(queue);
        expect(drained.map((item) => item[0])).toEqual([...times].sort((a, b) => a - b));
        expect([...drained].sort(byTime)).toEqual([...items].sort(byTime));
      }),
    );
  });

  it('append() + heapify() replace the content and keep heap order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 300 }), (times) => {
        const queue = new ExpiryQueue();
        queue.push(Number.MIN_SAFE_INTEGER, 99, 0);
        queue.clear();
        const items = times.map((time, index): [number, number, number] => [time, index, index + 0.5]);
        for (const [time, slot, generation] of items) queue.append(time, slot, generation);
        queue.heapify();
        const drained = drain(queue);
        expect(drained.map((item) => item[0])).toEqual([...times].sort((a, b) => a - b));
        expect([...drained].sort(byTime)).toEqual([...items].sort(byTime));
      }),
    );
  });

  it('interleaved pushes and pops always pop the earliest held', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }), { maxLength: 300 }), (ops) => {
        const queue = new ExpiryQueue();
        const model: number[] = [];
        for (const [index, op] of ops.entries()) {
          if (op === null) {
            model.sort((a, b) => a - b);
            expect(queue.peekTime()).toBe(model[0] ?? Number.POSITIVE_INFINITY);
            model.shift();
            queue.pop();
          } else {
            model.push(op);
            queue.push(op, index, index);
          }
          expect(queue.size).toBe(model.length);
        }
      }),
    );
  });
});
