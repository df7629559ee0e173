import { isSpartanError, type StoredSession } from '@spartan-sessions/core';
import type { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { RedisStore } from '../../src/index.js';
import { encodeSession, pointerHead, TOMBSTONE } from '../../src/internal/codec.js';
import { newKey, record } from './fixtures.js';
import { waitFor } from './servers.js';

export interface RedisTarget {
  store: RedisStore;
  client: Redis | Cluster;
  prefix: string;
}

const HOUR = 3_600_000;

/**
 * What this store promises beyond core's conformance suite: its key layout, server-side
 * expiry, the user index staying bounded, and no lost update under concurrency. Run against
 * a standalone server and a Cluster.
 */
export function describeRedisStoreBehaviour(name: string, target: () => RedisTarget): void {
  describe(`RedisStore behaviour: ${name}`, () => {
    const later = () => Date.now() + HOUR;

    it('creates with expectedVersion null once, then replaces only the expected version', async () => {
      const { store } = target();
      const key = newKey();
      expect(await store.get(key)).toBeNull();
      expect(await store.set(key, record({ version: 5 }), { expiresAt: later(), expectedVersion: 4 })).toBe(false);
      const first = record();
      expect(await store.set(key, first, { expiresAt: later(), expectedVersion: null })).toBe(true);
      expect(await store.get(key)).toEqual(first);
      expect(await store.set(key, record({ version: 9 }), { expiresAt: later(), expectedVersion: null })).toBe(false);
      const second = record({ version: 2, data: { counter: 4 } });
      expect(await store.set(key, second, { expiresAt: later(), expectedVersion: 2 })).toBe(false);
      expect(await store.set(key, second, { expiresAt: later(), expectedVersion: 1 })).toBe(true);
      expect(await store.get(key)).toEqual(second);
    });

    it('stores one compact string per session with a server-side expiry at expiresAt', async () => {
      const { store, client, prefix } = target();
      const key = newKey();
      const expiresAt = later();
      const now = Date.now();
      await store.set(
        key,
        record({ createdAt: now, lastSeenAt: now, rotatedAt: now, userId: 'alice', authenticatedAt: now }),
        {
          expiresAt,
          expectedVersion: null,
        },
      );
      const raw = await client.get(`${prefix}s:${key}`);
      const head = /^\[1,(\d+),"alice",\d+,0,0,0,\{"passport":\{"user":"u123"\},"counter":3\},0\]$/.exec(raw ?? '');
      expect(head, raw ?? 'null').not.toBeNull();
      expect(Number(await client.pexpiretime(`${prefix}s:${key}`))).toBe(expiresAt);
      const indexKey = `${prefix}u:alice`;
      // The index entry is a little ahead of the expiry (a quarter of the time left, ≤ 10 min),
      // and the record's head says how far.
      const score = Number(await client.zscore(indexKey, key));
      expect(score).toBeGreaterThanOrEqual(Math.ceil(expiresAt / 1000));
      expect(score).toBeLessThanOrEqual(Math.ceil(expiresAt / 1000) + 600);
      expect(Number(head![1])).toBe(score);
      expect(Number(await client.pexpiretime(indexKey))).toBeGreaterThan(expiresAt);
    });

    it('round-trips every field, including non-integer times and the privileged zone', async () => {
      const { store } = target();
      const key = newKey();
      const full: StoredSession = record({
        version: 7,
        data: { 'ünïcode ✓': ['a', 1, null, { deep: true }], empty: {} },
        createdAt: 1_700_000_000_000.5,
        lastSeenAt: 1_700_000_100_000,
        rotatedAt: 1_699_999_999_999,
        userId: 'ℬob {tagged}',
        authenticatedAt: 1_700_000_050_000,
        zone: 'privileged',
        csrfSecret: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ',
      });
      expect(await store.set(key, full, { expiresAt: later(), expectedVersion: null })).toBe(true);
      expect(await store.get(key)).toEqual(full);
      expect(await store.listByUser('ℬob {tagged}')).toEqual([{ key, record: full }]);
    });

    it('deletes a record written with an expiresAt in the past', async () => {
      const { store } = target();
      const key = newKey();
      await store.set(key, record({ userId: 'carol' }), { expiresAt: later(), expectedVersion: null });
      expect(
        await store.set(key, record({ version: 2, userId: 'carol' }), {
          expiresAt: Date.now() - 1000,
          expectedVersion: 1,
        }),
      ).toBe(true);
      expect(await store.get(key)).toBeNull();
      expect(await store.listByUser('carol')).toEqual([]);
    });

    it('lets Redis expire sessions by themselves and keeps user indexes bounded', async () => {
      // One wait for three facts (index scores are whole seconds, so this takes about 2 s):
      // an expired session vanishes from get and listByUser; a write to an index prunes the
      // entries of its expired sessions; an index whose last entry expired is gone.
      const { store, client, prefix } = target();
      const soon = () => Date.now() + 200;
      const mixed = `dave-${newKey()}`;
      const [short, long] = [newKey(), newKey()];
      await store.set(short, record({ userId: mixed }), { expiresAt: soon(), expectedVersion: null });
      await store.set(long, record({ userId: mixed }), { expiresAt: later(), expectedVersion: null });
      expect((await store.listByUser(mixed)).map((entry) => entry.key).sort()).toEqual([short, long].sort());

      const many = `erin-${newKey()}`;
      await Promise.all(
        Array.from({ length: 20 }, () =>
          store.set(newKey(), record({ userId: many }), { expiresAt: soon(), expectedVersion: null }),
        ),
      );
      expect(await client.zcard(`${prefix}u:${many}`)).toBe(20);

      const gone = `frank-${newKey()}`;
      await store.set(newKey(), record({ userId: gone }), { expiresAt: soon(), expectedVersion: null });

      await waitFor('the short session to expire', async () => (await store.get(short)) === null, { timeoutMs: 3000 });
      expect((await store.listByUser(mixed)).map((entry) => entry.key)).toEqual([long]);
      await waitFor(
        'the expired entries to be pruned and the empty index to expire',
        async () => {
          await store.set(newKey(), record({ userId: many }), { expiresAt: later(), expectedVersion: null });
          await store.listByUser(mixed);
          return (
            (await client.zcard(`${prefix}u:${many}`)) < 20 &&
            (await client.zcard(`${prefix}u:${mixed}`)) === 1 &&
            (await client.exists(`${prefix}u:${gone}`)) === 0
          );
        },
        { timeoutMs: 5000, intervalMs: 200 },
      );
      const remaining = await client.zrange(`${prefix}u:${many}`, 0, -1, 'WITHSCORES');
      for (let i = 1; i < remaining.length; i += 2) {
        expect(Number(remaining[i])).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
      }
    });

    it('a compare-and-set moves the expiry of the record and its index entry first', async () => {
      const { store, client, prefix } = target();
      const anonymous = newKey();
      const owned = newKey();
      await store.set(anonymous, record(), { expiresAt: later(), expectedVersion: null });
      await store.set(owned, record({ userId: 'grace' }), { expiresAt: later(), expectedVersion: null });
      const moved = later() + HOUR;
      await store.set(anonymous, record({ version: 2 }), { expiresAt: moved, expectedVersion: 1 });
      await store.set(owned, record({ version: 2, userId: 'grace' }), { expiresAt: moved, expectedVersion: 1 });
      expect(Number(await client.pexpiretime(`${prefix}s:${anonymous}`))).toBe(moved);
      expect(Number(await client.pexpiretime(`${prefix}s:${owned}`))).toBe(moved);
      expect(Number(await client.zscore(`${prefix}u:grace`, owned))).toBeGreaterThanOrEqual(Math.ceil(moved / 1000));
    });

    it("skips a signed-in session's index while its entry covers the new expiry, moves it first once it does not", async () => {
      const { store, client, prefix } = target();
      const key = newKey();
      const user = `skip-${newKey()}`;
      const indexKey = `${prefix}u:${user}`;
      const first = later();
      await store.set(key, record({ userId: user }), { expiresAt: first, expectedVersion: null });
      const score = Number(await client.zscore(indexKey, key));
      expect(score).toBeGreaterThan(Math.ceil(first / 1000));
      // Take the entry away behind the store's back: a write the entry covers does not put it
      // back (it wrote nothing to the index), which is what saves the round trip.
      await client.zrem(indexKey, key);
      const covered = (score - 1) * 1000;
      expect(
        await store.set(key, record({ userId: user, version: 2 }), { expiresAt: covered, expectedVersion: 1 }),
      ).toBe(true);
      expect(await client.zscore(indexKey, key)).toBeNull();
      expect(Number(await client.pexpiretime(`${prefix}s:${key}`))).toBe(covered);
      // An expiry past the entry: indexed first, then written.
      const beyond = (score + 5) * 1000;
      expect(
        await store.set(key, record({ userId: user, version: 3 }), { expiresAt: beyond, expectedVersion: 2 }),
      ).toBe(true);
      expect(Number(await client.zscore(indexKey, key))).toBeGreaterThanOrEqual(score + 5);
      expect((await store.get(key))?.version).toBe(3);
    });

    it("indexes a session under its new user even when the old user's entry covers the expiry", async () => {
      const { store, client, prefix } = target();
      const key = newKey();
      // The new user's id extends the old one's, with quotes, a backslash and non-ASCII: the
      // script's comparison of the stored userId must tell them apart.
      const before = `old "ü" \\ ${newKey()}`;
      const after = `${before}x`;
      const expiresAt = later();
      await store.set(key, record({ userId: before }), { expiresAt, expectedVersion: null });
      expect(await store.set(key, record({ userId: after, version: 2 }), { expiresAt, expectedVersion: 1 })).toBe(true);
      expect(Number(await client.zscore(`${prefix}u:${after}`, key))).toBeGreaterThanOrEqual(
        Math.ceil(expiresAt / 1000),
      );
      // And from anonymous to signed in (an update, not a creation).
      const anonymous = newKey();
      await store.set(anonymous, record(), { expiresAt, expectedVersion: null });
      expect(await store.set(anonymous, record({ userId: after, version: 2 }), { expiresAt, expectedVersion: 1 })).toBe(
        true,
      );
      expect(Number(await client.zscore(`${prefix}u:${after}`, anonymous))).toBeGreaterThanOrEqual(
        Math.ceil(expiresAt / 1000),
      );
      expect((await store.listByUser(after)).map((entry) => entry.key).sort()).toEqual([key, anonymous].sort());
    });

    it('destroy deletes the record and its index entry; no-op when absent', async () => {
      const { store, client, prefix } = target();
      const key = newKey();
      await store.set(key, record({ userId: 'heidi' }), { expiresAt: later(), expectedVersion: null });
      await store.destroy(key);
      expect(await store.get(key)).toBeNull();
      expect(await client.zscore(`${prefix}u:heidi`, key)).toBeNull();
      await expect(store.destroy(key)).resolves.toBeUndefined();
    });

    it('listByUser returns only live sessions still belonging to that user', async () => {
      const { store } = target();
      const [a1, a2, b1, moved] = [newKey(), newKey(), newKey(), newKey()];
      await store.set(a1, record({ userId: 'ivan' }), { expiresAt: later(), expectedVersion: null });
      await store.set(a2, record({ userId: 'ivan', zone: 'privileged' }), {
        expiresAt: later(),
        expectedVersion: null,
      });
      await store.set(b1, record({ userId: 'judy' }), { expiresAt: later(), expectedVersion: null });
      await store.set(moved, record({ userId: 'ivan' }), { expiresAt: later(), expectedVersion: null });
      // The record changes hands: the index of its old user still lists the key, the read drops it.
      await store.set(moved, record({ version: 2, userId: 'judy' }), { expiresAt: later(), expectedVersion: 1 });
      const ivan = await store.listByUser('ivan');
      expect(ivan.map((entry) => entry.key).sort()).toEqual([a1, a2].sort());
      expect(ivan.every((entry) => entry.record.userId === 'ivan')).toBe(true);
      expect((await store.listByUser('judy')).map((entry) => entry.key).sort()).toEqual([b1, moved].sort());
      expect(await store.listByUser('nobody')).toEqual([]);
    });

    it('reads a corrupt value, a forward pointer and a tombstone as absent: touch and writes never revive them, a create fails on them', async () => {
      const { store, client, prefix } = target();
      const user = `husk-${newKey()}`;
      const values = [
        'not a session',
        pointerHead(newKey()),
        // A pointer carrying a record (a Cluster rotation under way) whose target is tombstoned.
        `${pointerHead(newKey())}${encodeSession(record({ userId: user }))}`,
        TOMBSTONE,
      ];
      for (const value of values) {
        const key = newKey();
        const sessionKey = `${prefix}s:${key}`;
        const until = Date.now() + HOUR;
        await client.set(sessionKey, value, 'PXAT', until);
        await client.zadd(`${prefix}u:${user}`, Math.ceil(until / 1000), key);
        const pointer = value.startsWith('>') ? /^>(\d+):/.exec(value) : null;
        if (pointer !== null) {
          const targetKey = value.slice(pointer[0].length, pointer[0].length + Number(pointer[1]));
          await client.set(`${prefix}s:${targetKey}`, TOMBSTONE, 'PX', HOUR);
        }
        expect(await store.get(key), value).toBeNull();
        expect(
          await store.set(key, record({ userId: user, version: 2 }), { expiresAt: later(), expectedVersion: 1 }),
        ).toBe(false);
        expect(
          await store.set(key, record({ userId: user }), { expiresAt: later(), expectedVersion: null }),
          value,
        ).toBe(false);
        expect(await client.get(sessionKey)).toBe(value);
        expect(Number(await client.pexpiretime(sessionKey))).toBe(until);
      }
      expect(await store.listByUser(user)).toEqual([]);
    });

    it('rotate writes the new record as set does (head, expiry, index ahead) and takes the old one out of its index', async () => {
      const { store, client, prefix } = target();
      const user = `rot-${newKey()}`;
      const [oldKey, newKey_] = [newKey(), newKey()];
      await store.set(oldKey, record({ userId: user }), { expiresAt: later(), expectedVersion: null });
      const expiresAt = later() + HOUR;
      const moved = record({ userId: user, version: 1, data: { moved: true } });
      expect(await store.rotate(oldKey, newKey_, moved, { expiresAt, expectedVersion: 1 })).toBe(true);
      const raw = await client.get(`${prefix}s:${newKey_}`);
      const head = /^\[1,(\d+),/.exec(raw ?? '');
      expect(head, raw ?? 'null').not.toBeNull();
      expect(Number(await client.pexpiretime(`${prefix}s:${newKey_}`))).toBe(expiresAt);
      const score = Number(await client.zscore(`${prefix}u:${user}`, newKey_));
      expect(score).toBeGreaterThanOrEqual(Math.ceil(expiresAt / 1000));
      expect(Number(head![1])).toBe(score);
      expect(await store.get(newKey_)).toEqual(moved);
      expect(await store.get(oldKey)).toBeNull();
      // Tidied after the rotation, not waited for.
      await expect.poll(() => client.zscore(`${prefix}u:${user}`, oldKey)).toBeNull();
      expect(await store.listByUser(user)).toEqual([{ key: newKey_, record: moved }]);
      // The new record is a normal one: written, touched and destroyed like any other.
      const next = { ...moved, version: 2, data: { moved: 'again' } };
      expect(await store.set(newKey_, next, { expiresAt, expectedVersion: 1 })).toBe(true);
      await store.destroy(newKey_);
      expect(await store.get(newKey_)).toBeNull();
      expect(await client.zscore(`${prefix}u:${user}`, newKey_)).toBeNull();
    });

    it('rotate leaves the old record as it was when it fails on the version or a taken key', async () => {
      const { store, client, prefix } = target();
      const [oldKey, taken, free] = [newKey(), newKey(), newKey()];
      await store.set(oldKey, record({ userId: 'rot-fail', version: 3 }), {
        expiresAt: later(),
        expectedVersion: null,
      });
      await store.set(taken, record(), { expiresAt: later(), expectedVersion: null });
      const before = await client.get(`${prefix}s:${oldKey}`);
      const expiry = Number(await client.pexpiretime(`${prefix}s:${oldKey}`));
      const attempt = (to: string, expectedVersion: number) =>
        store.rotate(oldKey, to, record({ userId: 'rot-fail' }), { expiresAt: later(), expectedVersion });
      expect(await attempt(free, 2)).toBe(false);
      expect(await attempt(taken, 3)).toBe(false);
      expect(await client.get(`${prefix}s:${oldKey}`)).toBe(before);
      expect(Number(await client.pexpiretime(`${prefix}s:${oldKey}`))).toBe(expiry);
      expect(await client.exists(`${prefix}s:${free}`)).toBe(0);
      expect((await store.get(taken))?.userId).toBeNull();
      // And it still rotates afterwards.
      expect(await attempt(free, 3)).toBe(true);
    });

    it('rejects bad rotate arguments with sessions/store-unavailable (invalid-argument) and changes nothing', async () => {
      const { store, client, prefix } = target();
      const oldKey = newKey();
      await store.set(oldKey, record(), { expiresAt: later(), expectedVersion: null });
      const before = await client.get(`${prefix}s:${oldKey}`);
      const to = newKey();
      const invalid = (promise: Promise<unknown>) =>
        expect(promise).rejects.toSatisfy(
          (error: unknown) =>
            isSpartanError(error, 'sessions/store-unavailable') && error.details.reason === 'invalid-argument',
        );
      const opts = { expiresAt: later(), expectedVersion: 1 };
      await invalid(store.rotate(oldKey, 'k'.repeat(513), record(), opts));
      await invalid(store.rotate(oldKey, to, record({ data: { big: 1n } }), opts));
      await invalid(store.rotate(oldKey, to, record(), { expiresAt: 9e15, expectedVersion: 1 }));
      await invalid(store.rotate(oldKey, to, record(), { expiresAt: later(), expectedVersion: -1 }));
      expect(await client.get(`${prefix}s:${oldKey}`)).toBe(before);
      expect(await client.exists(`${prefix}s:${to}`)).toBe(0);
    });

    it('rejects bad arguments with sessions/store-unavailable (invalid-argument)', async () => {
      const { store } = target();
      const invalid = (promise: Promise<unknown>) =>
        expect(promise).rejects.toSatisfy(
          (error: unknown) =>
            isSpartanError(error, 'sessions/store-unavailable') && error.details.reason === 'invalid-argument',
        );
      const good = record();
      const opts = { expiresAt: later(), expectedVersion: null };
      await invalid(store.get(''));
      await invalid(store.get(42 as unknown as string));
      await invalid(store.set(newKey(), { ...good, version: -1 }, opts));
      await invalid(store.set(newKey(), { ...good, zone: 'other' } as unknown as StoredSession, opts));
      await invalid(store.set(newKey(), { ...good, data: { big: 1n } }, opts));
      await invalid(store.set(newKey(), good, { expiresAt: Number.NaN, expectedVersion: null }));
      await invalid(store.set(newKey(), good, { expiresAt: later(), expectedVersion: 1.5 }));
      await invalid(store.destroy(''));
      await invalid(store.listByUser(null as unknown as string));
    });

    it('loses no update when 50 parallel requests change different keys of one session', async () => {
      const { store } = target();
      const key = newKey();
      const expiresAt = later();
      await store.set(key, record({ data: {}, userId: 'ken' }), { expiresAt, expectedVersion: null });
      let conflicts = 0;
      const worker = async (i: number) => {
        for (;;) {
          const current = await store.get(key);
          if (current === null) throw new Error('session vanished');
          const next = { ...current, version: current.version + 1, data: { ...current.data, [`k${i}`]: i } };
          if (await store.set(key, next, { expiresAt, expectedVersion: current.version })) return;
          conflicts++;
        }
      };
      await Promise.all(Array.from({ length: 50 }, (_, i) => worker(i)));
      const final = await store.get(key);
      expect(final?.version).toBe(51);
      expect(final?.data).toEqual(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i])));
      expect(conflicts).toBeGreaterThan(0);
      expect(await store.listByUser('ken')).toHaveLength(1);
    });
  });
}
