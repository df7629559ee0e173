import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSpartanError } from '../errors/errors.js';
import type { StoredSession } from '../ports.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { describeStoreConformance } from '../testing/store-conformance.js';
import { makeStoredSession } from '../testing/stored-session.js';
import { MemoryStore } from './memory-store.js';

const HOUR = 3_600_000;

const conformanceClock = createFakeClock();
describeStoreConformance('MemoryStore', {
  create: () => new MemoryStore({ clock: conformanceClock }),
  clock: conformanceClock,
});

describeStoreConformance('MemoryStore (system clock, default options)', { create: () => new MemoryStore() });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the promise to reject');
    },
    (error: unknown) => error,
  );
}

describe('MemoryStore: bound (second-chance eviction)', () => {
  it('evicts the least recently used session when full', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 3, clock });
    for (const key of ['a', 'b', 'c']) {
      await store.set(key, makeStoredSession(), { expiresAt: clock.now() + HOUR, expectedVersion: null });
    }
    await store.set('d', makeStoredSession(), { expiresAt: clock.now() + HOUR, expectedVersion: null });
    expect(await store.get('a')).toBeNull();
    for (const key of ['b', 'c', 'd']) expect(await store.get(key)).not.toBeNull();
    expect(store.stats().sessions).toBe(3);
  });

  it('a session read since the sweep last passed survives eviction over one that was not (second chance)', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 3, clock });
    const expiresAt = clock.now() + HOUR;
    for (const key of ['a', 'b', 'c']) await store.set(key, makeStoredSession(), { expiresAt, expectedVersion: null });
    // A full store without any use since: the oldest goes.
    await store.set('d', makeStoredSession(), { expiresAt, expectedVersion: null });
    expect(await store.getSync('a')).toBeNull();
    // b is next in line, but was read since: c goes instead.
    store.getSync('b');
    await store.set('e', makeStoredSession(), { expiresAt, expectedVersion: null });
    expect(store.getSync('c')).toBeNull();
    expect(store.getSync('b')).not.toBeNull();
    expect(store.stats().sessions).toBe(3);
  });

  it('a touch and a re-set count as use; a re-set of a held key never evicts and keeps its slot', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 3, clock });
    const expiresAt = clock.now() + HOUR;
    for (const key of ['a', 'b', 'c', 'd']) {
      await store.set(key, makeStoredSession(), { expiresAt, expectedVersion: null });
    }
    // 'a' was evicted by the first sweep; b, c, d are unmarked, in that order.
    await store.touch('b', expiresAt + 1);
    expect(await store.set('c', makeStoredSession({ version: 2 }), { expiresAt, expectedVersion: 1 })).toBe(true);
    expect(store.stats().sessions).toBe(3);
    // b (touched) and c (re-set) are spared: d goes.
    await store.set('e', makeStoredSession(), { expiresAt, expectedVersion: null });
    expect(await store.get('d')).toBeNull();
    expect((await store.get('c'))?.version).toBe(2);
    expect(await store.get('b')).not.toBeNull();
  });

  it('a session just added is not the next one evicted while older unused ones remain', () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 3, clock });
    const expiresAt = clock.now() + HOUR;
    for (const key of ['a', 'b', 'c']) store.setSync(key, makeStoredSession(), { expiresAt, expectedVersion: null });
    store.getSync('a');
    store.getSync('b');
    // The sweep spares a and b (clearing their marks, sending them to the back) and evicts c.
    store.setSync('d', makeStoredSession(), { expiresAt, expectedVersion: null });
    expect(store.getSync('c')).toBeNull();
    // a and b have not been used since that sweep, d has never been swept: a goes, not d.
    store.setSync('e', makeStoredSession(), { expiresAt, expectedVersion: null });
    expect(store.getSync('a')).toBeNull();
    expect(store.getSync('d')).not.toBeNull();
    expect(store.getSync('b')).not.toBeNull();
  });

  it('never holds more than maxSessions, whatever is read', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 5, clock });
    const expiresAt = clock.now() + HOUR;
    for (let i = 0; i < 200; i++) {
      store.setSync(`k${i}`, makeStoredSession(), { expiresAt, expectedVersion: null });
      store.getSync(`k${i % 7}`);
      store.getSync(`k${i - 1}`);
      expect(store.stats().sessions).toBeLessThanOrEqual(5);
    }
    expect(store.getSync('k199')).not.toBeNull();
  });

  it('eviction removes the index entry of the evicted session', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 2, clock });
    const expiresAt = clock.now() + HOUR;
    await store.set('a', makeStoredSession({ userId: 'alice' }), { expiresAt, expectedVersion: null });
    await store.set('b', makeStoredSession({ userId: 'bob' }), { expiresAt, expectedVersion: null });
    await store.set('c', makeStoredSession({ userId: 'carol' }), { expiresAt, expectedVersion: null });
    expect(await store.listByUser('alice')).toEqual([]);
    expect(store.stats()).toEqual({ sessions: 2, users: 2, indexedSessions: 2 });
  });

  it('reclaims expired sessions before evicting a live one', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 2, clock });
    // 'old' is the least recently used but lives long; 'brief' expires.
    await store.set('old', makeStoredSession(), { expiresAt: clock.now() + HOUR, expectedVersion: null });
    await store.set('brief', makeStoredSession(), { expiresAt: clock.now() + 1000, expectedVersion: null });
    clock.advance(1000);
    await store.set('new', makeStoredSession(), { expiresAt: clock.now() + HOUR, expectedVersion: null });
    expect(await store.get('old')).not.toBeNull();
    expect(await store.get('new')).not.toBeNull();
  });

  it('a write that expires at once never evicts a live session', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 2, clock });
    await store.set('a', makeStoredSession(), { expiresAt: clock.now() + HOUR, expectedVersion: null });
    await store.set('b', makeStoredSession(), { expiresAt: clock.now() + HOUR, expectedVersion: null });
    expect(await store.set('dead', makeStoredSession(), { expiresAt: clock.now(), expectedVersion: null })).toBe(true);
    expect(store.stats().sessions).toBe(2);
    expect(await store.get('a')).not.toBeNull();
    expect(await store.get('b')).not.toBeNull();
  });

  it('a touch into the past frees the slot at once', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ clock });
    await store.set('k', makeStoredSession({ userId: 'alice' }), {
      expiresAt: clock.now() + HOUR,
      expectedVersion: null,
    });
    await store.touch('k', clock.now());
    expect(store.stats()).toEqual({ sessions: 0, users: 0, indexedSessions: 0 });
  });

  it('stays bounded under many writes', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 100, clock });
    for (let index = 0; index < 5000; index++) {
      await store.set(`k${index}`, makeStoredSession({ userId: `u${index % 7}` }), {
        expiresAt: clock.now() + HOUR,
        expectedVersion: null,
      });
    }
    const stats = store.stats();
    expect(stats.sessions).toBe(100);
    expect(stats.indexedSessions).toBe(100);
    const listed = (await Promise.all(Array.from({ length: 7 }, (_, user) => store.listByUser(`u${user}`)))).flat();
    expect(listed.map((entry) => entry.key).sort()).toEqual(
      Array.from({ length: 100 }, (_, index) => `k${4900 + index}`).sort(),
    );
  });
});

describe('MemoryStore: expiry bookkeeping', () => {
  it('reclaims expired sessions and their index entries on the next operation of any kind', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ clock });
    for (let index = 0; index < 50; index++) {
      await store.set(`k${index}`, makeStoredSession({ userId: `u${index % 5}` }), {
        expiresAt: clock.now() + 1000 + index,
        expectedVersion: null,
      });
    }
    expect(store.stats()).toEqual({ sessions: 50, users: 5, indexedSessions: 50 });
    clock.advance(1025);
    await store.get('unrelated');
    expect(store.stats()).toEqual({ sessions: 24, users: 5, indexedSessions: 24 });
    clock.advance(HOUR);
    await store.destroy('unrelated');
    expect(store.stats()).toEqual({ sessions: 0, users: 0, indexedSessions: 0 });
  });

  it('keeps expiry exact after many touches (the expiry queue drops superseded entries)', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ clock });
    await store.set('hot', makeStoredSession(), { expiresAt: clock.now() + 1000, expectedVersion: null });
    await store.set('cold', makeStoredSession(), { expiresAt: clock.now() + 1000, expectedVersion: null });
    for (let index = 0; index < 3000; index++) {
      clock.advance(1);
      await store.touch('hot', clock.now() + 1000);
    }
    expect(await store.get('cold')).toBeNull();
    expect(await store.get('hot')).not.toBeNull();
    clock.advance(999);
    expect(await store.get('hot')).not.toBeNull();
    clock.advance(1);
    expect(await store.get('hot')).toBeNull();
  });

  it('a clock that goes backwards does not revive a reclaimed session', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ clock });
    await store.set('k', makeStoredSession(), { expiresAt: clock.now() + 1000, expectedVersion: null });
    clock.advance(1000);
    expect(await store.get('k')).toBeNull();
    clock.set(clock.now() - 5000);
    expect(await store.get('k')).toBeNull();
  });

  it('fails closed when the clock returns a non-finite time', async () => {
    let time = Number.NaN;
    const store = new MemoryStore({ clock: { now: () => time } });
    const error = await rejection(store.get('k'));
    expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
    expect((error as { details: unknown }).details).toEqual({ reason: 'clock' });
    time = Date.UTC(2026, 0, 1);
    await expect(store.get('k')).resolves.toBeNull();
  });

  it('close() forgets every session and leaves the store usable', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ clock });
    await store.set('k', makeStoredSession({ userId: 'alice' }), {
      expiresAt: clock.now() + HOUR,
      expectedVersion: null,
    });
    await store.close();
    expect(store.stats()).toEqual({ sessions: 0, users: 0, indexedSessions: 0 });
    expect(await store.get('k')).toBeNull();
    expect(await store.listByUser('alice')).toEqual([]);
    expect(await store.set('k', makeStoredSession(), { expiresAt: clock.now() + HOUR, expectedVersion: null })).toBe(
      true,
    );
  });
});

describe('MemoryStore: argument validation', () => {
  const clock = createFakeClock();
  const expiresAt = clock.now() + HOUR;

  it('rejects with reason invalid-argument and a message that names no key or data value', async () => {
    const store = new MemoryStore({ clock });
    const secretKey = 'k-SECRET-KEY';
    const bad = { ...makeStoredSession({ data: { token: 'SECRET-VALUE' } }), version: 0 };
    const error = await rejection(store.set(secretKey, bad, { expiresAt, expectedVersion: null }));
    expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
    const { message, details } = error as { message: string; details: Record<string, unknown> };
    expect(details).toEqual({ reason: 'invalid-argument', argument: 'record', field: 'version' });
    expect(message).toContain('record.version');
    expect(JSON.stringify({ message, details })).not.toMatch(/SECRET/);
  });

  it('rejects a record that cannot be serialized (BigInt, cycle) and stores nothing', async () => {
    const store = new MemoryStore({ clock });
    const cyclic: Record<string, unknown> = { token: 'SECRET-VALUE' };
    cyclic.self = cyclic;
    for (const data of [{ count: 10n }, cyclic]) {
      const error = await rejection(store.set('k', makeStoredSession({ data }), { expiresAt, expectedVersion: null }));
      expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
      expect((error as { details: unknown }).details).toEqual({ reason: 'invalid-argument', argument: 'record' });
      expect((error as Error).message).not.toMatch(/SECRET|self|token/);
    }
    expect(store.stats().sessions).toBe(0);
  });

  it('rejects a record whose toJSON would store something else', async () => {
    const store = new MemoryStore({ clock });
    const sneaky = { ...makeStoredSession(), toJSON: () => ({ version: 'one' }) };
    const vanishing = { ...makeStoredSession(), toJSON: () => undefined };
    const dataSwap = makeStoredSession({ data: { toJSON: () => 'not an object' } });
    for (const record of [sneaky, vanishing, dataSwap]) {
      const error = await rejection(store.set('k', record, { expiresAt, expectedVersion: null }));
      expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
    }
    expect(await store.get('k')).toBeNull();
  });

  it('stores data with JSON semantics, exactly as a Redis or Mongo store would read it back', async () => {
    const store = new MemoryStore({ clock });
    const when = new Date(Date.UTC(2026, 0, 2));
    const record = makeStoredSession({ data: { when, gone: undefined, list: [undefined] } });
    await store.set('k', record, { expiresAt, expectedVersion: null });
    expect((await store.get('k'))?.data).toEqual({ when: when.toISOString(), list: [null] });
  });

  it('accepts a null-prototype record and data', async () => {
    const store = new MemoryStore({ clock });
    const record = Object.assign(Object.create(null) as object, makeStoredSession(), {
      data: Object.assign(Object.create(null) as object, { a: 1 }),
    }) as StoredSession;
    expect(await store.set('k', record, { expiresAt, expectedVersion: null })).toBe(true);
    expect((await store.get('k'))?.data).toEqual({ a: 1 });
  });

  it('rejects an empty userId in a record and in listByUser', async () => {
    const store = new MemoryStore({ clock });
    const error = await rejection(
      store.set('k', makeStoredSession({ userId: '' }), { expiresAt, expectedVersion: null }),
    );
    expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
    expect(isSpartanError(await rejection(store.listByUser('')), 'sessions/store-unavailable')).toBe(true);
  });

  it('an expectedVersion of 0 is valid and never matches a stored record', async () => {
    const store = new MemoryStore({ clock });
    await store.set('k', makeStoredSession(), { expiresAt, expectedVersion: null });
    expect(await store.set('k', makeStoredSession({ version: 2 }), { expiresAt, expectedVersion: 0 })).toBe(false);
    expect(await store.set('absent', makeStoredSession(), { expiresAt, expectedVersion: 0 })).toBe(false);
  });
});

describe('MemoryStore: options', () => {
  it.each([
    ['maxSessions 0', { maxSessions: 0 }, 'maxSessions'],
    ['maxSessions -1', { maxSessions: -1 }, 'maxSessions'],
    ['maxSessions 1.5', { maxSessions: 1.5 }, 'maxSessions'],
    ['maxSessions NaN', { maxSessions: Number.NaN }, 'maxSessions'],
    ['maxSessions Infinity', { maxSessions: Number.POSITIVE_INFINITY }, 'maxSessions'],
    ['maxSessions "10"', { maxSessions: '10' }, 'maxSessions'],
    ['clock null', { clock: null }, 'clock'],
    ['clock without now()', { clock: {} }, 'clock'],
    ['clock.now not a function', { clock: { now: 5 } }, 'clock'],
    ['options null', null, 'options'],
    ['options a number', 5, 'options'],
  ])('throws sessions/option-type-incorrect for %s', (_label, options, option) => {
    let thrown: unknown;
    try {
      new MemoryStore(options as ConstructorParameters<typeof MemoryStore>[0]);
    } catch (error) {
      thrown = error;
    }
    expect(isSpartanError(thrown, 'sessions/option-type-incorrect')).toBe(true);
    expect((thrown as { details: unknown }).details).toEqual({ option });
  });

  it('accepts maxSessions 1 and holds a single session', async () => {
    const store = new MemoryStore({ maxSessions: 1 });
    const expiresAt = Date.now() + HOUR;
    await store.set('a', makeStoredSession(), { expiresAt, expectedVersion: null });
    await store.set('b', makeStoredSession(), { expiresAt, expectedVersion: null });
    expect(await store.get('a')).toBeNull();
    expect(await store.get('b')).not.toBeNull();
  });
});

describe('MemoryStore: production warning', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  /** A fresh copy of the module, so its warn-once flag starts unset. */
  async function freshMemoryStore(): Promise<typeof MemoryStore> {
    vi.resetModules();
    return (await import('./memory-store.js')).MemoryStore;
  }

  it('warns once per process when NODE_ENV=production', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const Fresh = await freshMemoryStore();
    new Fresh();
    new Fresh({ maxSessions: 5 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/MemoryStore.*production/);
  });

  it('does not warn outside production', async () => {
    vi.stubEnv('NODE_ENV', 'test');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const Fresh = await freshMemoryStore();
    new Fresh();
    expect(warn).not.toHaveBeenCalled();
  });

  it('works where there is no global process (edge runtimes, browsers)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const Fresh = await freshMemoryStore();
    vi.stubGlobal('process', undefined);
    let store: MemoryStore | undefined;
    try {
      store = new Fresh();
    } finally {
      vi.unstubAllGlobals();
    }
    expect(store).toBeInstanceOf(Fresh);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('MemoryStore: behaves like a reference model (property-based)', () => {
  type Operation =
    | {
        kind: 'set';
        key: string;
        userId: string | null;
        version: number;
        expected: number | null;
        ttl: number;
        extra: Partial<StoredSession>;
      }
    | { kind: 'get'; key: string }
    | { kind: 'touch'; key: string; ttl: number }
    | { kind: 'destroy'; key: string }
    | { kind: 'list'; userId: string }
    | { kind: 'advance'; ms: number };

  const userId = fc.constantFrom('u1', 'u2', 'u3');
  // The fields the store keeps outside the data (zone as a flag, authenticatedAt as NaN for null).
  const extra: fc.Arbitrary<Partial<StoredSession>> = fc.record({
    zone: fc.constantFrom('normal' as const, 'privileged' as const),
    authenticatedAt: fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: null }),
    csrfSecret: fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: null }),
    createdAt: fc.double({ min: -1e15, max: 1e15, noNaN: true, noDefaultInfinity: true }),
  });
  const shortOrLongTtl = fc.oneof(fc.integer({ min: -100, max: 3000 }), fc.integer({ min: 3000, max: 60_000 }));
  // Weighted so that a full store, reads between writes and evictions are common.
  const operations = (key: fc.Arbitrary<string>, ttl: fc.Arbitrary<number> = shortOrLongTtl): fc.Arbitrary<Operation> =>
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('set' as const),
          key,
          userId: fc.option(userId, { nil: null }),
          version: fc.integer({ min: 1, max: 4 }),
          expected: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null, freq: 2 }),
          ttl,
          extra,
        }),
      },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), key }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('touch' as const), key, ttl }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('destroy' as const), key }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('list' as const), userId }) },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2000 }) }),
      },
    );

  const matchesModel = (
    operation: fc.Arbitrary<Operation>,
    length: { minLength: number; maxLength: number; size?: fc.SizeForArbitrary },
    maxSessions: fc.Arbitrary<number>,
    numRuns: number,
  ): Promise<number> => {
    /** The most sessions any run held at once (the caller checks its runs reached the sizes it means to test). */
    let peak = 0;
    return fc
      .assert(
        fc.asyncProperty(fc.array(operation, length), maxSessions, async (ops, max) => {
          const clock = createFakeClock();
          const store = new MemoryStore({ maxSessions: max, clock });
          // The model: the sweep queue (new entries at the back) with a use mark per entry; the
          // sweep sends a marked front entry to the back unmarked and evicts the first unmarked one.
          // Expired entries are removed on every step.
          const model: Array<{ key: string; record: StoredSession; expiresAt: number; used: boolean }> = [];
          const remove = (wanted: string): void => {
            const index = model.findIndex((entry) => entry.key === wanted);
            if (index !== -1) model.splice(index, 1);
          };
          const prune = (): void => {
            for (let index = model.length - 1; index >= 0; index--) {
              if (model[index]!.expiresAt <= clock.now()) model.splice(index, 1);
            }
          };
          const evict = (): void => {
            for (;;) {
              const entry = model.shift()!;
              if (!entry.used) return;
              entry.used = false;
              model.push(entry);
            }
          };
          const find = (wanted: string) => model.find((entry) => entry.key === wanted);
          const bump = (wanted: string): void => {
            const entry = find(wanted);
            if (entry !== undefined) entry.used = true;
          };
          for (const op of ops) {
            prune();
            switch (op.kind) {
              case 'set': {
                const record = makeStoredSession({
                  ...op.extra,
                  version: op.version,
                  userId: op.userId,
                  data: { op: ops.indexOf(op) },
                });
                const current = find(op.key);
                const matches = op.expected === null ? current === undefined : current?.record.version === op.expected;
                const expiresAt = clock.now() + op.ttl;
                expect(await store.set(op.key, record, { expiresAt, expectedVersion: op.expected })).toBe(matches);
                if (matches) {
                  if (op.ttl <= 0) remove(op.key);
                  else if (current !== undefined) Object.assign(current, { record, expiresAt, used: true });
                  else {
                    if (model.length >= max) evict();
                    model.push({ key: op.key, record, expiresAt, used: false });
                  }
                }
                break;
              }
              case 'get':
                expect(await store.get(op.key)).toEqual(find(op.key)?.record ?? null);
                bump(op.key);
                break;
              case 'touch': {
                await store.touch(op.key, clock.now() + op.ttl);
                const entry = find(op.key);
                if (entry !== undefined) {
                  if (op.ttl > 0) {
                    entry.expiresAt = clock.now() + op.ttl;
                    bump(op.key);
                  } else remove(op.key);
                }
                break;
              }
              case 'destroy':
                await store.destroy(op.key);
                remove(op.key);
                break;
              case 'list': {
                const listed = (await store.listByUser(op.userId)).sort((x, y) => x.key.localeCompare(y.key));
                const expected = model
                  .filter((entry) => entry.record.userId === op.userId)
                  .map(({ key: entryKey, record }) => ({ key: entryKey, record }))
                  .sort((x, y) => x.key.localeCompare(y.key));
                expect(listed).toEqual(expected);
                break;
              }
              case 'advance':
                clock.advance(op.ms);
                break;
            }
            peak = Math.max(peak, store.stats().sessions);
          }
          prune();
          await store.get('probe');
          const stats = store.stats();
          expect(stats.sessions).toBe(model.length);
          expect(stats.indexedSessions).toBe(model.filter((entry) => entry.record.userId !== null).length);
          expect(stats.users).toBe(new Set(model.flatMap((entry) => entry.record.userId ?? [])).size);
        }),
        { numRuns },
      )
      .then(() => peak);
  };

  it('matches a second-chance (CLOCK) + expiry model on random operation sequences', async () => {
    const keys = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    const peak = await matchesModel(
      operations(keys),
      { minLength: 0, maxLength: 60, size: 'max' },
      fc.integer({ min: 1, max: 4 }),
      300,
    );
    expect(peak).toBe(4);
  });

  it('matches the model across slot growth, reuse and expiry with many sessions', async () => {
    // Up to 150 sessions held: the columns grow past their first 64 slots, freed slots are
    // reused while stale expiry items still name them, and users hold many sessions each.
    const manyKeys = fc.integer({ min: 0, max: 299 }).map((n) => `k${n}`);
    const peak = await matchesModel(
      // Mostly long-lived, so that many are held at once; the short ones free slots for reuse.
      operations(
        manyKeys,
        fc.oneof(
          { weight: 1, arbitrary: fc.integer({ min: -100, max: 3000 }) },
          { weight: 3, arbitrary: fc.integer({ min: 100_000, max: 600_000 }) },
        ),
      ),
      { minLength: 1000, maxLength: 1200 },
      fc.integer({ min: 60, max: 150 }),
      30,
    );
    expect(peak).toBeGreaterThan(64);
  });
});

describe('MemoryStore: synchronous twins and expiry moves', () => {
  it('getSync / setSync / destroySync answer as the promise methods do, without a promise', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ clock });
    const expiresAt = clock.now() + HOUR;
    expect(store.setSync('k', makeStoredSession({ data: { n: 1 } }), { expiresAt, expectedVersion: null })).toBe(true);
    expect(store.setSync('k', makeStoredSession(), { expiresAt, expectedVersion: null })).toBe(false);
    expect(store.getSync('k')).toEqual(await store.get('k'));
    expect(store.setSync('k', makeStoredSession({ version: 2 }), { expiresAt, expectedVersion: 1 })).toBe(true);
    expect(store.setSync('k', makeStoredSession({ version: 3 }), { expiresAt, expectedVersion: 1 })).toBe(false);
    expect(store.getSync('k')?.version).toBe(2);
    expect(store.destroySync('k')).toBeUndefined();
    expect(store.getSync('k')).toBeNull();
  });

  it('the synchronous twins throw store-unavailable on bad input, where the promise methods reject', async () => {
    const store = new MemoryStore();
    const invalid = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isSpartanError(error, 'sessions/store-unavailable');
      }
      return false;
    };
    expect(invalid(() => store.getSync(''))).toBe(true);
    expect(invalid(() => store.destroySync(42 as unknown as string))).toBe(true);
    expect(
      invalid(() =>
        store.setSync('k', { version: 1 } as unknown as StoredSession, { expiresAt: 1, expectedVersion: null }),
      ),
    ).toBe(true);
    expect(isSpartanError(await rejection(store.get('')), 'sessions/store-unavailable')).toBe(true);
  });

  it('a re-set moves the user index when the user changes, in place', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ clock });
    const expiresAt = clock.now() + HOUR;
    store.setSync('k', makeStoredSession({ userId: 'alice' }), { expiresAt, expectedVersion: null });
    store.setSync('k', makeStoredSession({ version: 2, userId: 'bob' }), { expiresAt, expectedVersion: 1 });
    expect(await store.listByUser('alice')).toEqual([]);
    expect((await store.listByUser('bob')).map((entry) => entry.key)).toEqual(['k']);
    store.setSync('k', makeStoredSession({ version: 3, userId: null }), { expiresAt, expectedVersion: 2 });
    expect(store.stats()).toEqual({ sessions: 1, users: 0, indexedSessions: 0 });
  });

  it('an expiry moved later outlives its old time; one moved earlier ends at the new time', () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ clock });
    const start = clock.now();
    store.setSync('later', makeStoredSession(), { expiresAt: start + 1000, expectedVersion: null });
    store.setSync('earlier', makeStoredSession(), { expiresAt: start + 5000, expectedVersion: null });
    store.setSync('later', makeStoredSession({ version: 2 }), { expiresAt: start + 3000, expectedVersion: 1 });
    store.setSync('earlier', makeStoredSession({ version: 2 }), { expiresAt: start + 2000, expectedVersion: 1 });
    clock.advance(1500);
    expect(store.getSync('later')).not.toBeNull();
    expect(store.getSync('earlier')).not.toBeNull();
    clock.advance(500);
    expect(store.getSync('earlier')).toBeNull();
    expect(store.getSync('later')).not.toBeNull();
    clock.advance(1000);
    expect(store.getSync('later')).toBeNull();
    expect(store.stats().sessions).toBe(0);
  });
});
