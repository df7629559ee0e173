// MongoStore against a real MongoDB: core's store conformance suite, twice (with the real clock,
// and with a fake clock the store judges expiry by), and what only a server can show (E11000,
// the indexes, a document the TTL monitor has not removed yet, "$" and "." keys through BSON).
//
// No MongoDB server can be installed on the machines that build this project, so these suites
// run only when MONGO_URL names one (e.g. MONGO_URL=mongodb://127.0.0.1:27017); without it they
// are reported as skipped, never as passed.
import { randomUUID } from 'node:crypto';
import type { SessionStore } from '@spartan-sessions/core';
import { createFakeClock, describeStoreConformance, makeStoredSession } from '@spartan-sessions/core/testing';
import { type Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoStore } from '../src/index.js';
import { awkwardData, newKey } from './support/fixtures.js';

const MONGO_URL = process.env.MONGO_URL;
if (!MONGO_URL) {
  console.warn('store-mongo: MONGO_URL is not set — the suites against a real MongoDB are SKIPPED, not passed.');
}

const HOUR = 3_600_000;
let client: MongoClient;
let db: Db;
/** Every store made here, with its collection, dropped after the test. */
const collectionOf = new WeakMap<SessionStore, string>();

function freshStore(options: { clock?: { now(): number } } = {}): MongoStore {
  const collectionName = `sessions_${randomUUID().replaceAll('-', '')}`;
  const store = new MongoStore({ db, collectionName, ...options });
  collectionOf.set(store, collectionName);
  return store;
}

async function drop(store: SessionStore): Promise<void> {
  const name = collectionOf.get(store);
  if (name !== undefined)
    await db
      .collection(name)
      .drop()
      .catch(() => {});
}

describe.skipIf(!MONGO_URL)('MongoStore against MONGO_URL (needs a MongoDB server)', () => {
  beforeAll(async () => {
    client = new MongoClient(MONGO_URL ?? '', { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    db = client.db(process.env.MONGO_DB ?? 'spartan_sessions_test');
  });

  afterAll(async () => {
    await client?.close();
  });

  // MongoStore has no `update` (the server-side delta save) yet: core writes through `set`.
  describeStoreConformance('MongoStore (real clock)', {
    create: () => freshStore(),
    cleanup: drop,
    withoutUpdate: true,
  });

  const clock = createFakeClock(Date.now());
  describeStoreConformance('MongoStore (a fake clock decides expiry)', {
    create: () => freshStore({ clock }),
    cleanup: drop,
    clock,
    withoutUpdate: true,
  });

  describe('what only a server shows', () => {
    let store: MongoStore;
    let name: string;

    beforeAll(() => {
      store = freshStore();
      name = collectionOf.get(store) ?? '';
    });

    afterAll(async () => {
      await drop(store);
    });

    it('round-trips data with "$" and "." keys and a lone surrogate through BSON exactly', async () => {
      const key = newKey();
      const record = makeStoredSession({ userId: 'alice', data: awkwardData() });
      expect(await store.set(key, record, { expiresAt: Date.now() + HOUR, expectedVersion: null })).toBe(true);
      expect(await store.get(key)).toEqual(record);
      const next = makeStoredSession({ version: 2, userId: 'alice', data: { ...awkwardData(), 'x.y': 2 } });
      expect(await store.set(key, next, { expiresAt: Date.now() + HOUR, expectedVersion: 1 })).toBe(true);
      expect(await store.listByUser('alice')).toEqual([{ key, record: next }]);
    });

    it('created its two indexes on first use: TTL 0 on expiresAt, sparse on userId', async () => {
      await store.get(newKey());
      const indexes = await db.collection(name).listIndexes().toArray();
      const byName = new Map(indexes.map((index) => [index.name as string, index]));
      expect(byName.get('spartan_expiresAt_ttl')).toMatchObject({ key: { expiresAt: 1 }, expireAfterSeconds: 0 });
      expect(byName.get('spartan_userId')).toMatchObject({ key: { userId: 1 }, sparse: true });
    });

    it('a second store on the same collection (another process starting) creates them again without error', async () => {
      const twin = new MongoStore({ db, collectionName: name });
      await expect(
        Promise.all([twin.get(newKey()), new MongoStore({ db, collectionName: name }).get(newKey())]),
      ).resolves.toEqual([null, null]);
    });

    it('a document past expiresAt that the TTL monitor has not removed yet is no session, and get deletes it', async () => {
      const key = newKey();
      await store.set(key, makeStoredSession({ userId: 'bob' }), {
        expiresAt: Date.now() + HOUR,
        expectedVersion: null,
      });
      await db.collection(name).updateOne({ _id: key as never }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
      expect(await store.listByUser('bob')).toEqual([]);
      expect(await store.get(key)).toBeNull();
      await expect
        .poll(() => db.collection(name).countDocuments({ _id: key as never }), { timeout: 5000, interval: 50 })
        .toBe(0);
    });

    it('a create-only write over such a document replaces it; a live one makes it false (E11000)', async () => {
      const key = newKey();
      await store.set(key, makeStoredSession(), { expiresAt: Date.now() + HOUR, expectedVersion: null });
      expect(await store.set(key, makeStoredSession(), { expiresAt: Date.now() + HOUR, expectedVersion: null })).toBe(
        false,
      );
      await db.collection(name).updateOne({ _id: key as never }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
      const fresh = makeStoredSession({ data: { fresh: true } });
      expect(await store.set(key, fresh, { expiresAt: Date.now() + HOUR, expectedVersion: null })).toBe(true);
      expect(await store.get(key)).toEqual(fresh);
    });
  });
});
