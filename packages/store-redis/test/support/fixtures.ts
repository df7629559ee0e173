import { randomBytes, randomUUID } from 'node:crypto';
import type { StoredSession } from '@spartan-sessions/core';
import type { Cluster, Redis } from 'ioredis';

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
