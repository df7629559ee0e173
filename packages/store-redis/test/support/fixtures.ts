import { randomBytes, randomUUID } from 'node:crypto';
import type { StoredSession } from '@spartan-sessions/core';
import { type Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

/** A store key shaped like core's (base64url of a SHA-256). */
export function newKey(): string {
  // The shape of core's store keys: 128 bits, base64url (22 characters).
  return randomBytes(16).toString('base64url');
}

/** A unique key prefix per test run, so runs never see each other's keys. */
export function uniquePrefix(): string {
  return `t${randomUUID().slice(0, 8)}:`;
}

export function record(overrides: Partial<StoredSession> = {}): StoredSession {
  const now = Date.now();
  return {
    version: 1,
    data: { passport: { user: 'u123' }, counter: 3 },
    createdAt: now,
    lastSeenAt: now,
    rotatedAt: now,
    userId: null,
    authenticatedAt: null,
    zone: 'normal',
    csrfSecret: null,
    ...overrides,
  };
}

/** The shared Redis of the test environment (scripts/ensure-services.sh starts it). */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * A client of the shared Redis for one test file: connected before its tests, under a prefix
 * of its own whose keys are deleted after them, then closed. The fields are set once the
 * file's `beforeAll` hooks run (this one first, being registered first).
 */
export function useSharedRedis(): { readonly client: Redis; readonly prefix: string } {
  const shared = { client: null as unknown as Redis, prefix: uniquePrefix() };
  beforeAll(async () => {
    shared.client = new Redis(SHARED_REDIS_URL, { lazyConnect: true });
    shared.client.on('error', () => {});
    await shared.client.connect();
  });
  afterAll(async () => {
    await deletePrefix(shared.client, shared.prefix);
    await shared.client.quit();
  });
  return shared;
}

/** Deletes every key under `prefix` (on every master of a Cluster) with SCAN, never KEYS. */
export async function deletePrefix(client: Redis | Cluster, prefix: string): Promise<void> {
  const nodes = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  await Promise.all(
    nodes.map(async (node) => {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        // One DEL per key: in a Cluster the keys of one node still span many slots.
        await Promise.all(keys.map((key) => node.del(key)));
      } while (cursor !== '0');
    }),
  );
}

/** Collects `unhandledRejection`s while a test runs. */
export function watchUnhandledRejections(): { readonly reasons: unknown[]; stop(): void } {
  const reasons: unknown[] = [];
  const listener = (reason: unknown) => {
    reasons.push(reason);
  };
  process.on('unhandledRejection', listener);
  return { reasons, stop: () => process.off('unhandledRejection', listener) };
}
