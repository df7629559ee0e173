import type { SessionStore } from '@spartan-sessions/core';
import { describeStoreConformance } from '@spartan-sessions/core/testing';
import type { Redis as Redis5 } from 'ioredis';
import { Redis } from 'ioredis6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { deletePrefix, newKey, record, uniquePrefix } from './support/fixtures.js';

// The peer range is ^5.4.0 || ^6.0.0: the store passes the conformance suite on an ioredis 6
// client too (the shared Redis of the test environment, as standalone.test.ts).
const URL = 'redis://127.0.0.1:6379';

let client: Redis;
// RedisStore's types name ioredis 5's classes (the version it is built against); an ioredis 6
// client has the same shape, which this test proves at run time.
const asClient = (redis: Redis): Redis5 => redis as unknown as Redis5;

beforeAll(async () => {
  client = new Redis(URL, { lazyConnect: true });
  client.on('error', () => {});
  await client.connect();
});

afterAll(async () => {
  await client.quit();
});

describeStoreConformance('RedisStore on an ioredis 6 client', {
  create: () => new RedisStore({ client: asClient(client), prefix: uniquePrefix() }),
  cleanup: (store: SessionStore) => deletePrefix(asClient(client), (store as RedisStore).prefix),
});

describe('ioredis 6', () => {
  it('is the client under test (6.x), and a stored session reads back', async () => {
    const { version } = (await import('ioredis6/package.json', { with: { type: 'json' } })).default as {
      version: string;
    };
    expect(version).toMatch(/^6\./);
    const prefix = uniquePrefix();
    const store = new RedisStore({ client: asClient(client), prefix });
    try {
      const key = newKey();
      const stored = record();
      expect(await store.set(key, stored, { expiresAt: Date.now() + 60_000, expectedVersion: null })).toBe(true);
      expect(await store.get(key)).toMatchObject({ version: stored.version, data: stored.data });
    } finally {
      await deletePrefix(asClient(client), prefix);
    }
  });
});
