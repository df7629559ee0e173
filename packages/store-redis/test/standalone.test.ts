import { isSpartanError, type SessionStore } from '@spartan-sessions/core';
import { describeStoreConformance } from '@spartan-sessions/core/testing';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { describeRedisStoreBehaviour, type RedisTarget } from './support/behaviour.js';
import { deletePrefix, newKey, record, SHARED_REDIS_URL, uniquePrefix, useSharedRedis } from './support/fixtures.js';
import { holdingClient } from './support/intercept.js';

// The shared Redis of the test environment. Every run works under its own prefix and deletes
// only that prefix's keys.
const shared = useSharedRedis();
let client: Redis;
let target: RedisTarget;

beforeAll(() => {
  ({ client } = shared);
  target = { client, prefix: shared.prefix, store: new RedisStore({ client, prefix: shared.prefix }) };
});

describeStoreConformance('RedisStore on standalone 127.0.0.1:6379', {
  create: () => new RedisStore({ client, prefix: uniquePrefix() }),
  cleanup: (store: SessionStore) => deletePrefix(client, (store as RedisStore).prefix),
});

describeRedisStoreBehaviour('standalone 127.0.0.1:6379', () => target);

describe('RedisStore on standalone Redis', () => {
  it('answers a get in exactly one round trip (one GET command)', async () => {
    const key = newKey();
    await target.store.set(key, record(), { expiresAt: Date.now() + 60_000, expectedVersion: null });
    const monitor = await client.monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((arg) => arg.includes(key))) seen.push(String(args[0]).toLowerCase());
    });
    try {
      await target.store.get(key);
      await client.ping(); // MONITOR lines are written before this reply is read
      await new Promise((resolve) => setImmediate(resolve));
      await expect.poll(() => seen, { timeout: 2000 }).toEqual(['get']);
    } finally {
      monitor.disconnect();
    }
  });

  it('writes through EVALSHA once the script is loaded on the connection', async () => {
    const key = newKey();
    const monitor = await client.monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      // Only this test's key: other suites and processes may use the same Redis meanwhile.
      if (args.some((arg) => arg.includes(key))) seen.push(String(args[0]).toLowerCase());
    });
    try {
      await target.store.set(key, record(), { expiresAt: Date.now() + 60_000, expectedVersion: null });
      await target.store.set(key, record({ version: 2 }), { expiresAt: Date.now() + 60_000, expectedVersion: 1 });
      await target.store.set(key, record({ version: 3 }), { expiresAt: Date.now() + 60_000, expectedVersion: 2 });
      await expect.poll(() => seen.filter((name) => name === 'evalsha').length, { timeout: 2000 }).toBe(2);
      expect(seen).not.toContain('eval');
      // A new anonymous session needs no script: one SET … NX PXAT.
      expect(seen[0]).toBe('set');
    } finally {
      monitor.disconnect();
    }
  });

  it('creates an anonymous session with one SET NX PXAT that never overwrites, and reads it back as the script would write it', async () => {
    const key = newKey();
    const monitor = await client.monitor();
    const commands: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((arg) => arg.includes(key))) commands.push(args.map(String));
    });
    try {
      const expiresAt = Date.now() + 60_000;
      const first = record();
      expect(await target.store.set(key, first, { expiresAt, expectedVersion: null })).toBe(true);
      expect(await target.store.set(key, record({ data: { other: true } }), { expiresAt, expectedVersion: null })).toBe(
        false,
      );
      expect(await target.store.get(key)).toEqual(first);
      const raw = await client.get(`${target.store.prefix}s:${key}`);
      expect(raw?.startsWith('[1,0,')).toBe(true);
      expect(await client.pexpiretime(`${target.store.prefix}s:${key}`)).toBe(expiresAt);
      await expect.poll(() => commands.filter((args) => args[0]?.toLowerCase() === 'set').length).toBe(2);
      const set = commands.find((args) => args[0]?.toLowerCase() === 'set')!;
      expect(set.slice(3).map((arg) => arg.toUpperCase())).toEqual(['PXAT', String(expiresAt), 'NX']);
    } finally {
      monitor.disconnect();
    }
  });

  it('rotates in one step: one script call naming both keys', async () => {
    const [oldKey, to] = [newKey(), newKey()];
    await target.store.set(oldKey, record({ userId: 'one-step' }), {
      expiresAt: Date.now() + 60_000,
      expectedVersion: null,
    });
    const monitor = await client.monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      // What the clients sent, not what the scripts ran inside (source "lua").
      if (source === 'lua') return;
      if (args.some((arg) => arg.includes(oldKey) || arg.includes(to))) seen.push(args.map(String));
    });
    try {
      expect(
        await target.store.rotate(oldKey, to, record({ userId: 'one-step' }), {
          expiresAt: Date.now() + 60_000,
          expectedVersion: 1,
        }),
      ).toBe(true);
      // Index the new key, the rotation script, then the old key out of its index (last).
      await expect.poll(() => seen.some((args) => args[0]?.toLowerCase() === 'zrem'), { timeout: 2000 }).toBe(true);
      const sessionKeys = [`${target.prefix}s:${oldKey}`, `${target.prefix}s:${to}`];
      const onSessions = seen.filter((args) => sessionKeys.some((key) => args.includes(key)));
      // EVALSHA (or EVAL after a NOSCRIPT): one command, both keys, nothing else on either key.
      expect(onSessions.length).toBeGreaterThan(0);
      for (const args of onSessions) {
        expect(['evalsha', 'eval']).toContain(args[0]?.toLowerCase());
        expect(args.slice(2, 5)).toEqual(['2', ...sessionKeys]);
      }
    } finally {
      monitor.disconnect();
    }
  });

  it('a rotate whose old record was destroyed first resolves false and leaves nothing under either key', async () => {
    const { store, prefix } = target;
    const [oldKey, to] = [newKey(), newKey()];
    await store.set(oldKey, record({ userId: 'gone' }), { expiresAt: Date.now() + 60_000, expectedVersion: null });
    await store.destroy(oldKey);
    expect(
      await store.rotate(oldKey, to, record({ userId: 'gone' }), {
        expiresAt: Date.now() + 60_000,
        expectedVersion: 1,
      }),
    ).toBe(false);
    expect(await client.exists(`${prefix}s:${oldKey}`, `${prefix}s:${to}`)).toBe(0);
    expect(await store.listByUser('gone')).toEqual([]);
  });

  it('leaves no pointer behind: the old key is deleted, and destroying it later does not touch the new record', async () => {
    const { store, prefix } = target;
    const [oldKey, to] = [newKey(), newKey()];
    await store.set(oldKey, record({ userId: 'kept' }), { expiresAt: Date.now() + 60_000, expectedVersion: null });
    const moved = record({ userId: 'kept', data: { moved: 1 } });
    expect(await store.rotate(oldKey, to, moved, { expiresAt: Date.now() + 60_000, expectedVersion: 1 })).toBe(true);
    expect(await client.exists(`${prefix}s:${oldKey}`)).toBe(0);
    await store.destroy(oldKey);
    expect(await store.get(to)).toEqual(moved);
  });

  it('listByUser finds a session that rotates between its read of the index and its read of the records', async () => {
    const { store, prefix } = target;
    const user = `list-${newKey()}`;
    const [oldKey, to] = [newKey(), newKey()];
    await store.set(oldKey, record({ userId: user }), { expiresAt: Date.now() + 60_000, expectedVersion: null });
    // The listing's MGET waits until the whole rotation is done: its index read saw only the old
    // key, which is gone by the time the records are read.
    const holding = holdingClient(client, 'mget', `${prefix}s:${oldKey}`);
    const lister = new RedisStore({ client: holding.client, prefix });
    const listing = lister.listByUser(user);
    await holding.held.reached;
    const moved = record({ userId: user, data: { moved: true } });
    expect(await store.rotate(oldKey, to, moved, { expiresAt: Date.now() + 60_000, expectedVersion: 1 })).toBe(true);
    holding.held.release();
    expect(await listing).toEqual([{ key: to, record: moved }]);
  });

  it('creates its own client from a url, and close() quits only that one', async () => {
    const prefix = uniquePrefix();
    const owned = new RedisStore({ url: SHARED_REDIS_URL, prefix });
    const key = newKey();
    const written = record();
    try {
      expect(await owned.set(key, written, { expiresAt: Date.now() + 60_000, expectedVersion: null })).toBe(true);
      expect(await owned.get(key)).toEqual(written);
      // Its client pipelines automatically: many sessions read in one tick, each answered right.
      expect((owned.client as Redis).options.enableAutoPipelining).toBe(true);
      const keys = Array.from({ length: 50 }, () => newKey());
      await Promise.all(
        keys.map((each, i) =>
          owned.set(each, record({ data: { i } }), { expiresAt: Date.now() + 60_000, expectedVersion: null }),
        ),
      );
      const read = await Promise.all(keys.map((each) => owned.get(each)));
      expect(read.map((each) => each?.data)).toEqual(keys.map((_, i) => ({ i })));
      // Rotations in one tick too (a two-key script): each its own, and ten racing for one.
      const moved = keys.map(() => newKey());
      const rotated = await Promise.all(
        keys.map((each, i) =>
          owned.rotate(each, moved[i]!, record({ data: { i } }), {
            expiresAt: Date.now() + 60_000,
            expectedVersion: 1,
          }),
        ),
      );
      expect(rotated.every(Boolean)).toBe(true);
      expect((await Promise.all(moved.map((each) => owned.get(each)))).map((each) => each?.data)).toEqual(
        keys.map((_, i) => ({ i })),
      );
      const racing = await Promise.all(
        Array.from({ length: 10 }, () =>
          owned.rotate(moved[0]!, newKey(), record(), { expiresAt: Date.now() + 60_000, expectedVersion: 1 }),
        ),
      );
      expect(racing.filter(Boolean)).toHaveLength(1);
    } finally {
      await deletePrefix(client, prefix);
      await owned.close();
    }
    await expect.poll(() => (owned.client as Redis).status).toBe('end');

    const borrowed = new RedisStore({ client, prefix });
    await borrowed.close();
    expect(client.status).toBe('ready');
    expect(await borrowed.get(newKey())).toBeNull();
  });

  it('with waitForReplicas, fails a write that no replica confirmed (not-replicated) instead of acknowledging it', async () => {
    // The shared server has no replica: WAIT 1 returns 0 after its timeout.
    const store = new RedisStore({ client, prefix: target.prefix, commandTimeout: 400, waitForReplicas: 1 });
    const key = newKey();
    const started = Date.now();
    const error = await store
      .set(key, record(), { expiresAt: Date.now() + 60_000, expectedVersion: null })
      .catch((caught: unknown) => caught);
    expect(isSpartanError(error, 'sessions/store-unavailable') && error.details.reason).toBe('not-replicated');
    expect(Date.now() - started).toBeLessThan(400);
    // Reads never wait.
    expect(await store.get(key)).not.toBeNull();
  });

  it('refuses bad options with sessions/option-type-incorrect', () => {
    const refused = (make: () => unknown, option: string) => {
      let error: unknown;
      try {
        make();
      } catch (caught) {
        error = caught;
      }
      expect(isSpartanError(error, 'sessions/option-type-incorrect') && error.details.option).toBe(option);
    };
    refused(() => new RedisStore(undefined as never), 'options');
    refused(() => new RedisStore({} as never), 'options');
    refused(() => new RedisStore({ client, url: SHARED_REDIS_URL } as never), 'client');
    refused(() => new RedisStore({ client: {} as never }), 'client');
    refused(() => new RedisStore({ client, prefix: 1 as never }), 'prefix');
    refused(() => new RedisStore({ client, commandTimeout: 0 }), 'commandTimeout');
    refused(() => new RedisStore({ client, waitForReplicas: -1 }), 'waitForReplicas');
    refused(
      () => new RedisStore({ client, commandTimeout: 100, waitForReplicas: 1, waitForReplicasTimeout: 100 }),
      'waitForReplicasTimeout',
    );
    expect(new RedisStore({ client, commandTimeout: 1 }).prefix).toBe('sess:');
  });
});
