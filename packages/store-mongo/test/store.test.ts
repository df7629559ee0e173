// MongoStore without a server: option handling, where the collection comes from, index creation,
// and how driver errors and timeouts surface. The collection is a recording stub (test/support/stub.ts).
import { isSpartanError, type SpartanError } from '@spartan-sessions/core';
import { makeStoredSession } from '@spartan-sessions/core/testing';
import {
  type Collection,
  type Db,
  MongoClient,
  MongoNetworkError,
  MongoServerError,
  MongoWriteConcernError,
} from 'mongodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MongoStore, type MongoStoreOptions } from '../src/index.js';
import { INDEXES } from '../src/internal/documents.js';
import { newKey } from './support/fixtures.js';
import { cursorOf, type StubCollection, stubCollection } from './support/stub.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const asCollection = (stub: StubCollection) => stub as unknown as Collection;
const storeOver = (stub: StubCollection, options: Partial<MongoStoreOptions> = {}) =>
  new MongoStore({ collection: asCollection(stub), ...options } as MongoStoreOptions);

const future = () => Date.now() + 3_600_000;

/** The SpartanError a call rejected with (fails the test if it resolved or rejected otherwise). */
async function rejection(promise: Promise<unknown>): Promise<SpartanError> {
  const error = await promise.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  if (!isSpartanError(error)) throw new Error(`expected a SpartanError, got ${String(error)}`);
  return error;
}

function optionFailure(make: () => unknown): SpartanError {
  try {
    make();
  } catch (error) {
    if (isSpartanError(error, 'sessions/option-type-incorrect')) return error;
    throw error;
  }
  throw new Error('the constructor accepted it');
}

describe('options', () => {
  const collection = asCollection(stubCollection());

  it.each([
    ['no options', undefined, 'options'],
    ['no source', {}, 'options'],
    ['two sources', { collection, url: 'mongodb://127.0.0.1' }, 'url'],
    ['a collection that is not one', { collection: {} }, 'collection'],
    ['a db that is not one', { db: { name: 'x' } }, 'db'],
    ['a client that is not one', { client: { db: 1 } }, 'client'],
    ['a mongoose connection that is not one', { mongooseConnection: {} }, 'mongooseConnection'],
    ['a url that is no MongoDB connection string', { url: 'redis://127.0.0.1' }, 'url'],
    ['a url the driver cannot parse', { url: 'mongodb://user:p@ss@/x?bogus' }, 'url'],
    ['collectionName with a collection', { collection, collectionName: 'other' }, 'collectionName'],
    ['dbName with a db', { db: { collection: () => collection }, dbName: 'x' }, 'dbName'],
    ['an empty collectionName', { db: { collection: () => collection }, collectionName: '' }, 'collectionName'],
    ['a collectionName with "$"', { db: { collection: () => collection }, collectionName: 'a$b' }, 'collectionName'],
    ['a system collection', { db: { collection: () => collection }, collectionName: 'system.users' }, 'collectionName'],
    ['operationTimeout 0', { collection, operationTimeout: 0 }, 'operationTimeout'],
    ['operationTimeout 1.5', { collection, operationTimeout: 1.5 }, 'operationTimeout'],
    ['operationTimeout a string', { collection, operationTimeout: '2000' }, 'operationTimeout'],
    ['createIndexes a string', { collection, createIndexes: 'no' }, 'createIndexes'],
    ['a clock without now()', { collection, clock: {} }, 'clock'],
  ] as const)('refuses %s with sessions/option-type-incorrect naming the option', (_label, options, option) => {
    const error = optionFailure(() => new MongoStore(options as unknown as MongoStoreOptions));
    expect(error.details.option).toBe(option);
  });

  it('does not quote the connection string (it may hold a password) when refusing it', () => {
    const error = optionFailure(() => new MongoStore({ url: 'mongodb://user:s3cret@/x?bogus' }));
    expect(error.message).not.toContain('s3cret');
    expect(JSON.stringify(error.details)).not.toContain('s3cret');
  });

  it('declares its operationTimeout as callTimeout, so core adds no second timer', () => {
    expect(storeOver(stubCollection()).callTimeout).toBe(2000);
    expect(storeOver(stubCollection(), { operationTimeout: 750 }).callTimeout).toBe(750);
  });
});

describe('where the collection comes from', () => {
  const answering = () => stubCollection({ findOne: async () => null });

  it('a Db: its collection "sessions", or collectionName', async () => {
    const stub = answering();
    const db = { collection: vi.fn(() => stub) };
    await new MongoStore({ db: db as unknown as Db }).get(newKey());
    await new MongoStore({ db: db as unknown as Db, collectionName: 'web_sessions' }).get(newKey());
    expect(db.collection.mock.calls).toEqual([['sessions'], ['web_sessions']]);
  });

  it('a MongoClient: db(dbName).collection(collectionName); the store never connects or closes it', async () => {
    const stub = answering();
    const database = { collection: vi.fn(() => stub) };
    const client = { db: vi.fn(() => database), close: vi.fn(), connect: vi.fn() };
    const store = new MongoStore({ client: client as unknown as MongoClient, dbName: 'app', collectionName: 's' });
    await store.get(newKey());
    await store.close();
    expect(client.db.mock.calls).toEqual([['app']]);
    expect(database.collection.mock.calls).toEqual([['s']]);
    expect(client.connect).not.toHaveBeenCalled();
    expect(client.close).not.toHaveBeenCalled();
  });

  it('a mongoose connection: waits for it to open, then uses its db; never closes it', async () => {
    const stub = answering();
    const connection: {
      db?: { collection(name: string): unknown };
      asPromise: () => Promise<unknown>;
      close: () => void;
    } = {
      asPromise: vi.fn(async () => {
        connection.db = { collection: () => stub };
        return connection;
      }),
      close: vi.fn(),
    };
    const store = new MongoStore({ mongooseConnection: connection });
    await Promise.all([store.get(newKey()), store.get(newKey())]);
    await store.get(newKey());
    await store.close();
    expect(connection.asPromise).toHaveBeenCalledTimes(1);
    expect(stub.findOne).toHaveBeenCalledTimes(3);
    expect(connection.close).not.toHaveBeenCalled();
  });

  it('a mongoose connection that never opens: calls fail closed (store-unavailable), not as a setup error', async () => {
    const store = new MongoStore({ mongooseConnection: { asPromise: async () => undefined } });
    const error = await rejection(store.get(newKey()));
    expect(error.code).toBe('sessions/store-unavailable');
    expect(error.details).toMatchObject({ store: 'mongo', reason: 'not-connected' });
  });

  it('a url: the store creates the client (no connection until used) and close() closes it', async () => {
    const close = vi.spyOn(MongoClient.prototype, 'close').mockResolvedValue(undefined);
    const store = new MongoStore({ url: 'mongodb://127.0.0.1:9/app' });
    expect(close).not.toHaveBeenCalled();
    await store.close();
    expect(close).toHaveBeenCalledTimes(1);
  });
});

describe('index creation', () => {
  it('creates the TTL and userId indexes once, on first use, shared by concurrent first calls', async () => {
    const stub = stubCollection({ findOne: async () => null });
    const store = storeOver(stub);
    expect(stub.createIndexes).not.toHaveBeenCalled();
    await Promise.all(Array.from({ length: 5 }, () => store.get(newKey())));
    await store.get(newKey());
    expect(stub.createIndexes).toHaveBeenCalledTimes(1);
    expect(stub.createIndexes.mock.calls[0]).toEqual([INDEXES.map((index) => ({ ...index })), { maxTimeMS: 2000 }]);
  });

  it('skips it with createIndexes: false', async () => {
    const stub = stubCollection({ findOne: async () => null });
    await storeOver(stub, { createIndexes: false }).get(newKey());
    expect(stub.createIndexes).not.toHaveBeenCalled();
  });

  it('accepts an index on the same keys that the user made with another name or options', async () => {
    for (const [code, codeName] of [
      [85, 'IndexOptionsConflict'],
      [86, 'IndexKeySpecsConflict'],
    ] as const) {
      const stub = stubCollection({
        findOne: async () => null,
        createIndexes: async () => {
          throw new MongoServerError({ message: 'Index already exists with a different name', code, codeName });
        },
      });
      await expect(storeOver(stub).get(newKey())).resolves.toBeNull();
    }
  });

  it('a failure fails the call closed and is tried again by the next call', async () => {
    let attempt = 0;
    const stub = stubCollection({
      findOne: async () => null,
      createIndexes: async () => {
        attempt++;
        if (attempt === 1)
          throw new MongoServerError({ message: 'not authorized', code: 13, codeName: 'Unauthorized' });
        return [];
      },
    });
    const store = storeOver(stub);
    const error = await rejection(store.get(newKey()));
    expect(error.code).toBe('sessions/store-unavailable');
    expect(error.details).toMatchObject({ store: 'mongo', operation: 'createIndexes', reason: 'mongo-error' });
    expect(stub.findOne).not.toHaveBeenCalled();
    await expect(store.get(newKey())).resolves.toBeNull();
    expect(stub.createIndexes).toHaveBeenCalledTimes(2);
  });
});

describe('operations send maxTimeMS and fail closed', () => {
  const key = newKey();
  const secretData = { token: 'PRIVATE-DATA-VALUE' };

  function expectNothingSecret(error: SpartanError): void {
    const text = JSON.stringify({ message: error.message, details: error.details, cause: String(error.cause) });
    expect(text).not.toContain(key);
    expect(text).not.toContain('PRIVATE-DATA-VALUE');
  }

  it('every operation carries maxTimeMS = operationTimeout', async () => {
    const stub = stubCollection({
      findOne: async () => null,
      replaceOne: async () => ({ matchedCount: 0, upsertedCount: 1 }),
      deleteOne: async () => ({ deletedCount: 0 }),
      findOneAndDelete: async () => null,
      find: () => cursorOf([]),
      updateOne: async () => ({ matchedCount: 0 }),
    });
    const store = storeOver(stub, { operationTimeout: 1234 });
    await store.get(key);
    await store.set(key, makeStoredSession(), { expiresAt: future(), expectedVersion: null });
    await store.destroy(key);
    await store.listByUser('alice');
    await store.rotate(key, newKey(), makeStoredSession(), { expiresAt: future(), expectedVersion: 1 });
    for (const name of ['findOne', 'replaceOne', 'findOneAndDelete', 'find', 'updateOne'] as const) {
      const options = stub[name].mock.calls[0]?.at(-1);
      expect(options, name).toMatchObject({ maxTimeMS: 1234 });
    }
  });

  it('a create-only write whose insert hits E11000 resolves false (the key exists), never an error', async () => {
    const stub = stubCollection({
      replaceOne: async () => {
        throw new MongoServerError({
          message: `E11000 dup key: { _id: "${key}" }`,
          code: 11000,
          codeName: 'DuplicateKey',
        });
      },
    });
    await expect(
      storeOver(stub).set(key, makeStoredSession(), { expiresAt: future(), expectedVersion: null }),
    ).resolves.toBe(false);
    expect(stub.replaceOne.mock.calls[0]?.[2]).toMatchObject({ upsert: true });
  });

  it('a write concern error is never success, nor "exists": store-unavailable, reason write-concern', async () => {
    const writeConcern = () =>
      new MongoWriteConcernError({
        writeConcernError: { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out' },
        writeErrors: [{ index: 0, code: 11000, errmsg: `E11000 dup key: { _id: "${key}" }` }],
      } as unknown as ConstructorParameters<typeof MongoWriteConcernError>[0]);
    const stub = stubCollection({
      replaceOne: async () => {
        throw writeConcern();
      },
    });
    const store = storeOver(stub);
    for (const expectedVersion of [null, 1]) {
      const error = await rejection(
        store.set(key, makeStoredSession({ version: 2, data: secretData }), { expiresAt: future(), expectedVersion }),
      );
      expect(error.details).toEqual({ store: 'mongo', operation: 'set', reason: 'write-concern' });
      expect(error.status).toBe(503);
      expectNothingSecret(error);
    }
  });

  it('a lost connection surfaces as store-unavailable, reason connection, without the key', async () => {
    const stub = stubCollection({
      findOne: async () => {
        throw new MongoNetworkError('connection 3 to 10.0.0.5:27017 closed');
      },
    });
    const error = await rejection(storeOver(stub).get(key));
    expect(error.details).toEqual({ store: 'mongo', operation: 'get', reason: 'connection' });
    expectNothingSecret(error);
  });

  it('a server error quoting a value is kept as a cause without it', async () => {
    const stub = stubCollection({
      replaceOne: async () => {
        throw new MongoServerError({
          message: `Document failed validation: { _id: "${key}", data: "PRIVATE-DATA-VALUE" }`,
          code: 121,
          codeName: 'DocumentValidationFailure',
        });
      },
    });
    const error = await rejection(
      storeOver(stub).set(key, makeStoredSession({ version: 2, data: secretData }), {
        expiresAt: future(),
        expectedVersion: 1,
      }),
    );
    expect(error.details.reason).toBe('mongo-error');
    expect((error.cause as Error).message).toBe('DocumentValidationFailure (code 121)');
    expectNothingSecret(error);
  });

  it('an operation that never answers rejects with reason timeout after operationTimeout, and sends nothing more', async () => {
    vi.useFakeTimers();
    let answer!: (value: unknown) => void;
    const stub = stubCollection({
      updateOne: () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
      replaceOne: async () => ({ matchedCount: 0, upsertedCount: 1 }),
    });
    const store = storeOver(stub, { operationTimeout: 500 });
    const pending = rejection(
      store.rotate(key, newKey(), makeStoredSession(), { expiresAt: future(), expectedVersion: 1 }),
    );
    await vi.advanceTimersByTimeAsync(499);
    expect(stub.updateOne).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    const error = await pending;
    expect(error.details).toEqual({ store: 'mongo', operation: 'rotate', reason: 'timeout' });
    // The begin step answers late: the rotation's create is never sent.
    answer({ matchedCount: 1 });
    await vi.advanceTimersByTimeAsync(10);
    expect(stub.replaceOne).not.toHaveBeenCalled();
  });
});

describe('invalid input rejects with sessions/store-unavailable (invalid-argument) and sends nothing', () => {
  it.each([
    ['a key over 512 characters', (s: MongoStore) => s.get('k'.repeat(513))],
    ['a key with a lone surrogate', (s: MongoStore) => s.destroy('k\ud800')],
    [
      'a userId with a lone surrogate',
      (s: MongoStore) =>
        s.set(newKey(), makeStoredSession({ userId: 'a\udc00' }), { expiresAt: future(), expectedVersion: null }),
    ],
    [
      'a csrfSecret with a lone surrogate',
      (s: MongoStore) =>
        s.set(newKey(), makeStoredSession({ csrfSecret: '\ud800' }), { expiresAt: future(), expectedVersion: null }),
    ],
    [
      'data JSON cannot hold',
      (s: MongoStore) =>
        s.set(newKey(), makeStoredSession({ data: { n: 1n } }), { expiresAt: future(), expectedVersion: null }),
    ],
    [
      'an expiresAt a Date cannot hold',
      (s: MongoStore) => s.set(newKey(), makeStoredSession(), { expiresAt: 9e15, expectedVersion: null }),
    ],
    [
      'a rotation to the same key',
      (s: MongoStore) => s.rotate('k', 'k', makeStoredSession(), { expiresAt: future(), expectedVersion: 1 }),
    ],
  ] as const)('%s', async (_label, call) => {
    const stub = stubCollection();
    const error = await rejection(call(storeOver(stub)));
    expect(error.code).toBe('sessions/store-unavailable');
    expect(error.details.reason).toBe('invalid-argument');
    for (const method of Object.values(stub)) {
      if (typeof method === 'function') expect(method).not.toHaveBeenCalled();
    }
  });

  it('a userId with a lone surrogate lists nothing (no such user can be stored)', async () => {
    const stub = stubCollection();
    await expect(storeOver(stub).listByUser('\ud800')).resolves.toEqual([]);
    expect(stub.find).not.toHaveBeenCalled();
  });
});
