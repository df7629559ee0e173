import { describe, expect, it } from 'vitest';
import { BoundedCache } from './bounded-cache.js';

describe('BoundedCache', () => {
  it('a full cache evicts the least recently used entry', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('setting an existing key replaces it without evicting another', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10);
    expect(cache.get('a')).toBe(10);
    expect(cache.get('b')).toBe(2);
  });

  it('deleted entries are gone; capacity 0 keeps nothing', () => {
    const cache = new BoundedCache<string, number>(1);
    cache.set('a', 1);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    const none = new BoundedCache<string, number>(0);
    none.set('a', 1);
    expect(none.get('a')).toBeUndefined();
  });
});

describe('BoundedCache: two generations', () => {
  const present = (cache: BoundedCache<number, number>, upTo: number) => {
    let count = 0;
    for (let key = 0; key < upTo; key++) if (cache.get(key) !== undefined) count++;
    return count;
  };

  it('never holds more than its capacity, whatever the capacity', () => {
    for (const capacity of [1, 2, 3, 7, 8, 100]) {
      const cache = new BoundedCache<number, number>(capacity);
      for (let key = 0; key < capacity * 5; key++) cache.set(key, key);
      // Counting through get() promotes entries, which must not let more than capacity survive.
      expect(present(cache, capacity * 5)).toBeLessThanOrEqual(capacity);
      expect(present(cache, capacity * 5)).toBeLessThanOrEqual(capacity);
      // The most recent insertion is always there.
      expect(cache.get(capacity * 5 - 1)).toBe(capacity * 5 - 1);
    }
  });

  it('keeps at least half its capacity of the most recent entries', () => {
    const cache = new BoundedCache<number, number>(100);
    for (let key = 0; key < 1000; key++) cache.set(key, key);
    for (let key = 950; key < 1000; key++) expect(cache.get(key)).toBe(key);
  });

  it('an entry used once every capacity / 2 insertions is never dropped', () => {
    const cache = new BoundedCache<string, number>(10);
    cache.set('kept', 1);
    for (let key = 0; key < 1000; key++) {
      cache.set(`other-${key}`, key);
      if (key % 5 === 4) expect(cache.get('kept')).toBe(1);
    }
    expect(cache.get('other-0')).toBeUndefined();
  });

  it('delete removes an entry from either generation, and a promoted entry stays deleted', () => {
    const cache = new BoundedCache<string, number>(4);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3); // a and b are now the previous generation
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe(2); // promoted to the current generation
    cache.delete('b');
    expect(cache.get('b')).toBeUndefined();
    cache.set('d', 4);
    cache.set('e', 5);
    expect(cache.get('b')).toBeUndefined();
  });

  it('setting a key held in the previous generation replaces its value', () => {
    const cache = new BoundedCache<string, number>(4);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    cache.set('a', 10);
    expect(cache.get('a')).toBe(10);
    cache.set('d', 4);
    cache.set('e', 5);
    expect(cache.get('a')).toBe(10);
  });

  it('a negative, fractional or non-finite capacity keeps nothing or its whole part', () => {
    for (const capacity of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const cache = new BoundedCache<string, number>(capacity);
      cache.set('a', 1);
      expect(cache.get('a')).toBeUndefined();
    }
    const cache = new BoundedCache<number, number>(2.9);
    for (let key = 0; key < 10; key++) cache.set(key, key);
    expect(present(cache, 10)).toBeLessThanOrEqual(2);
  });
});
