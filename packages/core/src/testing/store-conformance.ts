import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSpartanError } from '../errors/errors.js';
import type {
  SessionStore,
  StoredSession,
  StoredSessionChanges,
  StoreUpdateOptions,
  UserSessionEntry,
} from '../ports.js';
import { makeStoredSession, STORED_SESSION_TIME } from './stored-session.js';

/** How `describeStoreConformance` gets a store to test. */
export interface StoreConformanceFactory {
  /** A fresh, empty store (e.g. unique key prefix); called before each test. */
  create(): SessionStore | Promise<SessionStore>;
  /**
   * Called after each test with the store `create()` returned.
   * @default calls `store.close()` when the store has one
   */
  cleanup?(store: SessionStore): void | Promise<void>;
  /**
   * The clock the store judges expiry by, when it is fake (MemoryStore); lets the suite advance
   * time. Real backends omit it and the suite uses past/future `expiresAt` relative to
   * `Date.now()` instead of waiting.
   */
  clock?: { now(): number; advance(ms: number): void };
  /**
   * The store has no `update` (the optional server-side delta save): its tests are skipped,
   * visibly. Without this flag the suite requires `update`.
   */
  withoutUpdate?: boolean;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Keys a store must take verbatim: Redis hash-tag braces, separators, unicode, a long hash. */
const AWKWARD_KEYS = [
  '{tag}',
  '{tag}:suffix',
  'a:b:c',
  'a/b/../c',
  'ключ-🔑-鍵',
  'with space and "quotes"',
  'k'.repeat(86),
  'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIj',
] as const;

/** Data that must survive a store unchanged. */
function richData(): Record<string, unknown> {
  const longText = Array.from({ length: 3072 }, (_, index) => String.fromCharCode(33 + (index % 90))).join('');
  return {
    text: 'plain',
    unicode: 'Grüße, 世界 🌍 — "quoted" \\ back\nslash\u2028',
    ключ: 'unicode key',
    integer: 42,
    negative: -17,
    fraction: 1.5,
    tiny: 1e-7,
    big: Number.MAX_SAFE_INTEGER,
    zero: 0,
    yes: true,
    no: false,
    nothing: null,
    emptyObject: {},
    emptyArray: [],
    list: [1, 'two', { three: [3, null, false] }, [4, [5]]],
    nested: { a: { b: { c: { d: 'deep', e: [true, { f: 'g' }] } } } },
    passport: { user: 'user-123' },
    longText,
  };
}

function sortByKey(entries: UserSessionEntry[]): UserSessionEntry[] {
  return [...entries].sort((left, right) => (left.key < right.key ? -1 : left.key > right.key ? 1 : 0));
}

/**
 * The shared `SessionStore` suite. Every store package runs it against its real backend:
 *
 * ```ts
 * describeStoreConformance('RedisStore', {
 *   create: () => new RedisStore({ client, prefix: `test:${randomUUID()}:` }),
 * });
 * ```
 *
 * Tests never sleep: with `factory.clock` they advance the fake clock, without it they write
 * `expiresAt` values already in the past or far in the future.
 */
export function describeStoreConformance(name: string, factory: StoreConformanceFactory): void {
  describe(`SessionStore conformance: ${name}`, () => {
    let store: SessionStore;
    const now = (): number => (factory.clock === undefined ? Date.now() : factory.clock.now());
    const future = (): number => now() + HOUR;
    const past = (): number => now() - MINUTE;

    const create = (key: string, record: StoredSession = makeStoredSession(), expiresAt = future()): Promise<boolean> =>
      store.set(key, record, { expiresAt, expectedVersion: null });
    const listedKeys = async (userId: string): Promise<string[]> =>
      (await store.listByUser(userId)).map((entry) => entry.key).sort();

    beforeEach(async () => {
      store = await factory.create();
    });

    afterEach(async () => {
      if (factory.cleanup === undefined) await store.close?.();
      else await factory.cleanup(store);
    });

    describe('get', () => {
      it('returns null for a key that was never set', async () => {
        expect(await store.get('never-set')).toBeNull();
      });

      it('returns a record equal to the one written', async () => {
        const record = makeStoredSession({ data: { answer: 42 } });
        expect(await create('k', record)).toBe(true);
        expect(await store.get('k')).toEqual(record);
      });

      it('returns a deep copy: mutating the result does not change the stored record', async () => {
        const record = makeStoredSession({ userId: 'alice', data: { nested: { list: [1, 2] } } });
        const expected = structuredClone(record);
        await create('k', record);
        const first = await store.get('k');
        if (first === null) throw new Error('record missing');
        first.version = 99;
        first.userId = 'mallory';
        (first.data.nested as { list: number[] }).list.push(3);
        first.data.added = true;
        expect(await store.get('k')).toEqual(expected);
        expect(await listedKeys('alice')).toEqual(['k']);
      });
    });

    describe('set', () => {
      it('create-only (expectedVersion null) writes an absent key', async () => {
        const record = makeStoredSession({ data: { step: 1 } });
        expect(await create('k', record)).toBe(true);
        expect(await store.get('k')).toEqual(record);
      });

      it('a second create-only on the same key returns false and keeps the first record', async () => {
        const first = makeStoredSession({ data: { writer: 'first' } });
        await create('k', first);
        expect(await create('k', makeStoredSession({ data: { writer: 'second' } }))).toBe(false);
        expect(await store.get('k')).toEqual(first);
      });

      it('compare-and-set with the matching version replaces the record', async () => {
        await create('k', makeStoredSession({ version: 1, data: { step: 1 } }));
        const next = makeStoredSession({ version: 2, data: { step: 2 } });
        expect(await store.set('k', next, { expiresAt: future(), expectedVersion: 1 })).toBe(true);
        expect(await store.get('k')).toEqual(next);
      });

      it('compare-and-set with a stale version returns false and leaves the record and index unchanged', async () => {
        await create('k', makeStoredSession({ version: 1, userId: 'alice' }));
        const current = makeStoredSession({ version: 2, userId: 'alice', data: { step: 2 } });
        await store.set('k', current, { expiresAt: future(), expectedVersion: 1 });
        const stale = makeStoredSession({ version: 2, userId: 'bob', data: { step: 'stale' } });
        expect(await store.set('k', stale, { expiresAt: future(), expectedVersion: 1 })).toBe(false);
        expect(await store.get('k')).toEqual(current);
        expect(await listedKeys('alice')).toEqual(['k']);
        expect(await listedKeys('bob')).toEqual([]);
      });

      it('compare-and-set with a version on an absent key returns false and creates nothing', async () => {
        const record = makeStoredSession({ version: 2, userId: 'alice' });
        expect(await store.set('k', record, { expiresAt: future(), expectedVersion: 1 })).toBe(false);
        expect(await store.get('k')).toBeNull();
        expect(await listedKeys('alice')).toEqual([]);
      });

      it('stores a deep copy: mutating the record after set does not change the stored record', async () => {
        const record = makeStoredSession({ data: { nested: { list: [1] } } });
        const expected = structuredClone(record);
        await create('k', record);
        record.version = 7;
        (record.data.nested as { list: number[] }).list.push(2);
        record.data.added = 'later';
        expect(await store.get('k')).toEqual(expected);
      });

      it('round-trips data with nested objects, arrays, unicode, numbers, booleans, null and a 3 KB string', async () => {
        const record = makeStoredSession({ data: richData() });
        await create('k', record);
        const read = await store.get('k');
        expect(read).toEqual(makeStoredSession({ data: richData() }));
        expect(String(read?.data.longText).length).toBe(3072);
      });

      it('round-trips every StoredSession field', async () => {
        const record: StoredSession = {
          version: 12,
          data: { a: 1 },
          createdAt: 1_767_225_600_000,
          lastSeenAt: 1_767_225_900_123,
          rotatedAt: 1_767_225_700_456,
          userId: 'user-ü-1',
          authenticatedAt: 1_767_225_650_789,
          zone: 'privileged',
          csrfSecret: 'c2VjcmV0LXRva2VuLWJhc2U2NHVybA',
        };
        await create('k', record);
        expect(await store.get('k')).toEqual(record);
      });

      it('an expiresAt in the past deletes the record when the version matches', async () => {
        await create('k', makeStoredSession({ version: 1, userId: 'alice' }));
        const next = makeStoredSession({ version: 2, userId: 'alice' });
        expect(await store.set('k', next, { expiresAt: past(), expectedVersion: 1 })).toBe(true);
        expect(await store.get('k')).toBeNull();
        expect(await listedKeys('alice')).toEqual([]);
      });

      it('a create-only write with an expiresAt in the past stores nothing', async () => {
        await create('k', makeStoredSession({ userId: 'alice' }), past());
        expect(await store.get('k')).toBeNull();
        expect(await listedKeys('alice')).toEqual([]);
      });
    });

    describe("core's idle-time write (a compare-and-set at the version the request loaded)", () => {
      // Core moves a session's idle clock with `set` at the version it loaded (the port has no
      // separate touch: docs/decisions.md). What ended the session meanwhile must stay ended.
      it('after a destroy (logout, revocation) it returns false and brings nothing back', async () => {
        await create('k', makeStoredSession({ version: 1, userId: 'alice' }));
        await store.destroy('k');
        const touched = makeStoredSession({ version: 2, userId: 'alice', lastSeenAt: STORED_SESSION_TIME + MINUTE });
        expect(await store.set('k', touched, { expiresAt: future(), expectedVersion: 1 })).toBe(false);
        expect(await store.get('k')).toBeNull();
        expect(await listedKeys('alice')).toEqual([]);
      });

      it('after a rotation by another request it returns false and leaves the new record alone', async () => {
        await create('old', makeStoredSession({ version: 1, userId: 'alice' }));
        const moved = makeStoredSession({ version: 1, userId: 'alice', data: { moved: true } });
        expect(await store.rotate('old', 'new', moved, { expiresAt: future(), expectedVersion: 1 })).toBe(true);
        const touched = makeStoredSession({ version: 2, userId: 'alice', lastSeenAt: STORED_SESSION_TIME + MINUTE });
        expect(await store.set('old', touched, { expiresAt: future(), expectedVersion: 1 })).toBe(false);
        expect(await store.get('old')).toBeNull();
        expect(await store.get('new')).toEqual(moved);
        expect(await listedKeys('alice')).toEqual(['new']);
      });

      it('moves lastSeenAt and the expiry of a live record', async () => {
        await create('k', makeStoredSession({ version: 1, userId: 'alice' }), now() + MINUTE);
        const touched = makeStoredSession({ version: 2, userId: 'alice', lastSeenAt: STORED_SESSION_TIME + MINUTE });
        expect(await store.set('k', touched, { expiresAt: now() + 2 * HOUR, expectedVersion: 1 })).toBe(true);
        expect(await store.get('k')).toEqual(touched);
        expect(await listedKeys('alice')).toEqual(['k']);
      });
    });

    describe('destroy', () => {
      it('removes the record and its index entry, and nothing else', async () => {
        await create('k', makeStoredSession({ userId: 'alice' }));
        const other = makeStoredSession({ userId: 'alice', data: { other: true } });
        await create('other', other);
        await store.destroy('k');
        expect(await store.get('k')).toBeNull();
        expect(await store.get('other')).toEqual(other);
        expect(await listedKeys('alice')).toEqual(['other']);
      });

      it('destroying an absent key is a no-op', async () => {
        const record = makeStoredSession({ userId: 'alice' });
        await create('k', record);
        await expect(store.destroy('absent')).resolves.toBeUndefined();
        expect(await store.get('absent')).toBeNull();
        expect(await store.get('k')).toEqual(record);
        expect(await listedKeys('alice')).toEqual(['k']);
      });

      it('a destroyed key can be created again', async () => {
        await create('k', makeStoredSession({ data: { round: 1 } }));
        await store.destroy('k');
        const again = makeStoredSession({ data: { round: 2 } });
        expect(await create('k', again)).toBe(true);
        expect(await store.get('k')).toEqual(again);
      });
    });

    describe('rotate (atomic with the old record, SPEC §5)', () => {
      const rotate = (oldKey: string, newKey: string, record: StoredSession, expectedVersion = 1): Promise<boolean> =>
        store.rotate(oldKey, newKey, record, { expiresAt: future(), expectedVersion });

      it('moves the session: the old record and its index entry are gone, the new one is stored and indexed', async () => {
        await create('old', makeStoredSession({ userId: 'alice', data: { n: 1 } }));
        const moved = makeStoredSession({ userId: 'alice', data: { n: 1 }, rotatedAt: STORED_SESSION_TIME + 1 });
        expect(await rotate('old', 'new', moved)).toBe(true);
        expect(await store.get('old')).toBeNull();
        expect(await store.get('new')).toEqual(moved);
        expect(await listedKeys('alice')).toEqual(['new']);
      });

      it('indexes the new record under its user when the rotation signs the session in', async () => {
        await create('old', makeStoredSession({ userId: null, data: { cart: 2 } }));
        const signedIn = makeStoredSession({
          userId: 'alice',
          authenticatedAt: STORED_SESSION_TIME,
          data: { cart: 2 },
        });
        expect(await rotate('old', 'new', signedIn)).toBe(true);
        expect(await store.get('new')).toEqual(signedIn);
        expect(await listedKeys('alice')).toEqual(['new']);
      });

      it('fails and changes nothing when the old record is at another version', async () => {
        const current = makeStoredSession({ version: 2, userId: 'alice' });
        await create('old', current);
        expect(await rotate('old', 'new', makeStoredSession({ userId: 'alice' }), 1)).toBe(false);
        expect(await store.get('old')).toEqual(current);
        expect(await store.get('new')).toBeNull();
        expect(await listedKeys('alice')).toEqual(['old']);
      });

      it('fails and creates nothing when the old record was never there', async () => {
        expect(await rotate('absent', 'new', makeStoredSession({ userId: 'alice' }))).toBe(false);
        expect(await store.get('new')).toBeNull();
        expect(await listedKeys('alice')).toEqual([]);
      });

      it('a destroy (logout, revocation) that lands first makes the rotation fail: the session stays ended', async () => {
        await create('old', makeStoredSession({ userId: 'alice' }));
        await store.destroy('old');
        expect(await rotate('old', 'new', makeStoredSession({ userId: 'alice' }))).toBe(false);
        expect(await store.get('new')).toBeNull();
        expect(await store.get('old')).toBeNull();
        expect(await listedKeys('alice')).toEqual([]);
      });

      it('a record rotates once: a second rotation of the same old record fails', async () => {
        await create('old', makeStoredSession({ userId: 'alice' }));
        const first = makeStoredSession({ userId: 'alice', data: { winner: 'first' } });
        expect(await rotate('old', 'new-1', first)).toBe(true);
        expect(await rotate('old', 'new-2', makeStoredSession({ userId: 'alice', data: { winner: 'second' } }))).toBe(
          false,
        );
        expect(await store.get('new-1')).toEqual(first);
        expect(await store.get('new-2')).toBeNull();
        expect(await listedKeys('alice')).toEqual(['new-1']);
      });

      it('fails and changes nothing when the new key is taken', async () => {
        const old = makeStoredSession({ userId: 'alice', data: { side: 'old' } });
        const taken = makeStoredSession({ userId: 'bob', data: { side: 'taken' } });
        await create('old', old);
        await create('new', taken);
        expect(await rotate('old', 'new', makeStoredSession({ userId: 'alice' }))).toBe(false);
        expect(await store.get('old')).toEqual(old);
        expect(await store.get('new')).toEqual(taken);
        expect(await listedKeys('alice')).toEqual(['old']);
        expect(await listedKeys('bob')).toEqual(['new']);
      });

      it('an old record that has expired does not rotate', async () => {
        await create('old', makeStoredSession({ userId: 'alice' }), past());
        expect(await rotate('old', 'new', makeStoredSession({ userId: 'alice' }))).toBe(false);
        expect(await store.get('new')).toBeNull();
      });

      it('the new record expires at the given time', async () => {
        await create('old', makeStoredSession());
        expect(await store.rotate('old', 'new', makeStoredSession(), { expiresAt: past(), expectedVersion: 1 })).toBe(
          true,
        );
        expect(await store.get('old')).toBeNull();
        expect(await store.get('new')).toBeNull();
      });

      it('20 concurrent rotations of one record to 20 new keys: exactly one wins, the rest leave no record', async () => {
        await create('old', makeStoredSession({ userId: 'alice' }));
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, writer) =>
            rotate('old', `new-${writer}`, makeStoredSession({ userId: 'alice', data: { writer } })),
          ),
        );
        expect(results.filter((won) => won)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(await store.get('old')).toBeNull();
        for (let writer = 0; writer < 20; writer++) {
          const expected = writer === winner ? makeStoredSession({ userId: 'alice', data: { writer } }) : null;
          expect(await store.get(`new-${writer}`)).toEqual(expected);
        }
        expect(await listedKeys('alice')).toEqual([`new-${winner}`]);
      });

      it('a rotation racing a destroy of the old record never leaves the new record alive without the old one having been there', async () => {
        for (let round = 0; round < 10; round++) {
          await create(`old-${round}`, makeStoredSession({ userId: 'alice' }));
          const [rotated] = await Promise.all([
            rotate(`old-${round}`, `new-${round}`, makeStoredSession({ userId: 'alice' })),
            store.destroy(`old-${round}`),
          ]);
          const survivor = await store.get(`new-${round}`);
          // Either the rotation landed first (and the destroy found nothing left to end, or ended
          // the new record too), or the destroy landed first and the rotation failed.
          if (!rotated) expect(survivor).toBeNull();
          expect(await store.get(`old-${round}`)).toBeNull();
        }
      });

      it('rejects with a SpartanError and changes nothing on invalid arguments', async () => {
        const old = makeStoredSession({ userId: 'alice' });
        await create('old', old);
        const attempts: Array<() => Promise<boolean>> = [
          () => store.rotate('old', 'old', makeStoredSession(), { expiresAt: future(), expectedVersion: 1 }),
          () => store.rotate('', 'new', makeStoredSession(), { expiresAt: future(), expectedVersion: 1 }),
          () => store.rotate('old', '', makeStoredSession(), { expiresAt: future(), expectedVersion: 1 }),
          () =>
            store.rotate(
              'old',
              'new',
              { ...makeStoredSession(), version: 0 },
              { expiresAt: future(), expectedVersion: 1 },
            ),
          () =>
            store.rotate('old', 'new', makeStoredSession(), {
              expiresAt: future(),
              expectedVersion: null as unknown as number,
            }),
          () => store.rotate('old', 'new', makeStoredSession(), { expiresAt: Number.NaN, expectedVersion: 1 }),
        ];
        for (const attempt of attempts) {
          const error: unknown = await attempt().then(
            () => null,
            (rejection: unknown) => rejection,
          );
          expect(isSpartanError(error)).toBe(true);
        }
        expect(await store.get('old')).toEqual(old);
        expect(await store.get('new')).toBeNull();
        expect(await listedKeys('alice')).toEqual(['old']);
      });
    });

    describe('listByUser', () => {
      it('returns an empty list for a user without sessions', async () => {
        await create('k', makeStoredSession({ userId: 'alice' }));
        expect(await store.listByUser('nobody')).toEqual([]);
      });

      it('lists exactly the live sessions of that user, with their records', async () => {
        const records: Record<string, StoredSession> = {
          a1: makeStoredSession({ userId: 'alice', data: { n: 1 } }),
          a2: makeStoredSession({ userId: 'alice', data: { n: 2 }, zone: 'privileged' }),
          a3: makeStoredSession({ userId: 'alice', data: { n: 3 }, version: 4 }),
          b1: makeStoredSession({ userId: 'bob', data: { n: 4 } }),
          b2: makeStoredSession({ userId: 'bob', data: { n: 5 } }),
          anon: makeStoredSession({ userId: null, data: { n: 6 } }),
          // A user id that is a prefix of another must not match it.
          al: makeStoredSession({ userId: 'al', data: { n: 7 } }),
        };
        for (const [key, record] of Object.entries(records)) await create(key, record);
        const expected = (keys: string[]): UserSessionEntry[] => keys.map((key) => ({ key, record: records[key]! }));
        expect(sortByKey(await store.listByUser('alice'))).toEqual(expected(['a1', 'a2', 'a3']));
        expect(sortByKey(await store.listByUser('bob'))).toEqual(expected(['b1', 'b2']));
        expect(sortByKey(await store.listByUser('al'))).toEqual(expected(['al']));
      });

      it('drops destroyed and expired sessions', async () => {
        for (const key of ['a1', 'a2', 'a3', 'a4']) await create(key, makeStoredSession({ userId: 'alice' }));
        await create('gone', makeStoredSession({ userId: 'alice' }), past());
        await store.destroy('a1');
        await store.set('a2', makeStoredSession({ version: 2, userId: 'alice' }), {
          expiresAt: past(),
          expectedVersion: 1,
        });
        expect(await listedKeys('alice')).toEqual(['a3', 'a4']);
      });

      it('follows a userId change: a re-set under another user moves the entry', async () => {
        await create('k', makeStoredSession({ version: 1, userId: 'alice' }));
        const moved = makeStoredSession({ version: 2, userId: 'bob' });
        expect(await store.set('k', moved, { expiresAt: future(), expectedVersion: 1 })).toBe(true);
        expect(await store.listByUser('alice')).toEqual([]);
        expect(await store.listByUser('bob')).toEqual([{ key: 'k', record: moved }]);
      });

      it('follows a userId change to null: the entry leaves the index', async () => {
        await create('k', makeStoredSession({ version: 1, userId: 'alice' }));
        await store.set('k', makeStoredSession({ version: 2, userId: null }), {
          expiresAt: future(),
          expectedVersion: 1,
        });
        expect(await store.listByUser('alice')).toEqual([]);
        expect(await store.get('k')).toEqual(makeStoredSession({ version: 2, userId: null }));
      });

      it('follows a userId change from null: the entry joins the index', async () => {
        await create('k', makeStoredSession({ version: 1, userId: null }));
        await store.set('k', makeStoredSession({ version: 2, userId: 'alice' }), {
          expiresAt: future(),
          expectedVersion: 1,
        });
        expect(await listedKeys('alice')).toEqual(['k']);
      });

      it('returns deep copies of the records', async () => {
        const record = makeStoredSession({ userId: 'alice', data: { nested: { n: 1 } } });
        const expected = structuredClone(record);
        await create('k', record);
        const [listed] = await store.listByUser('alice');
        if (listed === undefined) throw new Error('session not listed');
        (listed.record.data.nested as { n: number }).n = 2;
        listed.record.version = 9;
        expect(await store.get('k')).toEqual(expected);
        expect(await store.listByUser('alice')).toEqual([{ key: 'k', record: expected }]);
      });
    });

    describe('keys', () => {
      it('keys with awkward characters ({tag}, ":", "/", unicode, 86-char base64url) are stored independently', async () => {
        for (const [index, key] of AWKWARD_KEYS.entries()) {
          expect(await create(key, makeStoredSession({ userId: 'alice', data: { index } }))).toBe(true);
        }
        for (const [index, key] of AWKWARD_KEYS.entries()) {
          expect(await store.get(key)).toEqual(makeStoredSession({ userId: 'alice', data: { index } }));
        }
        expect(await listedKeys('alice')).toEqual([...AWKWARD_KEYS].sort());
        await store.destroy('{tag}');
        expect(await store.get('{tag}')).toBeNull();
        expect(await store.get('{tag}:suffix')).toEqual(makeStoredSession({ userId: 'alice', data: { index: 1 } }));
        expect(await listedKeys('alice')).toEqual(AWKWARD_KEYS.filter((key) => key !== '{tag}').sort());
      });
    });

    describe('concurrency', () => {
      it('20 concurrent compare-and-set writes with the same expected version: exactly one wins', async () => {
        await create('k', makeStoredSession({ version: 1 }));
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, writer) =>
            store.set('k', makeStoredSession({ version: 2, data: { writer } }), {
              expiresAt: future(),
              expectedVersion: 1,
            }),
          ),
        );
        expect(results.filter((won) => won)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(await store.get('k')).toEqual(makeStoredSession({ version: 2, data: { writer: winner } }));
      });

      it('20 concurrent create-only writes on one key: exactly one wins', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, writer) => create('k', makeStoredSession({ data: { writer } }))),
        );
        expect(results.filter((won) => won)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(await store.get('k')).toEqual(makeStoredSession({ data: { writer: winner } }));
      });

      it('a concurrent read-modify-write loop of 10 workers with retry loses no update', async () => {
        await create('k', makeStoredSession({ version: 1, data: {} }));
        let successfulWrites = 0;
        const worker = async (index: number): Promise<void> => {
          // Each round at least one of the 10 workers wins, so 10 rounds always suffice.
          for (let attempt = 0; attempt < 50; attempt++) {
            const current = await store.get('k');
            if (current === null) throw new Error('the record vanished');
            const next: StoredSession = {
              ...current,
              version: current.version + 1,
              data: { ...current.data, [`worker${index}`]: index },
            };
            if (await store.set('k', next, { expiresAt: future(), expectedVersion: current.version })) {
              successfulWrites++;
              return;
            }
          }
          throw new Error(`worker ${index} never completed its write`);
        };
        await Promise.all(Array.from({ length: 10 }, (_, index) => worker(index)));
        const final = await store.get('k');
        expect(successfulWrites).toBe(10);
        expect(final?.data).toEqual(
          Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`worker${index}`, index])),
        );
        expect(final?.version).toBe(1 + successfulWrites);
      });
    });

    describe.skipIf(factory.withoutUpdate === true)('update (server-side delta save)', () => {
      const changes = (
        set: Record<string, unknown> = {},
        unset: string[] = [],
        lastSeenAt = STORED_SESSION_TIME + MINUTE,
        csrfSecret?: string,
      ): StoredSessionChanges =>
        csrfSecret === undefined ? { set, unset, lastSeenAt } : { set, unset, lastSeenAt, csrfSecret };
      const update = (key: string, delta: StoredSessionChanges, expiresAt = future()): Promise<number | null> => {
        if (typeof store.update !== 'function') throw new Error('the store has no update method');
        return store.update(key, delta, { expiresAt });
      };

      it('the store has update (a store without it opts out with `withoutUpdate: true`)', () => {
        expect(typeof store.update).toBe('function');
      });

      it('sets and deletes keys, moves lastSeenAt and the version by one, keeps every other field', async () => {
        const record = makeStoredSession({
          version: 3,
          userId: 'alice',
          authenticatedAt: STORED_SESSION_TIME,
          zone: 'privileged',
          csrfSecret: 'secret-1',
          data: { keep: 'me', change: 1, drop: true, nested: { a: [1] } },
        });
        await create('k', record);
        const version = await update('k', changes({ change: 2, added: { b: [2, null] } }, ['drop']));
        expect(version).toBe(4);
        expect(await store.get('k')).toEqual({
          ...record,
          version: 4,
          lastSeenAt: STORED_SESSION_TIME + MINUTE,
          data: { keep: 'me', change: 2, nested: { a: [1] }, added: { b: [2, null] } },
        });
        expect(await listedKeys('alice')).toEqual(['k']);
      });

      it('replaces a value whole (values are never merged) and round-trips rich data', async () => {
        await create('k', makeStoredSession({ data: { nested: { a: 1, b: 2 } } }));
        const rich = richData();
        await update('k', changes({ nested: { c: 3 }, ...rich }));
        expect((await store.get('k'))?.data).toEqual({ nested: { c: 3 }, ...rich });
      });

      it('keeps the later lastSeenAt: an update carrying an earlier one does not move it back', async () => {
        await create('k', makeStoredSession({ lastSeenAt: STORED_SESSION_TIME + HOUR }));
        expect(await update('k', changes({ a: 1 }, [], STORED_SESSION_TIME + MINUTE))).toBe(2);
        const stored = await store.get('k');
        expect(stored?.lastSeenAt).toBe(STORED_SESSION_TIME + HOUR);
        expect(stored?.data).toEqual({ a: 1 });
      });

      it('replaces the CSRF secret when given and keeps it otherwise', async () => {
        await create('k', makeStoredSession({ csrfSecret: 'old' }));
        await update('k', changes({ a: 1 }));
        expect((await store.get('k'))?.csrfSecret).toBe('old');
        await update('k', changes({}, [], STORED_SESSION_TIME + MINUTE, 'new'));
        expect((await store.get('k'))?.csrfSecret).toBe('new');
      });

      it('an update without data changes moves lastSeenAt and the version (the idle-time write)', async () => {
        await create('k', makeStoredSession({ data: { a: 1 } }));
        expect(await update('k', changes({}, [], STORED_SESSION_TIME + 2 * MINUTE))).toBe(2);
        expect(await store.get('k')).toEqual(
          makeStoredSession({ version: 2, data: { a: 1 }, lastSeenAt: STORED_SESSION_TIME + 2 * MINUTE }),
        );
      });

      it('keys named like Object.prototype members are plain data', async () => {
        await create('k', makeStoredSession({ data: { toString: 'x' } }));
        await update('k', changes(JSON.parse('{"__proto__":{"polluted":true},"constructor":1,"hasOwnProperty":2}')));
        const stored = await store.get('k');
        expect(Object.getPrototypeOf(stored?.data)).toBe(Object.prototype);
        expect(Object.hasOwn(stored?.data ?? {}, '__proto__')).toBe(true);
        expect(stored?.data.constructor).toBe(1);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(JSON.parse(JSON.stringify(stored?.data))).toEqual(
          JSON.parse('{"toString":"x","__proto__":{"polluted":true},"constructor":1,"hasOwnProperty":2}'),
        );
      });

      it('returns null and creates nothing when no record is stored', async () => {
        expect(await update('absent', changes({ a: 1 }))).toBeNull();
        expect(await store.get('absent')).toBeNull();
      });

      it('after a destroy (logout, revocation) returns null and brings nothing back', async () => {
        await create('k', makeStoredSession({ userId: 'alice' }));
        await store.destroy('k');
        expect(await update('k', changes({ a: 1 }))).toBeNull();
        expect(await store.get('k')).toBeNull();
        expect(await listedKeys('alice')).toEqual([]);
      });

      it('after a rotation returns null on the old key and leaves the new record alone', async () => {
        await create('old', makeStoredSession({ userId: 'alice' }));
        const moved = makeStoredSession({ userId: 'alice', data: { moved: true } });
        expect(await store.rotate('old', 'new', moved, { expiresAt: future(), expectedVersion: 1 })).toBe(true);
        expect(await update('old', changes({ a: 1 }))).toBeNull();
        expect(await store.get('old')).toBeNull();
        expect(await store.get('new')).toEqual(moved);
        expect(await listedKeys('alice')).toEqual(['new']);
      });

      it('compare-and-set and rotation see the version an update returned, with its changes', async () => {
        await create('k', makeStoredSession({ userId: 'alice', data: { a: 1 } }));
        const version = await update('k', changes({ b: 2 }));
        expect(version).toBe(2);
        const stale = makeStoredSession({ version: 2, userId: 'alice', data: { stale: true } });
        expect(await store.set('k', stale, { expiresAt: future(), expectedVersion: 1 })).toBe(false);
        expect((await store.get('k'))?.data).toEqual({ a: 1, b: 2 });
        const rotated = makeStoredSession({ version: 1, userId: 'alice', data: { a: 1, b: 2, c: 3 } });
        expect(await store.rotate('k', 'k2', rotated, { expiresAt: future(), expectedVersion: 1 })).toBe(false);
        expect(await store.rotate('k', 'k2', rotated, { expiresAt: future(), expectedVersion: 2 })).toBe(true);
        expect(await store.get('k2')).toEqual(rotated);
        expect(await update('k2', changes({ d: 4 }))).toBe(2);
        expect((await store.get('k2'))?.data).toEqual({ a: 1, b: 2, c: 3, d: 4 });
      });

      it('a compare-and-set at the version an update returned replaces the record whole', async () => {
        await create('k', makeStoredSession({ data: { a: 1 } }));
        for (let i = 0; i < 5; i++) await update('k', changes({ [`k${i}`]: i }));
        const whole = makeStoredSession({ version: 7, data: { only: 'this' } });
        expect(await store.set('k', whole, { expiresAt: future(), expectedVersion: 6 })).toBe(true);
        expect(await store.get('k')).toEqual(whole);
        expect(await update('k', changes({ more: 1 }))).toBe(8);
        expect((await store.get('k'))?.data).toEqual({ only: 'this', more: 1 });
      });

      it('300 updates in a row: every key is kept, every read is right, the version counts them', async () => {
        await create('k', makeStoredSession({ userId: 'alice', data: { start: true } }));
        const expected: Record<string, unknown> = { start: true };
        for (let i = 1; i <= 300; i++) {
          const set: Record<string, unknown> = { [`key_${i}`]: i, counter: i };
          const unset = i % 10 === 0 ? [`key_${i - 5}`] : [];
          Object.assign(expected, set);
          for (const key of unset) delete expected[key];
          expect(await update('k', changes(set, unset, STORED_SESSION_TIME + i))).toBe(i + 1);
          if (i % 37 === 0) expect((await store.get('k'))?.data).toEqual(expected);
        }
        const stored = await store.get('k');
        expect(stored?.version).toBe(301);
        expect(stored?.lastSeenAt).toBe(STORED_SESSION_TIME + 300);
        expect(stored?.data).toEqual(expected);
        const listed = await store.listByUser('alice');
        expect(listed).toEqual([{ key: 'k', record: stored }]);
      });

      it('20 concurrent updates of different keys: all land, none is lost, the version counts them', async () => {
        await create('k', makeStoredSession({ data: { base: 0 } }));
        const versions = await Promise.all(
          Array.from({ length: 20 }, (_, i) => update('k', changes({ [`writer_${i}`]: i }))),
        );
        expect([...versions].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
        const stored = await store.get('k');
        expect(stored?.version).toBe(21);
        expect(stored?.data).toEqual({
          base: 0,
          ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`writer_${i}`, i])),
        });
      });

      it('concurrent updates of the same key: the one applied last wins, whole', async () => {
        await create('k', makeStoredSession({ data: {} }));
        const versions = await Promise.all(
          Array.from({ length: 10 }, (_, i) => update('k', changes({ same: { writer: i, list: [i] } }))),
        );
        const last = versions.indexOf(Math.max(...versions.map((v) => v ?? 0)));
        expect((await store.get('k'))?.data).toEqual({ same: { writer: last, list: [last] } });
      });

      it('stores a copy: mutating the changes after update does not change the stored record', async () => {
        await create('k', makeStoredSession());
        const set = { nested: { list: [1] } };
        await update('k', changes(set));
        set.nested.list.push(2);
        expect((await store.get('k'))?.data).toEqual({ nested: { list: [1] } });
      });

      it('returns deep copies after updates: mutating a read record changes nothing stored', async () => {
        await create('k', makeStoredSession({ data: { a: { list: [1] } } }));
        await update('k', changes({ b: { list: [2] } }));
        const first = await store.get('k');
        if (first === null) throw new Error('record missing');
        (first.data.a as { list: number[] }).list.push(9);
        (first.data.b as { list: number[] }).list.push(9);
        expect((await store.get('k'))?.data).toEqual({ a: { list: [1] }, b: { list: [2] } });
      });

      it('an expiry earlier than the stored one does not shorten the record', async () => {
        await create('k', makeStoredSession({ data: { a: 1 } }), now() + HOUR);
        expect(await update('k', changes({ b: 2 }), past())).toBe(2);
        expect((await store.get('k'))?.data).toEqual({ a: 1, b: 2 });
      });

      it('rejects invalid changes and options with a SpartanError and changes nothing', async () => {
        const record = makeStoredSession({ data: { keep: 'me' } });
        await create('k', record);
        const good = changes({ a: 1 });
        const cycle: Record<string, unknown> = {};
        cycle.self = cycle;
        const bad: Array<[string, unknown, unknown]> = [
          ['changes null', null, { expiresAt: future() }],
          ['changes a string', 'a=1', { expiresAt: future() }],
          ['set an array', { ...good, set: [] }, { expiresAt: future() }],
          ['set null', { ...good, set: null }, { expiresAt: future() }],
          ['unset a string', { ...good, unset: 'a' }, { expiresAt: future() }],
          ['unset with a number', { ...good, unset: [1] }, { expiresAt: future() }],
          ['a key both set and unset', { ...good, unset: ['a'] }, { expiresAt: future() }],
          ['lastSeenAt NaN', { ...good, lastSeenAt: Number.NaN }, { expiresAt: future() }],
          ['lastSeenAt missing', { set: {}, unset: [] }, { expiresAt: future() }],
          ['csrfSecret a number', { ...good, csrfSecret: 1 }, { expiresAt: future() }],
          ['csrfSecret empty', { ...good, csrfSecret: '' }, { expiresAt: future() }],
          ['a BigInt value', { ...good, set: { n: 1n } }, { expiresAt: future() }],
          ['a circular value', { ...good, set: { cycle } }, { expiresAt: future() }],
          ['opts missing', good, undefined],
          ['expiresAt NaN', good, { expiresAt: Number.NaN }],
          ['expiresAt a string', good, { expiresAt: '1767225600000' }],
        ];
        for (const [label, delta, opts] of bad) {
          let outcome: { rejected: boolean; value: unknown };
          try {
            const value = await store.update!('k', delta as StoredSessionChanges, opts as StoreUpdateOptions);
            outcome = { rejected: false, value };
          } catch (error) {
            outcome = { rejected: true, value: error };
          }
          expect(outcome.rejected, `${label}: must reject`).toBe(true);
          expect(isSpartanError(outcome.value, 'sessions/store-unavailable'), `${label}: a SpartanError`).toBe(true);
        }
        for (const key of ['', 42, null]) {
          await expect(store.update!(key as string, good, { expiresAt: future() })).rejects.toSatisfy((error) =>
            isSpartanError(error, 'sessions/store-unavailable'),
          );
        }
        expect(await store.get('k')).toEqual(record);
      });

      if (factory.clock !== undefined) {
        const clock = factory.clock;
        it('moves the expiry forward: the record outlives its first expiry', async () => {
          await create('k', makeStoredSession(), clock.now() + 1000);
          await update('k', changes({ a: 1 }), clock.now() + 5000);
          clock.advance(4999);
          expect((await store.get('k'))?.data).toEqual({ a: 1 });
          clock.advance(1);
          expect(await store.get('k')).toBeNull();
        });

        it('does not revive a record that has expired', async () => {
          await create('k', makeStoredSession({ userId: 'alice' }), clock.now() + 1000);
          clock.advance(1000);
          expect(await update('k', changes({ a: 1 }), clock.now() + HOUR)).toBeNull();
          expect(await store.get('k')).toBeNull();
          expect(await listedKeys('alice')).toEqual([]);
        });
      }
    });

    describe('invalid arguments reject with a SpartanError and change nothing', () => {
      const badKeys: unknown[] = ['', 42, null, undefined, {}, ['k']];
      const baseRecord = makeStoredSession({ userId: 'mallory' });
      const badRecords: Array<[string, unknown]> = [
        ['null', null],
        ['a string', 'record'],
        ['an array', []],
        ['version 0', { ...baseRecord, version: 0 }],
        ['version -1', { ...baseRecord, version: -1 }],
        ['version 1.5', { ...baseRecord, version: 1.5 }],
        ['version NaN', { ...baseRecord, version: Number.NaN }],
        ['version "1"', { ...baseRecord, version: '1' }],
        ['data null', { ...baseRecord, data: null }],
        ['data an array', { ...baseRecord, data: [] }],
        ['data a string', { ...baseRecord, data: '{}' }],
        ['createdAt NaN', { ...baseRecord, createdAt: Number.NaN }],
        ['lastSeenAt Infinity', { ...baseRecord, lastSeenAt: Number.POSITIVE_INFINITY }],
        ['rotatedAt a string', { ...baseRecord, rotatedAt: '2026-01-01' }],
        ['createdAt missing', { ...baseRecord, createdAt: undefined }],
        ['userId a number', { ...baseRecord, userId: 7 }],
        ['authenticatedAt a string', { ...baseRecord, authenticatedAt: 'yesterday' }],
        ['zone unknown', { ...baseRecord, zone: 'admin' }],
        ['csrfSecret a number', { ...baseRecord, csrfSecret: 1 }],
      ];
      const badExpiresAt: unknown[] = [
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        '1767225600000',
        null,
        undefined,
      ];
      const badExpectedVersions: unknown[] = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1', undefined, true];

      const existing = makeStoredSession({ version: 1, userId: 'alice', data: { keep: 'me' } });
      type Snapshot = { record: StoredSession | null; alice: UserSessionEntry[]; mallory: UserSessionEntry[] };
      const snapshot = async (): Promise<Snapshot> => ({
        record: await store.get('k'),
        alice: await store.listByUser('alice'),
        mallory: await store.listByUser('mallory'),
      });

      /** The call must return a promise (never throw synchronously) that rejects with a store SpartanError. */
      async function expectRejection(label: string, call: () => Promise<unknown>): Promise<void> {
        let promise: Promise<unknown> | undefined;
        expect(() => {
          promise = call();
        }, `${label}: must not throw synchronously`).not.toThrow();
        expect(typeof promise?.then, `${label}: must return a promise`).toBe('function');
        const outcome = await promise!.then(
          (value) => ({ rejected: false, value }),
          (error: unknown) => ({ rejected: true, value: error }),
        );
        expect(outcome.rejected, `${label}: must reject`).toBe(true);
        expect(isSpartanError(outcome.value, 'sessions/store-unavailable'), `${label}: must be a SpartanError`).toBe(
          true,
        );
      }

      beforeEach(async () => {
        await create('k', existing);
      });

      it('get rejects an invalid key', async () => {
        for (const key of badKeys) await expectRejection(`get(${String(key)})`, () => store.get(key as string));
        expect(await snapshot()).toEqual({ record: existing, alice: [{ key: 'k', record: existing }], mallory: [] });
      });

      it('set rejects an invalid key', async () => {
        for (const key of badKeys) {
          await expectRejection(`set key ${String(key)}`, () =>
            store.set(key as string, makeStoredSession({ userId: 'mallory' }), {
              expiresAt: future(),
              expectedVersion: null,
            }),
          );
        }
        expect(await snapshot()).toEqual({ record: existing, alice: [{ key: 'k', record: existing }], mallory: [] });
      });

      it('set rejects an invalid record', async () => {
        for (const [label, record] of badRecords) {
          await expectRejection(`create with record ${label}`, () =>
            store.set('fresh', record as StoredSession, { expiresAt: future(), expectedVersion: null }),
          );
          await expectRejection(`replace with record ${label}`, () =>
            store.set('k', record as StoredSession, { expiresAt: future(), expectedVersion: 1 }),
          );
        }
        expect(await store.get('fresh')).toBeNull();
        expect(await snapshot()).toEqual({ record: existing, alice: [{ key: 'k', record: existing }], mallory: [] });
      });

      it('set rejects a non-finite expiresAt', async () => {
        for (const expiresAt of badExpiresAt) {
          await expectRejection(`create with expiresAt ${String(expiresAt)}`, () =>
            store.set('fresh', makeStoredSession({ userId: 'mallory' }), {
              expiresAt: expiresAt as number,
              expectedVersion: null,
            }),
          );
          await expectRejection(`replace with expiresAt ${String(expiresAt)}`, () =>
            store.set('k', makeStoredSession({ version: 2, userId: 'mallory' }), {
              expiresAt: expiresAt as number,
              expectedVersion: 1,
            }),
          );
        }
        expect(await store.get('fresh')).toBeNull();
        expect(await snapshot()).toEqual({ record: existing, alice: [{ key: 'k', record: existing }], mallory: [] });
      });

      it('set rejects an expectedVersion that is not null or a non-negative integer, and missing options', async () => {
        for (const expectedVersion of badExpectedVersions) {
          await expectRejection(`expectedVersion ${String(expectedVersion)}`, () =>
            store.set('k', makeStoredSession({ version: 2, userId: 'mallory' }), {
              expiresAt: future(),
              expectedVersion: expectedVersion as number,
            }),
          );
        }
        for (const opts of [undefined, null, 'opts']) {
          await expectRejection(`opts ${String(opts)}`, () =>
            store.set('fresh', makeStoredSession(), opts as unknown as { expiresAt: number; expectedVersion: null }),
          );
        }
        expect(await store.get('fresh')).toBeNull();
        expect(await snapshot()).toEqual({ record: existing, alice: [{ key: 'k', record: existing }], mallory: [] });
      });

      it('destroy rejects an invalid key', async () => {
        for (const key of badKeys) await expectRejection(`destroy ${String(key)}`, () => store.destroy(key as string));
        expect(await snapshot()).toEqual({ record: existing, alice: [{ key: 'k', record: existing }], mallory: [] });
      });

      it('listByUser rejects a userId that is not a string', async () => {
        for (const userId of [42, null, undefined, {}]) {
          await expectRejection(`listByUser ${String(userId)}`, () => store.listByUser(userId as string));
        }
        expect(await snapshot()).toEqual({ record: existing, alice: [{ key: 'k', record: existing }], mallory: [] });
      });
    });

    const clock = factory.clock;
    if (clock !== undefined) {
      describe('with a controllable clock', () => {
        it('a record set to expire at now+1000 is present at now+999 and absent after advancing 1000', async () => {
          const record = makeStoredSession({ userId: 'alice' });
          await create('k', record, clock.now() + 1000);
          clock.advance(999);
          expect(await store.get('k')).toEqual(record);
          clock.advance(1);
          expect(await store.get('k')).toBeNull();
        });

        it('listByUser drops a session once its expiry has passed', async () => {
          await create('short', makeStoredSession({ userId: 'alice' }), clock.now() + 1000);
          await create('long', makeStoredSession({ userId: 'alice' }), clock.now() + HOUR);
          expect(await listedKeys('alice')).toEqual(['long', 'short']);
          clock.advance(1000);
          expect(await listedKeys('alice')).toEqual(['long']);
        });

        it('a compare-and-set moves the expiry past the original one', async () => {
          const record = makeStoredSession({ version: 2 });
          await create('k', makeStoredSession(), clock.now() + 1000);
          await store.set('k', record, { expiresAt: clock.now() + 5000, expectedVersion: 1 });
          clock.advance(4999);
          expect(await store.get('k')).toEqual(record);
          clock.advance(1);
          expect(await store.get('k')).toBeNull();
        });

        it('a compare-and-set can also shorten the expiry', async () => {
          await create('k', makeStoredSession(), clock.now() + HOUR);
          await store.set('k', makeStoredSession({ version: 2 }), {
            expiresAt: clock.now() + 1000,
            expectedVersion: 1,
          });
          clock.advance(1000);
          expect(await store.get('k')).toBeNull();
        });

        it('create-only over a record that has expired succeeds', async () => {
          await create('k', makeStoredSession({ data: { generation: 'old' } }), clock.now() + 1000);
          clock.advance(1000);
          const fresh = makeStoredSession({ data: { generation: 'new' } });
          expect(await create('k', fresh)).toBe(true);
          expect(await store.get('k')).toEqual(fresh);
        });

        it('compare-and-set against a record that has expired returns false and does not revive it', async () => {
          await create('k', makeStoredSession({ version: 1, userId: 'alice' }), clock.now() + 1000);
          clock.advance(1000);
          const next = makeStoredSession({ version: 2, userId: 'alice' });
          expect(await store.set('k', next, { expiresAt: clock.now() + HOUR, expectedVersion: 1 })).toBe(false);
          expect(await store.get('k')).toBeNull();
          expect(await listedKeys('alice')).toEqual([]);
        });
      });
    }
  });
}
