import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSpartanError } from '../errors/errors.js';
import type { StoredSession } from '../ports.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { describeStoreConformance } from '../testing/store-conformance.js';
import { makeStoredSession, STORED_SESSION_TIME } from '../testing/stored-session.js';
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

  it('a read and a re-set count as use; a re-set of a held key never evicts and keeps its slot', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 3, clock });
    const expiresAt = clock.now() + HOUR;
    for (const key of ['a', 'b', 'c', 'd']) {
      await store.set(key, makeStoredSession(), { expiresAt, expectedVersion: null });
    }
    // 'a' was evicted by the first sweep; b, c, d are unmarked, in that order.
    expect(await store.get('b')).not.toBeNull();
    expect(await store.set('c', makeStoredSession({ version: 2 }), { expiresAt, expectedVersion: 1 })).toBe(true);
    expect(store.stats().sessions).toBe(3);
    // b (read) and c (re-set) are spared: d goes.
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

describe('MemoryStore: anonymous sessions never evict signed-in ones (issue 12)', () => {
  const anonymous = (overrides: Partial<StoredSession> = {}) => makeStoredSession(overrides);
  const signedIn = (userId: string, overrides: Partial<StoredSession> = {}) =>
    makeStoredSession({ userId, authenticatedAt: STORED_SESSION_TIME, ...overrides });

  function capacityRefusal(run: () => unknown): unknown {
    try {
      run();
    } catch (error) {
      return error;
    }
    throw new Error('expected the write to be refused');
  }

  it('a flood of anonymous sessions far beyond the bound leaves a signed-in session in place; each eviction is reported', () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 50, clock });
    const evictions: Array<{ key: string; userId: string | null }> = [];
    store.addEvictionListener((eviction) => evictions.push(eviction));
    const expiresAt = clock.now() + HOUR;
    // Signed in first and never used again during the flood: the first in line under plain CLOCK.
    store.setSync('alice-key', signedIn('alice'), { expiresAt, expectedVersion: null });
    for (let index = 0; index < 1000; index++) {
      expect(store.setSync(`anon-${index}`, anonymous(), { expiresAt, expectedVersion: null })).toBe(true);
    }
    expect(store.getSync('alice-key')?.userId).toBe('alice');
    expect(store.stats()).toEqual({ sessions: 50, users: 1, indexedSessions: 1 });
    // 49 anonymous sessions fit beside alice's; each later one evicted the oldest anonymous one.
    expect(evictions).toHaveLength(1000 - 49);
    expect(evictions.every((eviction) => eviction.userId === null)).toBe(true);
    expect(evictions.slice(0, 3).map((eviction) => eviction.key)).toEqual(['anon-0', 'anon-1', 'anon-2']);
    expect(store.getSync('anon-999')).not.toBeNull();
  });

  it('a signed-in write into a store full of anonymous sessions evicts an anonymous one (second chance among them)', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 3, clock });
    const evictions: Array<{ key: string; userId: string | null }> = [];
    store.addEvictionListener((eviction) => evictions.push(eviction));
    const expiresAt = clock.now() + HOUR;
    for (const key of ['a', 'b', 'c']) store.setSync(key, anonymous(), { expiresAt, expectedVersion: null });
    store.getSync('a');
    expect(await store.set('bob-key', signedIn('bob'), { expiresAt, expectedVersion: null })).toBe(true);
    // a was read since the last sweep: spared; b goes.
    expect(evictions).toEqual([{ key: 'b', userId: null }]);
    expect(store.getSync('a')).not.toBeNull();
    expect((await store.listByUser('bob')).map((entry) => entry.key)).toEqual(['bob-key']);
  });

  it('an anonymous write into a store full of signed-in sessions is refused (capacity) and evicts none', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 3, clock });
    const evictions: Array<{ key: string; userId: string | null }> = [];
    store.addEvictionListener((eviction) => evictions.push(eviction));
    const expiresAt = clock.now() + HOUR;
    for (const user of ['alice', 'bob', 'carol']) {
      store.setSync(`${user}-key`, signedIn(user), { expiresAt, expectedVersion: null });
    }
    const refusal = capacityRefusal(() => store.setSync('anon', anonymous(), { expiresAt, expectedVersion: null }));
    expect(isSpartanError(refusal, 'sessions/store-unavailable')).toBe(true);
    expect((refusal as { details: unknown }).details).toEqual({ reason: 'capacity' });
    const rejected = await rejection(store.set('anon', anonymous(), { expiresAt, expectedVersion: null }));
    expect(isSpartanError(rejected, 'sessions/store-unavailable')).toBe(true);
    expect(evictions).toEqual([]);
    expect(store.getSync('anon')).toBeNull();
    expect(store.stats()).toEqual({ sessions: 3, users: 3, indexedSessions: 3 });
    // A signed-in newcomer may still take the place of the least recently used signed-in session.
    store.getSync('alice-key');
    store.setSync('dave-key', signedIn('dave'), { expiresAt, expectedVersion: null });
    expect(evictions).toEqual([{ key: 'bob-key', userId: 'bob' }]);
    expect(store.getSync('alice-key')).not.toBeNull();
    // And once an anonymous session is gone to expiry or destroy, the room is there again.
    store.destroySync('carol-key');
    expect(store.setSync('anon', anonymous(), { expiresAt, expectedVersion: null })).toBe(true);
  });

  it('a session signed in in place is no longer evictable by anonymous ones; one signed out in place is', () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 3, clock });
    const evictions: string[] = [];
    store.addEvictionListener((eviction) => evictions.push(eviction.key));
    const expiresAt = clock.now() + HOUR;
    for (const key of ['a', 'b', 'c']) store.setSync(key, anonymous(), { expiresAt, expectedVersion: null });
    // a signs in without a new id (a store written by other code than core's rotation).
    expect(store.setSync('a', signedIn('alice', { version: 2 }), { expiresAt, expectedVersion: 1 })).toBe(true);
    for (let index = 0; index < 20; index++) {
      store.setSync(`flood-${index}`, anonymous(), { expiresAt, expectedVersion: null });
    }
    expect(store.getSync('a')?.userId).toBe('alice');
    expect(evictions).not.toContain('a');
    // Signed out in place (kept as an anonymous session): it joins the anonymous sessions' queue.
    expect(store.setSync('a', anonymous({ version: 3 }), { expiresAt, expectedVersion: 2 })).toBe(true);
    expect(store.stats()).toEqual({ sessions: 3, users: 0, indexedSessions: 0 });
    evictions.length = 0;
    // Just written, it has its second chance: the two anonymous sessions before it go first, then
    // the sweep passes it (clearing its mark) and evicts the two that joined after it; then it goes.
    for (let index = 0; index < 5; index++) {
      store.setSync(`later-${index}`, anonymous(), { expiresAt, expectedVersion: null });
    }
    expect(evictions).toEqual(['flood-18', 'flood-19', 'later-0', 'later-1', 'a']);
    expect(store.getSync('a')).toBeNull();
  });

  it('a login (rotation of an anonymous record into a signed-in one) in a full store evicts nothing', () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 2, clock });
    const evictions: string[] = [];
    store.addEvictionListener((eviction) => evictions.push(eviction.key));
    const expiresAt = clock.now() + HOUR;
    store.setSync('bob-key', signedIn('bob'), { expiresAt, expectedVersion: null });
    store.setSync('form', anonymous(), { expiresAt, expectedVersion: null });
    expect(store.rotateSync('form', 'alice-key', signedIn('alice'), { expiresAt, expectedVersion: 1 })).toBe(true);
    expect(evictions).toEqual([]);
    expect(store.stats()).toEqual({ sessions: 2, users: 2, indexedSessions: 2 });
    // The store is now full of signed-in sessions; a signed-in one renewing its id still fits.
    expect(store.rotateSync('alice-key', 'alice-key-2', signedIn('alice'), { expiresAt, expectedVersion: 1 })).toBe(
      true,
    );
    expect(evictions).toEqual([]);
  });

  it('expiry, destroy and close are not evictions', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 2, clock });
    const listener = vi.fn();
    store.addEvictionListener(listener);
    store.setSync('brief', anonymous(), { expiresAt: clock.now() + 1000, expectedVersion: null });
    store.setSync('gone', anonymous(), { expiresAt: clock.now() + HOUR, expectedVersion: null });
    store.destroySync('gone');
    clock.advance(1000);
    store.setSync('a', anonymous(), { expiresAt: clock.now() + HOUR, expectedVersion: null });
    store.setSync('b', anonymous(), { expiresAt: clock.now() + HOUR, expectedVersion: null });
    await store.close();
    expect(listener).not.toHaveBeenCalled();
  });

  it('a throwing listener breaks neither the write nor the other listeners; unsubscribing stops the calls', () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 1, clock });
    const expiresAt = clock.now() + HOUR;
    const second = vi.fn();
    store.addEvictionListener(() => {
      throw new Error('broken audit sink');
    });
    const unsubscribe = store.addEvictionListener(second);
    store.setSync('a', anonymous(), { expiresAt, expectedVersion: null });
    expect(store.setSync('b', anonymous(), { expiresAt, expectedVersion: null })).toBe(true);
    expect(second).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledWith({ key: 'a', userId: null });
    unsubscribe();
    unsubscribe();
    store.setSync('c', anonymous(), { expiresAt, expectedVersion: null });
    expect(second).toHaveBeenCalledTimes(1);
    expect(store.getSync('c')).not.toBeNull();
  });

  it('a listener that unsubscribes or writes while being told leaves the store within its bound', () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions: 2, clock });
    const expiresAt = clock.now() + HOUR;
    const later = vi.fn();
    let writes = 0;
    const unsubscribe = store.addEvictionListener(() => {
      unsubscribe();
      // Re-entrant: told after the write of c is complete, it writes another session (which evicts b).
      store.setSync(`reentrant-${writes++}`, anonymous(), { expiresAt, expectedVersion: null });
    });
    store.addEvictionListener(later);
    for (const key of ['a', 'b', 'c']) store.setSync(key, anonymous(), { expiresAt, expectedVersion: null });
    expect(store.stats().sessions).toBe(2);
    expect(store.getSync('c')).not.toBeNull();
    expect(store.getSync('reentrant-0')).not.toBeNull();
    expect(writes).toBe(1);
    expect(later.mock.calls).toEqual([[{ key: 'b', userId: null }], [{ key: 'a', userId: null }]]);
  });

  it('refuses a listener that is not a function', () => {
    const store = new MemoryStore();
    let thrown: unknown;
    try {
      store.addEvictionListener('nope' as unknown as () => void);
    } catch (error) {
      thrown = error;
    }
    expect(isSpartanError(thrown, 'sessions/option-type-incorrect')).toBe(true);
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

  it('keeps expiry exact after many writes that move it (the expiry queue drops superseded entries)', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ clock });
    await store.set('hot', makeStoredSession(), { expiresAt: clock.now() + 1000, expectedVersion: null });
    await store.set('cold', makeStoredSession(), { expiresAt: clock.now() + 1000, expectedVersion: null });
    for (let index = 0; index < 3000; index++) {
      clock.advance(1);
      const written = await store.set('hot', makeStoredSession({ version: index + 2 }), {
        expiresAt: clock.now() + 1000,
        expectedVersion: index + 1,
      });
      expect(written).toBe(true);
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
          // Half anonymous: both sweep queues fill, and anonymous writes meet stores full of signed-in sessions.
          userId: fc.option(userId, { nil: null, freq: 2 }),
          version: fc.integer({ min: 1, max: 4 }),
          expected: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null, freq: 2 }),
          ttl,
          extra,
        }),
      },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), key }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('destroy' as const), key }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('list' as const), userId }) },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2000 }) }),
      },
    );

  /** How often each eviction path was taken over all runs (the caller checks each was reached). */
  interface Paths {
    anonymousEvicted: number;
    signedInEvicted: number;
    refused: number;
    kindChanged: number;
  }

  const matchesModel = (
    operation: fc.Arbitrary<Operation>,
    length: { minLength: number; maxLength: number; size?: fc.SizeForArbitrary },
    maxSessions: fc.Arbitrary<number>,
    numRuns: number,
  ): Promise<{ peak: number; paths: Paths }> => {
    /** The most sessions any run held at once (the caller checks its runs reached the sizes it means to test). */
    let peak = 0;
    const paths: Paths = { anonymousEvicted: 0, signedInEvicted: 0, refused: 0, kindChanged: 0 };
    return fc
      .assert(
        fc.asyncProperty(fc.array(operation, length), maxSessions, async (ops, max) => {
          const clock = createFakeClock();
          const store = new MemoryStore({ maxSessions: max, clock });
          const reported: Array<{ key: string; userId: string | null }> = [];
          store.addEvictionListener((eviction) => reported.push(eviction));
          // The model: two sweep queues, anonymous sessions and signed-in ones (new entries at the
          // back), with a use mark per entry; a sweep of a queue sends a marked front entry to the
          // back unmarked and evicts the first unmarked one. A new session of either kind sweeps
          // the anonymous queue while it holds any; a new signed-in session then sweeps the
          // signed-in queue; a new anonymous one is refused. An entry whose kind changes in place
          // goes to the back of its new queue, marked. Expired entries are removed on every step.
          type Entry = { key: string; record: StoredSession; expiresAt: number; used: boolean };
          const anonymous: Entry[] = [];
          const signedIn: Entry[] = [];
          const queueOf = (user: string | null): Entry[] => (user === null ? anonymous : signedIn);
          const all = (): Entry[] => [...anonymous, ...signedIn];
          const remove = (wanted: string): void => {
            for (const queue of [anonymous, signedIn]) {
              const index = queue.findIndex((entry) => entry.key === wanted);
              if (index !== -1) queue.splice(index, 1);
            }
          };
          const prune = (): void => {
            for (const queue of [anonymous, signedIn]) {
              for (let index = queue.length - 1; index >= 0; index--) {
                if (queue[index]!.expiresAt <= clock.now()) queue.splice(index, 1);
              }
            }
          };
          const evict = (queue: Entry[]): Entry => {
            for (;;) {
              const entry = queue.shift()!;
              if (!entry.used) return entry;
              entry.used = false;
              queue.push(entry);
            }
          };
          const find = (wanted: string) => all().find((entry) => entry.key === wanted);
          const bump = (wanted: string): void => {
            const entry = find(wanted);
            if (entry !== undefined) entry.used = true;
          };
          for (const op of ops) {
            prune();
            const evicted: Entry[] = [];
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
                const write = store.set(op.key, record, { expiresAt, expectedVersion: op.expected });
                const refused =
                  matches &&
                  op.ttl > 0 &&
                  current === undefined &&
                  all().length >= max &&
                  anonymous.length === 0 &&
                  op.userId === null;
                if (refused) {
                  const error = await rejection(write);
                  expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
                  expect((error as { details: unknown }).details).toEqual({ reason: 'capacity' });
                  paths.refused++;
                  break;
                }
                expect(await write).toBe(matches);
                if (!matches) break;
                if (op.ttl <= 0) remove(op.key);
                else if (current !== undefined) {
                  const moves = (current.record.userId === null) !== (op.userId === null);
                  if (moves) {
                    remove(op.key);
                    queueOf(op.userId).push(current);
                    paths.kindChanged++;
                  }
                  Object.assign(current, { record, expiresAt, used: true });
                } else {
                  if (all().length >= max) {
                    const victim = evict(anonymous.length > 0 ? anonymous : signedIn);
                    evicted.push(victim);
                    if (victim.record.userId === null) paths.anonymousEvicted++;
                    else paths.signedInEvicted++;
                  }
                  queueOf(op.userId).push({ key: op.key, record, expiresAt, used: false });
                }
                break;
              }
              case 'get':
                expect(await store.get(op.key)).toEqual(find(op.key)?.record ?? null);
                bump(op.key);
                break;
              case 'destroy':
                await store.destroy(op.key);
                remove(op.key);
                break;
              case 'list': {
                const listed = (await store.listByUser(op.userId)).sort((x, y) => x.key.localeCompare(y.key));
                const expected = all()
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
            // Exactly the model's evictions were reported, each with its user; nothing else was.
            expect(reported).toEqual(evicted.map((entry) => ({ key: entry.key, userId: entry.record.userId })));
            reported.length = 0;
            peak = Math.max(peak, store.stats().sessions);
          }
          prune();
          await store.get('probe');
          const stats = store.stats();
          const held = all();
          expect(stats.sessions).toBe(held.length);
          expect(stats.indexedSessions).toBe(signedIn.length);
          expect(stats.users).toBe(new Set(held.flatMap((entry) => entry.record.userId ?? [])).size);
        }),
        { numRuns },
      )
      .then(() => ({ peak, paths }));
  };

  it('matches a two-queue second-chance (CLOCK) + expiry model on random operation sequences', async () => {
    const keys = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    const { peak, paths } = await matchesModel(
      operations(keys),
      { minLength: 0, maxLength: 60, size: 'max' },
      fc.integer({ min: 1, max: 4 }),
      300,
    );
    expect(peak).toBe(4);
    // Every rule of the model was exercised, not only the common ones.
    expect(paths.anonymousEvicted).toBeGreaterThan(0);
    expect(paths.signedInEvicted).toBeGreaterThan(0);
    expect(paths.refused).toBeGreaterThan(0);
    expect(paths.kindChanged).toBeGreaterThan(0);
  });

  it('matches the model across slot growth, reuse and expiry with many sessions', async () => {
    // Up to 150 sessions held: the columns grow past their first 64 slots, freed slots are
    // reused while stale expiry items still name them, and users hold many sessions each.
    const manyKeys = fc.integer({ min: 0, max: 299 }).map((n) => `k${n}`);
    const { peak, paths } = await matchesModel(
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
    expect(paths.anonymousEvicted + paths.signedInEvicted).toBeGreaterThan(0);
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
