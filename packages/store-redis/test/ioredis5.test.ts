import type { SessionStore } from '@spartan-sessions/core';
import { describeStoreConformance } from '@spartan-sessions/core/testing';
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { deletePrefix, newKey, record, uniquePrefix } from './support/fixtures.js';

// The peer range is ^5.4.0 || ^6.0.0. The store is built and tested against ioredis 6 (its
// default RESP3 protocol); this file runs the conformance suite on an ioredis 5 client (RESP2)
// and on an ioredis 6 client set back to RESP2 or to RESP3's own reply shapes, the three other
// ways users run it (the shared Redis of the test environment, as standalone.test.ts).
const URL = 'redis://127.0.0.1:6379';

// RedisStore's types name the installed ioredis's classes (6); an ioredis 5 client has the same
// shape, which this file proves at run time.
const asClient = (redis: Redis5): Redis => redis as unknown as Redis;

const clients: { close(): Promise<unknown> }[] = [];
let client5: Redis5;
let resp2: Redis;
let resp3Shapes: Redis;

beforeAll(async () => {
  client5 = new Redis5(URL, { lazyConnect: true });
  resp2 = new Redis(URL, { lazyConnect: true, protocol: 2 });
  resp3Shapes = new Redis(URL, { lazyConnect: true, replyMapping: 'resp3' });
  for (const c of [client5, resp2, resp3Shapes]) {
    c.on('error', () => {});
    await c.connect();
    clients.push({ close: () => c.quit() });
  }
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

describeStoreConformance('RedisStore on an ioredis 5 client', {
  create: () => new RedisStore({ client: asClient(client5), prefix: uniquePrefix() }),
  cleanup: (store: SessionStore) => deletePrefix(resp2, (store as RedisStore).prefix),
});

describeStoreConformance('RedisStore on an ioredis 6 client with protocol: 2', {
  create: () => new RedisStore({ client: resp2, prefix: uniquePrefix() }),
  cleanup: (store: SessionStore) => deletePrefix(resp2, (store as RedisStore).prefix),
});

describeStoreConformance("RedisStore on an ioredis 6 client with replyMapping: 'resp3'", {
  create: () => new RedisStore({ client: resp3Shapes, prefix: uniquePrefix() }),
  cleanup: (store: SessionStore) => deletePrefix(resp2, (store as RedisStore).prefix),
});

describe('the clients under test', () => {
  it('are ioredis 5 and ioredis 6, on the protocols asked for', async () => {
    const five = (await import('ioredis5/package.json', { with: { type: 'json' } })).default as { version: string };
    const six = (await import('ioredis/package.json', { with: { type: 'json' } })).default as { version: string };
    expect(five.version).toMatch(/^5\./);
    expect(six.version).toMatch(/^6\./);
    // CLIENT INFO reports the connection's protocol (resp=2 or resp=3).
    expect(String(await client5.call('CLIENT', 'INFO'))).toMatch(/ resp=2\b/);
    expect(String(await resp2.call('CLIENT', 'INFO'))).toMatch(/ resp=2\b/);
    expect(String(await resp3Shapes.call('CLIENT', 'INFO'))).toMatch(/ resp=3\b/);
  });

  it('a session stored through ioredis 5 reads back through ioredis 6 and the other way round', async () => {
    const prefix = uniquePrefix();
    const five = new RedisStore({ client: asClient(client5), prefix });
    const six = new RedisStore({ client: resp3Shapes, prefix });
    try {
      const first = newKey();
      const second = newKey();
      const one = record();
      const two = record();
      const expiresAt = Date.now() + 60_000;
      expect(await five.set(first, one, { expiresAt, expectedVersion: null })).toBe(true);
      expect(await six.set(second, two, { expiresAt, expectedVersion: null })).toBe(true);
      expect(await six.get(first)).toMatchObject({ version: one.version, data: one.data });
      expect(await five.get(second)).toMatchObject({ version: two.version, data: two.data });
    } finally {
      await deletePrefix(resp2, prefix);
    }
  });
});
