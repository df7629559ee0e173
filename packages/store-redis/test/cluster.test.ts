import {
  isSpartanError,
  type SessionStore,
  type StoredSession,
  type StoredSessionChanges,
} from '@spartan-sessions/core';
import { describeStoreConformance } from '@spartan-sessions/core/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { encodeSession, pointerHead, TOMBSTONE } from '../src/internal/codec.js';
import { sessionApp } from './support/app.js';
import { describeRedisStoreBehaviour, type RedisTarget } from './support/behaviour.js';
import { TestCluster } from './support/cluster.js';
import { deletePrefix, newKey, record, uniquePrefix, watchUnhandledRejections } from './support/fixtures.js';
import { holdingClient } from './support/intercept.js';
import { redisCli, waitFor } from './support/servers.js';

// A 3-master Redis Cluster (with one replica each) on loopback ports, started from the same
// redis-server binary as the standalone server and torn down after the file.
let cluster: TestCluster | undefined;
let client: Cluster;
let target: RedisTarget;

beforeAll(async () => {
  cluster = await TestCluster.start();
  client = new Cluster(
    cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
    // A quick retry after MOVED/TRYAGAIN/CLUSTERDOWN keeps failovers short in the tests.
    { retryDelayOnFailover: 50, retryDelayOnClusterDown: 50, retryDelayOnTryAgain: 50 },
  );
  client.on('error', () => {});
  client.on('node error', () => {});
  await waitFor('the Cluster client', () => client.status === 'ready');
  const prefix = uniquePrefix();
  target = { client, prefix, store: new RedisStore({ client, prefix, commandTimeout: 1000 }) };
});

afterAll(async () => {
  client?.disconnect();
  await cluster?.dispose();
});

describeStoreConformance('RedisStore on a 3-master Redis Cluster', {
  create: () => new RedisStore({ client, prefix: uniquePrefix() }),
  cleanup: (store: SessionStore) => deletePrefix(client, (store as RedisStore).prefix),
});

describeRedisStoreBehaviour('3-master Redis Cluster', () => target);

describe('RedisStore rotation on a Redis Cluster (old and new key in different slots)', () => {
  const later = () => Date.now() + 600_000;
  const sessionKey = (key: string) => `${target.prefix}s:${key}`;
  const indexKey = (user: string) => `${target.prefix}u:${user}`;

  /** A store over a view of the client that holds its first `method` call on `key`'s session key. */
  function holding(method: string, key: string) {
    const view = holdingClient(client, method, sessionKey(key));
    return { store: new RedisStore({ client: view.client, prefix: target.prefix, commandTimeout: 10_000 }), ...view };
  }

  /** A session of `user` under a fresh key, and a fresh key to rotate it to. */
  async function session(user: string) {
    const [from, to] = [newKey(), newKey()];
    const old = record({ userId: user, data: { step: 'old' } });
    await target.store.set(from, old, { expiresAt: later(), expectedVersion: null });
    return { from, to, old, moved: record({ userId: user, data: { step: 'moved' } }) };
  }

  it('leaves a bare forward pointer under the old key, with the old expiry, once the new record is written', async () => {
    const user = `ptr-${newKey()}`;
    const { from, to, moved } = await session(user);
    const expiry = Number(await client.pexpiretime(sessionKey(from)));
    expect(await target.store.rotate(from, to, moved, { expiresAt: later(), expectedVersion: 1 })).toBe(true);
    await expect.poll(() => client.get(sessionKey(from))).toBe(pointerHead(to));
    expect(Number(await client.pexpiretime(sessionKey(from)))).toBe(expiry);
    expect(await target.store.get(from)).toBeNull();
    expect(await target.store.get(to)).toEqual(moved);
    expect(await target.store.listByUser(user)).toEqual([{ key: to, record: moved }]);
  });

  it('a destroy of the old key between the begin and create steps wins: rotate resolves false, no new record lives', async () => {
    const user = `mid-${newKey()}`;
    const { from, to, moved } = await session(user);
    const rotating = holding('spartanSessionsCas', to);
    const rotation = rotating.store.rotate(from, to, moved, { expiresAt: later(), expectedVersion: 1 });
    await rotating.held.reached;
    // Begun: the old key holds the pointer carrying the old record.
    expect((await client.get(sessionKey(from)))?.startsWith(pointerHead(to))).toBe(true);
    await target.store.destroy(from);
    expect(await client.get(sessionKey(to))).toBe(TOMBSTONE);
    rotating.held.release();
    expect(await rotation).toBe(false);
    expect(await target.store.get(to)).toBeNull();
    expect(await client.get(sessionKey(to))).toBe(TOMBSTONE);
    expect(await client.exists(sessionKey(from))).toBe(0);
    expect(await target.store.listByUser(user)).toEqual([]);
    // The tombstone lasts at least a minute (10 × the timeout when that is longer).
    expect(Number(await client.pttl(sessionKey(to)))).toBeGreaterThan(50_000);
  });

  it('a destroy of the old key whose tombstone lands after the create still ends the new record and its index entry', async () => {
    const user = `late-${newKey()}`;
    const { from, to, moved } = await session(user);
    const rotating = holding('spartanSessionsCas', to);
    const destroying = holding('spartanSessionsTombstone', to);
    const rotation = rotating.store.rotate(from, to, moved, { expiresAt: later(), expectedVersion: 1 });
    await rotating.held.reached;
    const destroy = destroying.store.destroy(from);
    await destroying.held.reached; // the pointer is taken (GETDEL), the tombstone not yet written
    rotating.held.release();
    expect(await rotation).toBe(true);
    expect(await target.store.get(to)).toEqual(moved);
    destroying.held.release();
    await destroy;
    expect(await target.store.get(to)).toBeNull();
    expect(await client.get(sessionKey(to))).toBe(TOMBSTONE);
    expect(await client.zscore(indexKey(user), to)).toBeNull();
    expect(await target.store.listByUser(user)).toEqual([]);
  });

  it('a destroy of the old key after a completed rotation ends the new record too, following a chain of rotations', async () => {
    const user = `after-${newKey()}`;
    const { from, to, moved } = await session(user);
    const last = newKey();
    expect(await target.store.rotate(from, to, moved, { expiresAt: later(), expectedVersion: 1 })).toBe(true);
    const final = record({ userId: user, data: { step: 'final' } });
    expect(await target.store.rotate(to, last, final, { expiresAt: later(), expectedVersion: 1 })).toBe(true);
    expect(await target.store.listByUser(user)).toEqual([{ key: last, record: final }]);
    expect(await client.zscore(indexKey(user), last)).not.toBeNull();
    // A request still holding the first cookie logs out.
    await target.store.destroy(from);
    expect(await target.store.get(last)).toBeNull();
    expect(await client.get(sessionKey(last))).toBe(TOMBSTONE);
    expect(await client.get(sessionKey(to))).toBe(TOMBSTONE);
    expect(await client.zscore(indexKey(user), last)).toBeNull();
    expect(await target.store.listByUser(user)).toEqual([]);
  });

  it('a destroy of the new key leaves the old pointer harmless: nothing is revived, listings stay empty', async () => {
    const user = `newgone-${newKey()}`;
    const { from, to, moved } = await session(user);
    expect(await target.store.rotate(from, to, moved, { expiresAt: later(), expectedVersion: 1 })).toBe(true);
    await expect.poll(() => client.get(sessionKey(from))).toBe(pointerHead(to));
    await target.store.destroy(to);
    expect(await target.store.listByUser(user)).toEqual([]);
    expect(
      await target.store.set(from, record({ userId: user, version: 2 }), { expiresAt: later(), expectedVersion: 1 }),
    ).toBe(false);
    expect(await target.store.rotate(from, newKey(), moved, { expiresAt: later(), expectedVersion: 1 })).toBe(false);
    expect(await target.store.get(from)).toBeNull();
  });

  it('listByUser lists a rotation under way under its old key, so a revocation in that moment ends it', async () => {
    const user = `revoke-${newKey()}`;
    const { from, to, old, moved } = await session(user);
    const rotating = holding('spartanSessionsCas', to);
    const rotation = rotating.store.rotate(from, to, moved, { expiresAt: later(), expectedVersion: 1 });
    await rotating.held.reached;
    // Neither key holds a record now; the pointer carries the old one.
    expect(await target.store.get(from)).toBeNull();
    expect(await target.store.get(to)).toBeNull();
    expect(await target.store.listByUser(user)).toEqual([{ key: from, record: old }]);
    const { manager } = sessionApp(target.store);
    expect(await manager.revokeUser(user)).toBe(1);
    rotating.held.release();
    expect(await rotation).toBe(false);
    expect(await target.store.get(to)).toBeNull();
    expect(await target.store.listByUser(user)).toEqual([]);
  });

  it('a rotation that finds its new key taken puts the old record back, value and expiry', async () => {
    const user = `taken-${newKey()}`;
    const { from, to, moved } = await session(user);
    const other = record({ userId: 'someone-else' });
    await target.store.set(to, other, { expiresAt: later(), expectedVersion: null });
    const before = await client.get(sessionKey(from));
    const expiry = Number(await client.pexpiretime(sessionKey(from)));
    const rotating = holding('spartanSessionsCas', to);
    const rotation = rotating.store.rotate(from, to, moved, { expiresAt: later(), expectedVersion: 1 });
    await rotating.held.reached;
    expect(await client.get(sessionKey(from))).toBe(`${pointerHead(to)}${before}`);
    rotating.held.release();
    expect(await rotation).toBe(false);
    expect(await client.get(sessionKey(from))).toBe(before);
    expect(Number(await client.pexpiretime(sessionKey(from)))).toBe(expiry);
    expect(await target.store.get(to)).toEqual(other);
  });

  it('of two rotations of one record racing step by step, the first to begin wins and the other changes nothing', async () => {
    const user = `race-${newKey()}`;
    const { from, to, moved } = await session(user);
    const second = newKey();
    const rotating = holding('spartanSessionsCas', to);
    const first = rotating.store.rotate(from, to, moved, { expiresAt: later(), expectedVersion: 1 });
    await rotating.held.reached;
    expect(await target.store.rotate(from, second, moved, { expiresAt: later(), expectedVersion: 1 })).toBe(false);
    rotating.held.release();
    expect(await first).toBe(true);
    expect(await client.exists(sessionKey(second))).toBe(0);
    expect(await target.store.listByUser(user)).toEqual([{ key: to, record: moved }]);
  });

  it('a forward pointer carrying a record whose target holds nothing is listed once, under the pointer', async () => {
    // What a rotation interrupted between its steps leaves (the process died): the session
    // is still revocable through its old key.
    const user = `stale-${newKey()}`;
    const from = newKey();
    const old = record({ userId: user });
    await client.set(sessionKey(from), `${pointerHead(newKey())}${encodeSession(old, 0)}`, 'PX', 600_000);
    await client.zadd(indexKey(user), Math.ceil(later() / 1000), from);
    expect(await target.store.listByUser(user)).toEqual([{ key: from, record: old }]);
    await target.store.destroy(from);
    expect(await client.exists(sessionKey(from))).toBe(0);
    expect(await target.store.listByUser(user)).toEqual([]);
  });
});

describe('RedisStore.update on a Redis Cluster (patches after the record, one key, one slot)', () => {
  const later = () => Date.now() + 600_000;
  const sessionKey = (key: string) => `${target.prefix}s:${key}`;
  const indexKey = (user: string) => `${target.prefix}u:${user}`;
  const changes = (set: Record<string, unknown>): StoredSessionChanges => ({ set, unset: [], lastSeenAt: 0 });
  const update = (key: string, delta: StoredSessionChanges) => {
    if (target.store.update === undefined) throw new Error('the store has no update');
    return target.store.update(key, delta, { expiresAt: later() });
  };

  it('an update of a key rotated away (forward pointer, with or without its carried record) returns null and changes nothing', async () => {
    const user = `upd-ptr-${newKey()}`;
    const [from, to] = [newKey(), newKey()];
    const old = record({ userId: user, data: {} });
    await target.store.set(from, old, { expiresAt: later(), expectedVersion: null });
    expect(await update(from, changes({ a: 1 }))).toBe(2);
    const merged = { ...old, version: 2, data: { a: 1 } };
    const moved = record({ userId: user, data: { a: 1, moved: true } });
    const view = holdingClient(client, 'spartanSessionsCas', sessionKey(to));
    const rotating = new RedisStore({ client: view.client, prefix: target.prefix, commandTimeout: 10_000 });
    const rotation = rotating.rotate(from, to, moved, { expiresAt: later(), expectedVersion: 2 });
    await view.held.reached;
    // Begun: the pointer carries the patched record, which a listing reads merged.
    const carrying = await client.get(sessionKey(from));
    expect(carrying?.startsWith(pointerHead(to))).toBe(true);
    expect(carrying).toContain('\n');
    expect(await update(from, changes({ lost: 1 }))).toBeNull();
    expect(await client.get(sessionKey(from))).toBe(carrying);
    expect(await target.store.listByUser(user)).toEqual([{ key: from, record: merged }]);
    view.held.release();
    expect(await rotation).toBe(true);
    await expect.poll(() => client.get(sessionKey(from))).toBe(pointerHead(to));
    expect(await update(from, changes({ lost: 2 }))).toBeNull();
    expect(await client.get(sessionKey(from))).toBe(pointerHead(to));
    expect(await target.store.get(to)).toEqual(moved);
    expect(await target.store.listByUser(user)).toEqual([{ key: to, record: moved }]);
  });

  it('listByUser during and after updates of several sessions lists merged records (and folds long logs)', async () => {
    const user = `upd-list-${newKey()}`;
    const keys = [newKey(), newKey(), newKey()];
    for (const key of keys) {
      await target.store.set(key, record({ userId: user, data: {} }), { expiresAt: later(), expectedVersion: null });
    }
    const writes = keys.flatMap((key) => Array.from({ length: 40 }, (_, i) => update(key, changes({ [`w${i}`]: i }))));
    const listings = Array.from({ length: 10 }, () => target.store.listByUser(user));
    const [versions, listed] = await Promise.all([Promise.all(writes), Promise.all(listings)]);
    expect(versions.every((version) => version !== null && version >= 2 && version <= 41)).toBe(true);
    for (const listing of listed) {
      expect(listing.map((entry) => entry.key).sort()).toEqual([...keys].sort());
      // Each a consistent record: one data key per update its version counts.
      for (const { record: each } of listing) expect(Object.keys(each.data)).toHaveLength(each.version - 1);
    }
    const data = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`w${i}`, i]));
    const after = await target.store.listByUser(user);
    expect(after.map((entry) => entry.key).sort()).toEqual([...keys].sort());
    for (const { key, record: each } of after) {
      expect(each.version).toBe(41);
      expect(each.data).toEqual(data);
      expect(await target.store.get(key)).toEqual(each);
    }
    // The listing folded the logs (40 patches each, over the threshold of 32).
    for (const key of keys) {
      await expect.poll(async () => (await client.get(sessionKey(key)))?.includes('\n')).toBe(false);
    }
    expect(await target.store.listByUser(user)).toEqual(after);
  });

  it('destroy of a patched record removes it and its index entry', async () => {
    const user = `upd-destroy-${newKey()}`;
    const key = newKey();
    await target.store.set(key, record({ userId: user }), { expiresAt: later(), expectedVersion: null });
    for (let i = 0; i < 5; i++) await update(key, changes({ [`k${i}`]: i }));
    expect((await client.get(sessionKey(key)))?.split('\n')).toHaveLength(6);
    expect(await client.zscore(indexKey(user), key)).not.toBeNull();
    await target.store.destroy(key);
    expect(await client.exists(sessionKey(key))).toBe(0);
    expect(await client.zscore(indexKey(user), key)).toBeNull();
    expect(await target.store.listByUser(user)).toEqual([]);
    expect(await update(key, changes({ back: true }))).toBeNull();
    expect(await client.exists(sessionKey(key))).toBe(0);
  });
});

describe('RedisStore rotation through an auto-pipelining Cluster client', () => {
  it('rotates sessions issued in one tick, and of ten racing rotations of one session exactly one wins', async () => {
    const pipelined = new Cluster(
      cluster!.ports.map((port) => ({ host: '127.0.0.1', port })),
      { enableAutoPipelining: true },
    );
    pipelined.on('error', () => {});
    try {
      const store = new RedisStore({ client: pipelined, prefix: target.prefix });
      const user = `pipelined-${newKey()}`;
      const keys = Array.from({ length: 20 }, () => newKey());
      const later = Date.now() + 600_000;
      await Promise.all(
        keys.map((key, i) =>
          store.set(key, record({ userId: user, data: { i } }), { expiresAt: later, expectedVersion: null }),
        ),
      );
      const moved = keys.map(() => newKey());
      const rotated = await Promise.all(
        keys.map((key, i) =>
          store.rotate(key, moved[i]!, record({ userId: user, data: { i } }), { expiresAt: later, expectedVersion: 1 }),
        ),
      );
      expect(rotated.every(Boolean)).toBe(true);
      expect((await store.listByUser(user)).map((entry) => entry.key).sort()).toEqual([...moved].sort());
      const racers = Array.from({ length: 10 }, () => newKey());
      const racing = await Promise.all(
        racers.map((to) =>
          store.rotate(moved[0]!, to, record({ userId: user }), { expiresAt: later, expectedVersion: 1 }),
        ),
      );
      expect(racing.filter(Boolean)).toHaveLength(1);
      const winner = racers[racing.indexOf(true)]!;
      expect((await store.listByUser(user)).map((entry) => entry.key).sort()).toEqual(
        [winner, ...moved.slice(1)].sort(),
      );
      await Promise.all(keys.map((key) => store.destroy(key)));
      expect(await store.listByUser(user)).toEqual([]);
    } finally {
      pipelined.disconnect();
    }
  });
});

describe('SessionManager over the RedisStore on a Redis Cluster', () => {
  it('revokeUser while a request of that user is rotating: the commit leaves no live session and clears the cookie', async () => {
    const app = sessionApp(target.store);
    const user = `core-revoke-${newKey()}`;
    await app.request(async (session) => {
      await session.authenticate(user);
      session.cart = 1;
    });
    expect(await target.store.listByUser(user)).toHaveLength(1);
    expect(app.cookie).toBeDefined();
    const line = await app.request(async (session) => {
      await session.rotate();
      // Another request (an administrator) revokes the user before this one commits.
      expect(await app.manager.revokeUser(user)).toBe(1);
    });
    expect(line).toMatch(/Max-Age=0/i);
    expect(app.cookie).toBeUndefined();
    expect(await target.store.listByUser(user)).toEqual([]);
  });

  it('two parallel rotations of one session: at most one live new session', async () => {
    const app = sessionApp(target.store);
    const user = `core-race-${newKey()}`;
    await app.request(async (session) => {
      await session.authenticate(user);
    });
    const lines = await Promise.all([
      app.request(async (session) => {
        await session.rotate();
      }),
      app.request(async (session) => {
        await session.rotate();
      }),
    ]);
    // One wins and sets its new cookie; the other ends without a session and clears its cookie.
    expect(await target.store.listByUser(user)).toHaveLength(1);
    expect(lines.filter((line) => line !== undefined && !/Max-Age=0/i.test(line))).toHaveLength(1);
    expect(lines.filter((line) => line !== undefined && /Max-Age=0/i.test(line))).toHaveLength(1);
  });
});

describe('RedisStore on a Redis Cluster', () => {
  it('spreads sessions over every master (no hash tag pins them to one slot)', async () => {
    const keys = Array.from({ length: 30 }, () => newKey());
    await Promise.all(
      keys.map((key) =>
        target.store.set(key, record({ userId: 'spread' }), { expiresAt: Date.now() + 60_000, expectedVersion: null }),
      ),
    );
    const perMaster = await Promise.all(
      client.nodes('master').map(async (node) => {
        const [, found] = await node.scan('0', 'MATCH', `${target.prefix}s:*`, 'COUNT', 10_000);
        return found.length;
      }),
    );
    expect(perMaster).toHaveLength(3);
    expect(perMaster.every((count) => count > 0)).toBe(true);
    expect(await target.store.listByUser('spread')).toHaveLength(30);
  });

  /**
   * Writers keep creating and updating sessions while one shard changes master. Writes may fail
   * with `sessions/store-unavailable` meanwhile; none may hang, and every write that resolved
   * `true` must be readable afterwards.
   */
  async function writeThrough(
    disrupt: () => Promise<void>,
    store = target.store,
  ): Promise<{ acknowledged: number; failed: number; reasons: string }> {
    const acknowledged = new Map<string, StoredSession>();
    // An update that failed (timed out, typically) may still have been applied later: a
    // failure is not a promise that nothing happened. Reading it back is not a loss.
    const unacknowledged = new Map<string, StoredSession>();
    const failures: unknown[] = [];
    const slowest = { ms: 0 };
    /** One store call, its time counted in `slowest` (each call has its own 1 s bound). */
    const timed = async <T>(call: () => Promise<T>): Promise<T> => {
      const started = Date.now();
      try {
        return await call();
      } finally {
        slowest.ms = Math.max(slowest.ms, Date.now() - started);
      }
    };
    let running = true;
    const writer = async (worker: number) => {
      let sequence = 0;
      while (running) {
        const key = newKey();
        const first = record({ userId: `writer-${worker}`, data: { worker, sequence: sequence++ } });
        try {
          if (await timed(() => store.set(key, first, { expiresAt: Date.now() + 600_000, expectedVersion: null }))) {
            acknowledged.set(key, first);
            const second = { ...first, version: 2, data: { ...first.data, updated: true } };
            unacknowledged.set(key, second);
            if (await timed(() => store.set(key, second, { expiresAt: Date.now() + 600_000, expectedVersion: 1 }))) {
              acknowledged.set(key, second);
              unacknowledged.delete(key);
            }
          }
        } catch (error) {
          failures.push(error);
          // A failed write may have been applied or not; only acknowledged ones are checked.
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };
    const unhandled = watchUnhandledRejections();
    const writers = Promise.all(Array.from({ length: 4 }, (_, worker) => writer(worker)));
    try {
      await waitFor('writes before the disruption', () => acknowledged.size >= 100);
      await disrupt();
      const atRecovery = acknowledged.size;
      await waitFor('writes after the disruption', () => acknowledged.size >= atRecovery + 200, { timeoutMs: 15_000 });
    } finally {
      running = false;
      await writers;
      unhandled.stop();
    }
    expect(unhandled.reasons).toEqual([]);
    for (const failure of failures) expect(isSpartanError(failure, 'sessions/store-unavailable')).toBe(true);
    // Each store call (a new session's index and record, or an update) is bounded by the 1 s call
    // timeout. A writer makes two calls in a row, so it was the pair that was timed before, and
    // a crash could legitimately slow both (1,892 ms seen in CI).
    expect(slowest.ms).toBeLessThan(1000 + 500);
    const lost: string[] = [];
    for (const [key, expected] of acknowledged) {
      const read = await store.get(key);
      const alternative = unacknowledged.get(key);
      if (JSON.stringify(read) === JSON.stringify(expected)) continue;
      if (alternative !== undefined && JSON.stringify(read) === JSON.stringify(alternative)) continue;
      lost.push(`${JSON.stringify(expected)} => ${JSON.stringify(read)}`);
    }
    expect(lost).toEqual([]);
    const reasons = failures.map((failure) => (isSpartanError(failure) ? String(failure.details.reason) : 'other'));
    return { acknowledged: acknowledged.size, failed: failures.length, reasons: [...new Set(reasons)].join(', ') };
  }

  it('loses no acknowledged write through a manual failover (CLUSTER FAILOVER on a replica)', async () => {
    const running = cluster!;
    const replica = (await running.nodes()).find((node) => node.role === 'slave' && node.connected);
    if (replica === undefined) throw new Error('no replica');
    const { acknowledged, failed, reasons } = await writeThrough(async () => {
      expect(await redisCli(replica.port, 'cluster', 'failover')).toBe('OK');
      await waitFor('the replica to become master', async () =>
        (await running.nodes()).some((node) => node.port === replica.port && node.role === 'master'),
      );
    });
    expect(acknowledged).toBeGreaterThan(300);
    console.info(`manual failover: ${acknowledged} writes acknowledged, ${failed} failed meanwhile (${reasons})`);
    await running.waitUntilHealthy();
  });

  it('recovers by itself when a master is stopped and its replica takes over, then the old master rejoins', async () => {
    const running = cluster!;
    const nodes = await running.nodes();
    const master = nodes.find((node) => node.role === 'master');
    const replica = nodes.find((node) => node.role === 'slave' && node.masterId === master?.id);
    const server = running.servers.find((candidate) => candidate.port === master?.port);
    if (master === undefined || replica === undefined || server === undefined) throw new Error('no master/replica');
    const outcome = await writeThrough(async () => {
      // SIGTERM: Redis 7 lets its replicas catch up before it exits, so nothing acknowledged is
      // lost in the failover that follows (a crash could lose the last writes: replication is
      // asynchronous; see the README).
      await server.stop('SIGTERM');
      await waitFor(
        'the replica to take over the stopped master',
        async () => (await running.nodes()).some((node) => node.port === replica.port && node.role === 'master'),
        { timeoutMs: 15_000 },
      );
    });
    // The shard was unreachable for about a second (failure detection): some writes failed.
    expect(outcome.failed).toBeGreaterThan(0);
    console.info(
      `master stopped: ${outcome.acknowledged} writes acknowledged, ${outcome.failed} failed meanwhile (${outcome.reasons})`,
    );
    await server.restart();
    await running.waitUntilHealthy();
  });

  it('with waitForReplicas: 1 loses no acknowledged write when a master crashes (SIGKILL) and is restarted', async () => {
    const running = cluster!;
    const nodes = await running.nodes();
    const master = nodes.find((node) => node.role === 'master');
    const replica = nodes.find((node) => node.role === 'slave' && node.masterId === master?.id);
    const server = running.servers.find((candidate) => candidate.port === master?.port);
    if (master === undefined || replica === undefined || server === undefined) throw new Error('no master/replica');
    // WAIT after each write: a write is acknowledged only once the replica has it, so the
    // replica promoted after the crash holds every acknowledged write.
    const store = new RedisStore({ client, prefix: uniquePrefix(), commandTimeout: 1000, waitForReplicas: 1 });
    const outcome = await writeThrough(async () => {
      await server.stop('SIGKILL');
      await waitFor(
        'the replica to take over the crashed master',
        async () => (await running.nodes()).some((node) => node.port === replica.port && node.role === 'master'),
        { timeoutMs: 15_000 },
      );
      // Until the restarted node has synced as the new master's replica, WAIT 1 cannot
      // succeed on that shard: those writes fail (not-replicated) rather than risk a loss.
      await server.restart();
      await running.waitUntilHealthy();
    }, store);
    expect(outcome.failed).toBeGreaterThan(0);
    console.info(
      `master crashed: ${outcome.acknowledged} writes acknowledged, ${outcome.failed} failed meanwhile (${outcome.reasons})`,
    );
  });
});
