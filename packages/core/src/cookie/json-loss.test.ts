import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonLossOf } from './json-loss.js';

/**
 * Whether `back` (what JSON gave back) is `sent` as far as a reader can tell: same primitives
 * (`0` and `-0` alike, as `===` has them), same elements, same keys once properties holding
 * `undefined` are left out (they read as absent either way); prototypes are not compared (a
 * null-prototype object comes back as a plain one).
 */
function readsTheSame(sent: unknown, back: unknown): boolean {
  if (typeof sent !== 'object' || sent === null || typeof back !== 'object' || back === null) return sent === back;
  if (Array.isArray(sent) !== Array.isArray(back)) return false;
  const held = (object: object) =>
    Object.keys(object).filter((key) => (object as Record<string, unknown>)[key] !== undefined);
  const sentKeys = held(sent);
  const backKeys = held(back);
  if (sentKeys.length !== backKeys.length) return false;
  return sentKeys.every(
    (key) =>
      Object.hasOwn(back, key) &&
      readsTheSame((sent as Record<string, unknown>)[key], (back as Record<string, unknown>)[key]),
  );
}

describe('jsonLossOf', () => {
  it('is null for JSON values', () => {
    for (const value of [null, '', 'text', true, false, 0, -1.5, [], {}, [null, [{}]], { a: { b: [1, 'x', false] } }]) {
      expect(jsonLossOf(value)).toBeNull();
    }
  });

  it.each<[string, unknown, string]>([
    ['undefined', undefined, 'undefined'],
    ['NaN', Number.NaN, 'NaN'],
    ['Infinity', Number.POSITIVE_INFINITY, 'Infinity'],
    ['-Infinity', [Number.NEGATIVE_INFINITY], '-Infinity'],
    ['a bigint', { n: 1n }, 'a bigint'],
    ['a function', { f: () => 1 }, 'a function'],
    ['a toJSON method', { toJSON: () => 'x' }, 'a function'],
    ['a symbol', [Symbol('s')], 'a symbol'],
    ['a Date', new Date(0), 'an instance of Date'],
    ['a Map', new Map(), 'an instance of Map'],
    ['a RegExp', { pattern: /x/ }, 'an instance of RegExp'],
    ['a boxed string', new String('x'), 'an instance of String'],
    ['a typed array', new Uint8Array(2), 'an instance of Uint8Array'],
    ['an object whose prototype is another plain object', Object.create({}), 'an instance of Object'],
    [
      'an object whose prototype has no constructor',
      Object.create(Object.create(null) as object) as object,
      'an object with a prototype other than Object.prototype',
    ],
    ['an array subclass', new (class List extends Array {})(), 'an instance of List'],
    // biome-ignore lint/suspicious/noSparseArray: the hole is what is tested
    ['an array hole', [1, , 2], 'an undefined element or a hole in an array'],
    ['an undefined element', [1, undefined], 'an undefined element or a hole in an array'],
    [
      'a named property on an array',
      Object.assign([1], { note: 'x' }),
      'a property on an array other than its elements',
    ],
    ['a symbol key', { [Symbol('k')]: 1 }, 'a symbol key'],
    [
      'a non-enumerable property',
      Object.defineProperty({}, 'hidden', { value: 1, enumerable: false }),
      'a non-enumerable property',
    ],
  ])('names %s', (_label, value, loss) => {
    expect(jsonLossOf(value)).toBe(loss);
  });

  it('tells a cycle from a shared reference', () => {
    const shared = { id: 1 };
    expect(jsonLossOf({ a: shared, b: [shared, shared] })).toBeNull();
    const cycle: Record<string, unknown> = { child: {} };
    (cycle.child as Record<string, unknown>).parent = cycle;
    expect(jsonLossOf(cycle)).toBe('a circular reference');
    const loop: unknown[] = [];
    loop.push([loop]);
    expect(jsonLossOf(loop)).toBe('a circular reference');
  });

  it('accepts null-prototype objects and properties holding undefined', () => {
    expect(jsonLossOf(Object.assign(Object.create(null) as object, { a: 1 }))).toBeNull();
    expect(jsonLossOf({ a: undefined, b: 1 })).toBeNull();
  });

  it('walks a deeply nested value without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(jsonLossOf(deep)).toBeNull();
    expect(jsonLossOf([deep, new Date()])).toBe('an instance of Date');
  });

  it('property: every JSON value passes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(jsonLossOf(value)).toBeNull();
      }),
    );
  });

  it('property: whatever passes comes back from JSON as it went in', () => {
    const anything = fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
    });
    fc.assert(
      fc.property(anything, (value) => {
        if (jsonLossOf(value) !== null) return;
        expect(readsTheSame(value, JSON.parse(JSON.stringify(value)))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
