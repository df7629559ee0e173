import { randomBytes } from 'node:crypto';
import type { StoredSession } from '@spartan-sessions/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { deletePrefix, newKey } from './support/fixtures.js';

// Measures what a session costs in Redis with `MEMORY USAGE` (key, value and dict entry, as
// Redis accounts them; SAMPLES 0 = exact) on the shared server on 6379, under a unique prefix as
// long as the default one (`sess:`: key names are part of the cost). The README quotes the
// figures this prints.
const SESSIONS = 2000;

let client: Redis;

beforeAll(async () => {
  client = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  client.on('error', () => {});
  await client.connect();
});

afterAll(async () => {
  await client.quit();
});

/** A unique prefix of the default prefix's length (5 characters). */
function shortPrefix(): string {
  return `${randomBytes(3).toString('base64url').slice(0, 4)}:`;
}

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

/** Bytes of every key under `prefix` whose name passes `wanted`, as the benchmark counts them. */
async function bytes(prefix: string, wanted: (key: string) => boolean): Promise<number> {
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = client.pipeline();
    for (const key of keys.filter(wanted)) pipeline.memory('USAGE', key, 'SAMPLES', '0');
    for (const [error, usage] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      total += Number(usage);
    }
  } while (cursor !== '0');
  return total;
}

/** Stores `SESSIONS` sessions (`perUser` each, or anonymous) and weighs them. */
async function measure(perUser: number | null): Promise<{ session: number; index: number; total: number }> {
  const prefix = shortPrefix();
  const store = new RedisStore({ client, prefix });
  try {
    const expiresAt = Date.now() + 3_600_000;
    for (let i = 0; i < SESSIONS; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) => {
          const userId = perUser === null ? null : `user-${Math.floor((i + j) / perUser)}`;
          return store.set(newKey(), typicalRecord(userId), { expiresAt, expectedVersion: null });
        }),
      );
    }
    const session = (await bytes(prefix, (key) => key.startsWith(`${prefix}s:`))) / SESSIONS;
    const index = (await bytes(prefix, (key) => key.startsWith(`${prefix}i:`))) / SESSIONS;
    return { session: Math.round(session), index: Math.round(index), total: Math.round(session + index) };
  } finally {
    await deletePrefix(client, prefix);
  }
}

it(`measures Redis memory per session (${SESSIONS} sessions)`, async () => {
  const anonymous = await measure(null);
  const oneEach = await measure(1);
  const fourEach = await measure(4);
  const describe = ({ total, session, index }: { total: number; session: number; index: number }) =>
    `${total} B (${session} B session key + ${index} B share of the user index)`;
  console.info(
    `MEMORY USAGE per session: anonymous ${anonymous.total} B; signed in, one session per user ` +
      `${describe(oneEach)}; four sessions per user ${describe(fourEach)}`,
  );
  // Sane bounds, a little above the measured figures (152, 223 and 224 B on Redis 7.0), to
  // catch a regression in the layout (a key per user again, a bloated encoding) without flaking.
  expect(anonymous.total).toBeLessThan(170);
  expect(oneEach.total).toBeLessThan(240);
  expect(oneEach.index).toBeLessThan(70);
  expect(fourEach.total).toBeLessThan(240);
});
