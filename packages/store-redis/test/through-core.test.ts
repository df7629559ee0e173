import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { sessionApp } from './support/app.js';
import { deletePrefix, uniquePrefix } from './support/fixtures.js';

// Core's SessionManager over the RedisStore on the shared Redis (127.0.0.1:6379, unique prefix):
// what an application sees, request by request.
let client: Redis;
let store: RedisStore;

beforeAll(async () => {
  client = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  client.on('error', () => {});
  await client.connect();
  store = new RedisStore({ client, prefix: uniquePrefix() });
});

afterAll(async () => {
  await deletePrefix(client, store.prefix);
  await client.quit();
});

it('loses nothing when 50 parallel requests on one session change different keys', async () => {
  const app = sessionApp(store);
  await app.request((session) => {
    session.started = true;
  });
  expect(app.cookie).toBeDefined();
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      app.request((session) => {
        session[`key${i}`] = i;
      }),
    ),
  );
  let seen: Record<string, unknown> = {};
  await app.request((session) => {
    seen = { ...session };
  });
  expect(seen).toEqual({ started: true, ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`key${i}`, i])) });
});

it('lists and revokes a user’s sessions across browsers', async () => {
  const laptop = sessionApp(store);
  const phone = sessionApp(store);
  for (const browser of [laptop, phone]) {
    await browser.request(async (session) => {
      await session.authenticate('alice-redis');
      session.cart = ['book'];
    });
  }
  let listed = 0;
  await laptop.request(async (session) => {
    listed = (await session.listUserSessions()).length;
  });
  expect(listed).toBe(2);
  expect(await laptop.manager.revokeUser('alice-redis')).toBe(2);
  expect(await store.listByUser('alice-redis')).toEqual([]);
  await phone.request((session) => {
    expect(session.meta.userId).toBeNull();
    expect(session.cart).toBeUndefined();
  });
});

it('revokeUser while a request of that user is rotating: the commit leaves no live session and clears the cookie', async () => {
  const app = sessionApp(store);
  await app.request(async (session) => {
    await session.authenticate('bob-redis');
    session.cart = ['lamp'];
  });
  expect(await store.listByUser('bob-redis')).toHaveLength(1);
  const line = await app.request(async (session) => {
    await session.rotate();
    // Another request (an administrator) revokes the user before this one commits.
    expect(await app.manager.revokeUser('bob-redis')).toBe(1);
  });
  expect(line).toMatch(/Max-Age=0/i);
  expect(app.cookie).toBeUndefined();
  expect(await store.listByUser('bob-redis')).toEqual([]);
});

it('revokeUser while a request is signing in again (authenticate rotates): the commit leaves no live session', async () => {
  const app = sessionApp(store);
  await app.request(async (session) => {
    await session.authenticate('carol-redis');
  });
  const line = await app.request(async (session) => {
    await session.authenticate('carol-redis');
    expect(await app.manager.revokeUser('carol-redis')).toBe(1);
  });
  expect(line).toMatch(/Max-Age=0/i);
  expect(await store.listByUser('carol-redis')).toEqual([]);
});

it('two parallel rotations of one session: one wins, the other ends without a session', async () => {
  const app = sessionApp(store);
  await app.request(async (session) => {
    await session.authenticate('dave-redis');
  });
  const lines = await Promise.all([
    app.request(async (session) => {
      await session.rotate();
    }),
    app.request(async (session) => {
      await session.rotate();
    }),
  ]);
  expect(await store.listByUser('dave-redis')).toHaveLength(1);
  expect(lines.filter((line) => line !== undefined && !/Max-Age=0/i.test(line))).toHaveLength(1);
  expect(lines.filter((line) => line !== undefined && /Max-Age=0/i.test(line))).toHaveLength(1);
});
