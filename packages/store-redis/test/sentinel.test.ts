import { isSpartanError, type SessionStore, type StoredSession } from '@spartan-sessions/core';
import { describeStoreConformance } from '@spartan-sessions/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { deletePrefix, newKey, record, uniquePrefix, watchUnhandledRejections } from './support/fixtures.js';
import { TestSentinel } from './support/sentinel.js';
import { redisCli, waitFor } from './support/servers.js';

// Redis Sentinel: a master, two replicas and one Sentinel on loopback ports (TestSentinel). The
// store gets a plain ioredis `Redis` in sentinel mode.
const NAME = 'spartan';
let group: TestSentinel | undefined;
let client: Redis;

beforeAll(async () => {
  group = await TestSentinel.start(NAME);
  const sentinelPort = group.sentinel.port;
  client = new Redis({
    sentinels: [{ host: '127.0.0.1', port: sentinelPort }],
    name: NAME,
    // What the README recommends: follow +switch-master announcements, and reconnect when a
    // demoted master answers READONLY.
    failoverDetector: true,
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
  });
  client.on('error', () => {});
  await waitFor('the Sentinel client', () => client.status === 'ready');
});

afterAll(async () => {
  client?.disconnect();
  await group?.dispose();
});

describeStoreConformance('RedisStore through Redis Sentinel', {
  create: () => new RedisStore({ client, prefix: uniquePrefix() }),
  cleanup: (store: SessionStore) => deletePrefix(client, (store as RedisStore).prefix),
});

describe('RedisStore through Redis Sentinel', () => {
  /**
   * Two writers create sessions while Sentinel fails the master over. Returns what was
   * acknowledged before and after the client had switched to the new master.
   */
  async function writeThroughFailover(store: RedisStore) {
    const sentinel = group!.sentinel;
    const before = await redisCli(sentinel.port, 'sentinel', 'get-master-addr-by-name', NAME);
    // After an earlier failover, the other replica must follow the new master first.
    await waitFor('the master to have a synced replica', async () =>
      /connected_slaves:[1-9]/.test(await redisCli(Number(before.split('\n')[1]), 'info', 'replication')),
    );
    const acknowledged = new Map<string, StoredSession>();
    const failures: unknown[] = [];
    let slowest = 0;
    let running = true;
    const unhandled = watchUnhandledRejections();
    const writer = async () => {
      while (running) {
        const key = newKey();
        const session = record({ userId: 'sentinel-user' });
        const started = Date.now();
        try {
          if (await store.set(key, session, { expiresAt: Date.now() + 600_000, expectedVersion: null })) {
            acknowledged.set(key, session);
          }
        } catch (error) {
          failures.push(error);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        slowest = Math.max(slowest, Date.now() - started);
      }
    };
    const writers = Promise.all([writer(), writer()]);
    let mark = 0;
    try {
      await waitFor('writes before the failover', () => acknowledged.size >= 50);
      expect(await redisCli(sentinel.port, 'sentinel', 'failover', NAME)).toBe('OK');
      const newMaster = await waitFor('the Sentinel to name the new master', async () => {
        const now = await redisCli(sentinel.port, 'sentinel', 'get-master-addr-by-name', NAME);
        return now !== before && now.split('\n')[1];
      });
      // The client follows by itself (failoverDetector, READONLY); until it has, it may still
      // write to the old master.
      await waitFor(
        'the client to talk to the new master',
        async () => (await client.info('server')).includes(`tcp_port:${newMaster}\r`),
        { timeoutMs: 15_000 },
      );
      mark = acknowledged.size;
      await waitFor('writes after the failover', () => acknowledged.size >= mark + 100, { timeoutMs: 15_000 });
    } finally {
      running = false;
      await writers;
      unhandled.stop();
    }
    expect(unhandled.reasons).toEqual([]);
    for (const failure of failures) expect(isSpartanError(failure, 'sessions/store-unavailable')).toBe(true);
    expect(slowest).toBeLessThan(1000 + 500);
    const entries = [...acknowledged];
    let dropped = 0;
    for (const [key, session] of entries.slice(0, mark)) {
      const read = await store.get(key);
      if (read === null) dropped++;
      else expect(read).toEqual(session);
    }
    // Everything acknowledged once the client talks to the new master is there.
    for (const [key, session] of entries.slice(mark)) expect(await store.get(key)).toEqual(session);
    await deletePrefix(client, store.prefix);
    return { before: mark, dropped, failed: failures.length };
  }

  it('follows a Sentinel failover by itself (writes fail at worst within the timeout, then succeed)', async () => {
    const store = new RedisStore({ client, prefix: uniquePrefix(), commandTimeout: 1000 });
    const { before, dropped, failed } = await writeThroughFailover(store);
    // Replication is asynchronous: what the old master acknowledged after the replica was
    // promoted and before it was demoted is dropped. This is what `waitForReplicas` prevents.
    console.info(
      `Sentinel failover, no waitForReplicas: ${failed} writes failed; ${dropped} of ${before} acknowledged before the client switched were dropped`,
    );
  });

  it('with waitForReplicas: 1 loses no acknowledged write through a Sentinel failover', async () => {
    const store = new RedisStore({ client, prefix: uniquePrefix(), commandTimeout: 1000, waitForReplicas: 1 });
    const { before, dropped, failed } = await writeThroughFailover(store);
    console.info(`Sentinel failover, waitForReplicas 1: ${failed} writes failed; 0 of ${before} dropped`);
    expect(dropped).toBe(0);
  });
});
