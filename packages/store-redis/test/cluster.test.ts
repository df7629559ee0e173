import { isSpartanError, type SessionStore, type StoredSession } from '@spartan-sessions/core';
import { describeStoreConformance } from '@spartan-sessions/core/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { describeRedisStoreBehaviour, type RedisTarget } from './support/behaviour.js';
import { TestCluster } from './support/cluster.js';
import { deletePrefix, newKey, record, uniquePrefix, watchUnhandledRejections } from './support/fixtures.js';
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
    let running = true;
    const writer = async (worker: number) => {
      let sequence = 0;
      while (running) {
        const key = newKey();
        const first = record({ userId: `writer-${worker}`, data: { worker, sequence: sequence++ } });
        const started = Date.now();
        try {
          if (await store.set(key, first, { expiresAt: Date.now() + 600_000, expectedVersion: null })) {
            acknowledged.set(key, first);
            const second = { ...first, version: 2, data: { ...first.data, updated: true } };
            unacknowledged.set(key, second);
            if (await store.set(key, second, { expiresAt: Date.now() + 600_000, expectedVersion: 1 })) {
              acknowledged.set(key, second);
              unacknowledged.delete(key);
            }
          }
        } catch (error) {
          failures.push(error);
          // A failed write may have been applied or not; only acknowledged ones are checked.
          await new Promise((resolve) => setTimeout(resolve, 20));
        } finally {
          slowest.ms = Math.max(slowest.ms, Date.now() - started);
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
    // Two commands (index, then session) per write, each bounded by the 1 s call timeout.
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
