import type { StoredSession } from '@spartan-sessions/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { deletePrefix, newKey, uniquePrefix } from './support/fixtures.js';

// Measures what a session costs in Redis with `MEMORY USAGE` (key, value and dict entry, as
// Redis accounts them; SAMPLES 0 = exact) on the shared server on 6379, under a unique prefix.
// The README quotes the figures this prints.
const SESSIONS = 1000;
const USERS = 100;

let client: Redis;

beforeAll(async () => {
  client = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  client.on('error', () => {});
  await client.connect();
});

afterAll(async () => {
  await client.quit();
});

/** A typical record: created a while ago, seen 90 s later, signed in, small data. */
function typicalRecord(userId: string | null): StoredSession {
  const createdAt = Date.now() - 600_000;
  return {
    version: 3,
    data: { passport: { user: 'u123' }, counter: 3 },
    createdAt,
    lastSeenAt: createdAt + 90_000,
    rotatedAt: createdAt,
    userId,
    authenticatedAt: userId === null ? null : createdAt + 5_000,
    zone: 'normal',
    csrfSecret: null,
  };
}

async function bytes(keys: string[]): Promise<number> {
  const pipeline = client.pipeline();
  for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', '0');
  const results = (await pipeline.exec()) ?? [];
  return results.reduce((sum, [error, usage]) => {
    if (error) throw error;
    return sum + Number(usage);
  }, 0);
}

async function measure(authenticated: boolean): Promise<{ session: number; index: number; total: number }> {
  const prefix = uniquePrefix();
  const store = new RedisStore({ client, prefix });
  try {
    const keys = Array.from({ length: SESSIONS }, () => newKey());
    const expiresAt = Date.now() + 3_600_000;
    for (let i = 0; i < SESSIONS; i += 100) {
      await Promise.all(
        keys.slice(i, i + 100).map((key, j) => {
          const userId = authenticated ? `user-${(i + j) % USERS}` : null;
          return store.set(key, typicalRecord(userId), { expiresAt, expectedVersion: null });
        }),
      );
    }
    const session = (await bytes(keys.map((key) => `${prefix}s:${key}`))) / SESSIONS;
    const indexKeys = authenticated ? Array.from({ length: USERS }, (_, user) => `${prefix}u:user-${user}`) : [];
    const index = (await bytes(indexKeys)) / SESSIONS;
    return { session: Math.round(session), index: Math.round(index), total: Math.round(session + index) };
  } finally {
    await deletePrefix(client, prefix);
  }
}

it(`measures Redis memory per session (${SESSIONS} sessions of ${USERS} users)`, async () => {
  const anonymous = await measure(false);
  const signedIn = await measure(true);
  console.info(
    `MEMORY USAGE per session: anonymous ${anonymous.total} B; signed in ${signedIn.total} B ` +
      `(${signedIn.session} B session key + ${signedIn.index} B share of the user index)`,
  );
  // Sane bounds, well above the measured figures (≈185 and ≈250 B on Redis 7.0), to catch a
  // regression in the layout (a second key per session, a bloated encoding) without flaking.
  expect(anonymous.total).toBeLessThan(220);
  expect(signedIn.total).toBeLessThan(300);
});
