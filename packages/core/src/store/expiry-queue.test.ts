import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpiryQueue } from './expiry-queue.js';

function drain(queue: ExpiryQueue): number[] {
  const out: number[] = [];
  for (let item = queue.pop(); item !== undefined; item = queue.pop()) out.push(item.expiresAt);
  return out;
}

describe('ExpiryQueue', () => {
  it('is empty at first and after clear()', () => {
    const queue = new ExpiryQueue();
    expect(queue.size).toBe(0);
    expect(queue.peek()).toBeUndefined();
    expect(queue.pop()).toBeUndefined();
    queue.push({ expiresAt: 1, key: 'a', generation: 1 });
    queue.clear();
    expect(queue.size).toBe(0);
    expect(queue.pop()).toBeUndefined();
  });

  it('pops in expiry order whatever the push order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 200 }), (times) => {
        const queue = new ExpiryQueue();
        for (const [generation, expiresAt] of times.entries()) queue.push({ expiresAt, key: 'k', generation });
        expect(queue.size).toBe(times.length);
        expect(queue.peek()?.expiresAt).toBe(times.length === 0 ? undefined : Math.min(...times));
        expect(drain(queue)).toEqual([...times].sort((a, b) => a - b));
      }),
    );
  });

  it('rebuild() replaces the content and keeps heap order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 200 }), (times) => {
        const queue = new ExpiryQueue();
        queue.push({ expiresAt: Number.MIN_SAFE_INTEGER, key: 'old', generation: 0 });
        queue.rebuild(times.map((expiresAt, generation) => ({ expiresAt, key: 'k', generation })));
        expect(drain(queue)).toEqual([...times].sort((a, b) => a - b));
      }),
    );
  });
});
