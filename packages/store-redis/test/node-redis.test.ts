import { createHash } from 'node:crypto';
import { isSpartanError, type SessionStore } from '@spartan-sessions/core';
import { describeStoreConformance } from '@spartan-sessions/core/testing';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster, createSentinel, RESP_TYPES } from 'redis';
import { createClient as createClient5 } from 'redis5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { SCRIPTS } from '../src/internal/scripts.js';
import { describeRedisStoreBehaviour, type RedisTarget } from './support/behaviour.js';
import { TestCluster } from './support/cluster.js';
import { deletePrefix, newKey, record, SHARED_REDIS_URL, uniquePrefix } from './support/fixtures.js';
import { TestSentinel } from './support/sentinel.js';
import { freePorts, RedisServer, waitFor } from './support/servers.js';

// node-redis (`redis` 6, and 5 still in the peer range): a client, a Cluster and a Sentinel,
// each through core's conformance suite, and what only this client needs (its scripts sent
// by EVALSHA with EVAL on NOSCRIPT, WAIT in one pipeline, replies mapped to buffers, error
// replies told from a lost link). An ioredis client of the same server inspects the keys.

const later = () => Date.now() + 600_000;
const closers: Array<() => Promise<unknown>> = [];

/** A connected node-redis 6 client of the shared Redis (RESP3 unless told), closed after the file. */
async function connected(options: { RESP?: 2 | 3 } = {}) {
  const client = createClient({ url: SHARED_REDIS_URL, ...options });
  client.on('error', () => {});
  await client.connect();
  closers.push(() => client.close());
  return client;
}

let inspector: Redis;
let client6: Awaited<ReturnType<typeof connected>>;
let resp2: Awaited<ReturnType<typeof connected>>;
let client5: ReturnType<typeof createClient5>;
let target: RedisTarget;

beforeAll(async () => {
  inspector = new Redis(SHARED_REDIS_URL);
  inspector.on('error', () => {});
  closers.push(() => inspector.quit());
  client6 = await connected();
  resp2 = await connected({ RESP: 2 });
  client5 = createClient5({ url: SHARED_REDIS_URL });
  client5.on('error', () => {});
  await client5.connect();
  closers.push(() => client5.quit());
  const prefix = uniquePrefix();
  target = { client: inspector, prefix, store: new RedisStore({ client: client6, prefix }) };
});

afterAll(async () => {
  await deletePrefix(inspector, target.prefix);
  await Promise.all(closers.splice(0).map((close) => close()));
});

const cleanup = (store: SessionStore) => deletePrefix(inspector, (store as RedisStore).prefix);

describeStoreConformance('RedisStore on a node-redis 6 client (RESP3, its default)', {
  create: () => new RedisStore({ client: client6, prefix: uniquePrefix() }),
  cleanup,
});

describeStoreConformance('RedisStore on a node-redis 6 client on RESP2', {
  create: () => new RedisStore({ client: resp2, prefix: uniquePrefix() }),
  cleanup,
});

describeStoreConformance('RedisStore on a node-redis 5 client (RESP2, its default)', {
  create: () => new RedisStore({ client: client5, prefix: uniquePrefix() }),
  cleanup,
});

describeRedisStoreBehaviour('node-redis 6 client, standalone 127.0.0.1:6379', () => target);

describe('RedisStore on node-redis', () => {
  it('runs on the clients under test: node-redis 6 on RESP3 and RESP2, node-redis 5 on RESP2', async () => {
    const six = (await import('redis/package.json', { with: { type: 'json' } })).default as { version: string };
    const five = (await import('redis5/package.json', { with: { type: 'json' } })).default as { version: string };
    expect(six.version).toMatch(/^6\./);
    expect(five.version).toMatch(/^5\./);
    expect(String(await client6.sendCommand(['CLIENT', 'INFO']))).toMatch(/ resp=3\b/);
    expect(String(await resp2.sendCommand(['CLIENT', 'INFO']))).toMatch(/ resp=2\b/);
    expect(String(await client5.sendCommand(['CLIENT', 'INFO']))).toMatch(/ resp=2\b/);
  });

  it('answers a get in one round trip (one GET) and writes by EVALSHA once the script is loaded', async () => {
    const key = newKey();
    await target.store.set(key, record(), { expiresAt: later(), expectedVersion: null });
    const monitor = await inspector.monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((arg) => arg.includes(key))) seen.push(String(args[0]).toLowerCase());
    });
    try {
      await target.store.get(key);
      await target.store.set(key, record({ version: 2 }), { expiresAt: later(), expectedVersion: 1 });
      // Then the script's own GET and SET, which MONITOR shows too.
      await expect.poll(() => seen.slice(0, 2), { timeout: 2000 }).toEqual(['get', 'evalsha']);
      expect(seen).not.toContain('eval');
    } finally {
      monitor.disconnect();
    }
  });

  it('a session written through node-redis reads back through ioredis and the other way round', async () => {
    const prefix = uniquePrefix();
    const viaNode = new RedisStore({ client: client6, prefix });
    const viaIoredis = new RedisStore({ client: inspector, prefix });
    try {
      const [first, second] = [newKey(), newKey()];
      const one = record({ userId: 'both-clients' });
      const two = record({ userId: 'both-clients', data: { other: true } });
      expect(await viaNode.set(first, one, { expiresAt: later(), expectedVersion: null })).toBe(true);
      expect(await viaIoredis.set(second, two, { expiresAt: later(), expectedVersion: null })).toBe(true);
      expect(await viaIoredis.get(first)).toEqual(one);
      expect(await viaNode.get(second)).toEqual(two);
      const listed = await viaNode.listByUser('both-clients');
      expect(listed.map((entry) => entry.key).sort()).toEqual([first, second].sort());
    } finally {
      await deletePrefix(inspector, prefix);
    }
  });

  it('works on a client that maps strings to buffers (withTypeMapping)', async () => {
    const buffers = client6.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.SIMPLE_STRING]: Buffer });
    expect(await buffers.get('no-such-key-anywhere')).toBeNull();
    await client6.set(`${target.prefix}probe`, 'x');
    expect(Buffer.isBuffer(await buffers.get(`${target.prefix}probe`))).toBe(true);
    const store = new RedisStore({ client: buffers, prefix: target.prefix });
    const [key, moved] = [newKey(), newKey()];
    const written = record({ userId: 'buffer-user' });
    expect(await store.set(key, written, { expiresAt: later(), expectedVersion: null })).toBe(true);
    expect(await store.get(key)).toEqual(written);
    const next = record({ userId: 'buffer-user', version: 2 });
    expect(await store.rotate(key, moved, next, { expiresAt: later(), expectedVersion: 1 })).toBe(true);
    expect(await store.listByUser('buffer-user')).toEqual([{ key: moved, record: next }]);
    await store.destroy(moved);
    expect(await store.get(moved)).toBeNull();
  });

  it('tells an error reply (redis-error) from a closed client (connection)', async () => {
    const user = `wrongtype-${newKey()}`;
    // The user's index key holds a string: the index script's ZADD answers WRONGTYPE.
    await inspector.set(`${target.prefix}u:${user}`, 'not a sorted set', 'PX', 60_000);
    const error = await target.store
      .set(newKey(), record({ userId: user }), { expiresAt: later(), expectedVersion: null })
      .catch((caught: unknown) => caught);
    expect(isSpartanError(error, 'sessions/store-unavailable') && error.details.reason).toBe('redis-error');

    const closed = createClient({ url: SHARED_REDIS_URL });
    await closed.connect();
    closed.destroy();
    const store = new RedisStore({ client: closed, prefix: uniquePrefix() });
    const lost = await store.get(newKey()).catch((caught: unknown) => caught);
    expect(isSpartanError(lost, 'sessions/store-unavailable') && lost.details.reason).toBe('connection');
  });

  it('with waitForReplicas, fails a write that no replica confirmed (not-replicated)', async () => {
    // The shared server has no replica: WAIT 1 returns 0 after its timeout.
    const store = new RedisStore({ client: client6, prefix: target.prefix, commandTimeout: 400, waitForReplicas: 1 });
    const key = newKey();
    const error = await store
      .set(key, record(), { expiresAt: later(), expectedVersion: null })
      .catch((caught: unknown) => caught);
    expect(isSpartanError(error, 'sessions/store-unavailable') && error.details.reason).toBe('not-replicated');
    expect(await store.get(key)).not.toBeNull();
  });

  it('refuses an object that is no client it knows', () => {
    let error: unknown;
    try {
      new RedisStore({ client: { sendCommand: async () => null } as never });
    } catch (caught) {
      error = caught;
    }
    expect(isSpartanError(error, 'sessions/option-type-incorrect') && error.details.option).toBe('client');
  });
});

describe('RedisStore on node-redis, on a server that has not seen its scripts', () => {
  let server: RedisServer;
  let own: ReturnType<typeof createClient>;

  beforeAll(async () => {
    const [port] = (await freePorts(1)) as [number];
    server = await RedisServer.start(port);
    own = createClient({ url: `redis://127.0.0.1:${port}` });
    own.on('error', () => {});
    await own.connect();
  });

  afterAll(async () => {
    await own?.close();
    await server?.stop('SIGKILL');
  });

  const loaded = async () =>
    (await own.sendCommand(['SCRIPT', 'EXISTS', ...Object.values(SCRIPTS).map(sha1)])) as number[];

  it('sends a script by EVAL on NOSCRIPT, which loads it, alone and before a WAIT', async () => {
    const store = new RedisStore({ client: own, prefix: 'fresh:' });
    expect(await loaded()).not.toContain(1);
    const key = newKey();
    const written = record({ userId: 'fresh' });
    expect(await store.set(key, written, { expiresAt: later(), expectedVersion: null })).toBe(true);
    expect(await store.get(key)).toEqual(written);
    expect((await loaded()).filter((each) => each === 1).length).toBeGreaterThanOrEqual(2); // cas, indexAdd
    await own.sendCommand(['SCRIPT', 'FLUSH']);
    expect(await loaded()).not.toContain(1);
    // In a pipeline with WAIT (no replica here: written, then not-replicated). The WAIT sent
    // after the refused EVALSHA still runs out its timeout before the EVAL's pipeline is
    // answered: twice the WAIT timeout, once per server start or SCRIPT FLUSH.
    const waiting = new RedisStore({
      client: own,
      prefix: 'fresh:',
      commandTimeout: 1000,
      waitForReplicas: 1,
      waitForReplicasTimeout: 200,
    });
    const error = await waiting
      .set(key, record({ userId: 'fresh', version: 2 }), { expiresAt: later(), expectedVersion: 1 })
      .catch((caught: unknown) => caught);
    expect(isSpartanError(error, 'sessions/store-unavailable') && error.details.reason).toBe('not-replicated');
    expect((await store.get(key))?.version).toBe(2);
    expect(await store.listByUser('fresh')).toHaveLength(1);
  });
});

describe('RedisStore on a node-redis Cluster', () => {
  let cluster: TestCluster | undefined;
  let nodeCluster: ReturnType<typeof createCluster>;
  let ioCluster: Cluster;
  let clusterTarget: RedisTarget;

  beforeAll(async () => {
    cluster = await TestCluster.start();
    nodeCluster = createCluster({ rootNodes: cluster.ports.map((port) => ({ url: `redis://127.0.0.1:${port}` })) });
    nodeCluster.on('error', () => {});
    await nodeCluster.connect();
    ioCluster = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    ioCluster.on('error', () => {});
    await waitFor('the ioredis Cluster client', () => ioCluster.status === 'ready');
    const prefix = uniquePrefix();
    clusterTarget = { client: ioCluster, prefix, store: new RedisStore({ client: nodeCluster, prefix }) };
  });

  afterAll(async () => {
    await nodeCluster?.close();
    ioCluster?.disconnect();
    await cluster?.dispose();
  });

  describeStoreConformance('RedisStore on a node-redis Cluster (3 masters)', {
    create: () => new RedisStore({ client: nodeCluster, prefix: uniquePrefix() }),
    cleanup: (store: SessionStore) => deletePrefix(ioCluster, (store as RedisStore).prefix),
  });

  describeRedisStoreBehaviour('node-redis Cluster (3 masters)', () => clusterTarget);

  it('rotates across slots with a forward pointer, and waits for the replica of the master that took the write', async () => {
    const store = new RedisStore({ client: nodeCluster, prefix: clusterTarget.prefix, waitForReplicas: 1 });
    const [from, to] = [newKey(), newKey()];
    const user = `cluster-${newKey()}`;
    expect(await store.set(from, record({ userId: user }), { expiresAt: later(), expectedVersion: null })).toBe(true);
    const moved = record({ userId: user, version: 2 });
    expect(await store.rotate(from, to, moved, { expiresAt: later(), expectedVersion: 1 })).toBe(true);
    // Different slots: the old key holds a forward pointer to the new one.
    await expect.poll(() => ioCluster.get(`${clusterTarget.prefix}s:${from}`)).toMatch(/^>\d+:/);
    expect(await store.listByUser(user)).toEqual([{ key: to, record: moved }]);
    await store.destroy(from);
    expect(await store.get(to)).toBeNull();
  });
});

describe('RedisStore through a node-redis Sentinel', () => {
  let group: TestSentinel | undefined;
  let sentinel: ReturnType<typeof createSentinel>;
  let master: Redis;

  beforeAll(async () => {
    group = await TestSentinel.start('spartan-node');
    sentinel = createSentinel({
      name: 'spartan-node',
      sentinelRootNodes: [{ host: '127.0.0.1', port: group.sentinel.port }],
    });
    sentinel.on('error', () => {});
    await sentinel.connect();
    master = new Redis(group.servers[0]!.port, '127.0.0.1');
    master.on('error', () => {});
  });

  afterAll(async () => {
    await sentinel?.close();
    master?.disconnect();
    await group?.dispose();
  });

  describeStoreConformance('RedisStore through a node-redis Sentinel', {
    create: () => new RedisStore({ client: sentinel, prefix: uniquePrefix() }),
    cleanup: (store: SessionStore) => deletePrefix(master, (store as RedisStore).prefix),
  });

  it('with waitForReplicas: 2, acknowledges a write once both replicas have it', async () => {
    const store = new RedisStore({ client: sentinel, prefix: uniquePrefix(), waitForReplicas: 2 });
    const key = newKey();
    const written = record({ userId: 'sentinel-node' });
    expect(await store.set(key, written, { expiresAt: later(), expectedVersion: null })).toBe(true);
    for (const replica of group!.servers.slice(2)) {
      const direct = new Redis(replica.port, '127.0.0.1');
      try {
        expect(await direct.get(`${store.prefix}s:${key}`)).not.toBeNull();
      } finally {
        direct.disconnect();
      }
    }
    await deletePrefix(master, store.prefix);
  });
});

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
