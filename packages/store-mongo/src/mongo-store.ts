import {
  type Clock,
  type SessionStore,
  SpartanError,
  type StoredSession,
  type StoreRotateOptions,
  type StoreSetOptions,
  systemClock,
  type UserSessionEntry,
} from '@spartan-sessions/core';
import {
  assertExpiresAt,
  assertRotationKeys,
  assertStoredSession,
  assertStoreKey,
  assertStoreRotateOptions,
  assertStoreSetOptions,
  assertUserId,
  checkDeadline,
  type Deadline,
  type DeadlineRunner,
} from '@spartan-sessions/core/store';
import { type Collection, type Db, MongoClient } from 'mongodb';
import {
  beginRotationUpdate,
  createFilter,
  fromDocument,
  INDEXES,
  incarnationFilter,
  isExpired,
  keysFilter,
  liveFilter,
  movedFilter,
  restoreUpdate,
  type SessionDocument,
  type SessionReplacement,
  tombstoneReplacement,
  toReplacement,
  UnserializableData,
  userFilter,
  versionFilter,
} from './internal/documents.js';
import { isDuplicateKey, isIndexConflict, MONGO_ERRORS, reasonOf, safeCause } from './internal/errors.js';
import {
  type ClientLike,
  isClientLike,
  isCollectionLike,
  isDatabaseLike,
  isMongooseConnectionLike,
  type MongooseConnectionLike,
  type SessionCollection,
} from './internal/source.js';

export type { MongooseConnectionLike } from './internal/source.js';

/** Options shared by every way of giving the store its collection. */
export interface MongoStoreBaseOptions {
  /**
   * Upper bound, in milliseconds, of one store call (`get`, `set`, …) with all of its MongoDB
   * operations. Each operation is also sent with this `maxTimeMS`. Past it the call rejects with
   * `sessions/store-unavailable` (reason `timeout`), whatever the driver does meanwhile (it waits
   * up to `serverSelectionTimeoutMS`, 30 s by default, for a primary).
   * @default 2000
   */
  operationTimeout?: number;
  /**
   * Create the store's indexes (TTL on `expiresAt`, sparse on `userId`) on first use. Turn it off
   * when you manage indexes yourself (a user without the `createIndex` privilege, migrations):
   * the README lists the two indexes to create.
   * @default true
   */
  createIndexes?: boolean;
  /**
   * The time source expiry is judged by (ms since the epoch). Core passes absolute expiry times
   * from its own clock; give the store the same one. The MongoDB server's clock is never used to
   * decide whether a session lives (only the TTL monitor reads it, to clean up).
   * @default `Date.now`
   */
  clock?: Clock;
}

/** A `Db` you own: the store uses its collection `collectionName`. */
export interface MongoStoreDbOptions extends MongoStoreBaseOptions {
  db: Db;
  /** @default 'sessions' */
  collectionName?: string;
  dbName?: never;
  collection?: never;
  client?: never;
  mongooseConnection?: never;
  url?: never;
}

/** A `Collection` you own (its name, write concern and read preference are yours). */
export interface MongoStoreCollectionOptions extends MongoStoreBaseOptions {
  collection: Collection;
  collectionName?: never;
  dbName?: never;
  db?: never;
  client?: never;
  mongooseConnection?: never;
  url?: never;
}

/** A `MongoClient` you own: never connected or closed by the store (the driver connects on first use). */
export interface MongoStoreClientOptions extends MongoStoreBaseOptions {
  client: MongoClient;
  /** @default the database of the client's connection string (the driver's default) */
  dbName?: string;
  /** @default 'sessions' */
  collectionName?: string;
  db?: never;
  collection?: never;
  mongooseConnection?: never;
  url?: never;
}

/**
 * A mongoose connection (`mongoose.connection` or `mongoose.createConnection(…)`), as the original
 * module's `mongooseConnection`: the store waits for it to open and uses its database. Mongoose is
 * not a dependency; the connection is never closed by the store.
 */
export interface MongoStoreMongooseOptions extends MongoStoreBaseOptions {
  mongooseConnection: MongooseConnectionLike;
  /** @default 'sessions' */
  collectionName?: string;
  dbName?: never;
  db?: never;
  collection?: never;
  client?: never;
  url?: never;
}

/** A connection string (`mongodb://…`, `mongodb+srv://…`): the store creates the client and `close()` closes it. */
export interface MongoStoreUrlOptions extends MongoStoreBaseOptions {
  url: string;
  /** @default the database named in the connection string (the driver's default) */
  dbName?: string;
  /** @default 'sessions' */
  collectionName?: string;
  db?: never;
  collection?: never;
  client?: never;
  mongooseConnection?: never;
}

export type MongoStoreOptions =
  | MongoStoreDbOptions
  | MongoStoreCollectionOptions
  | MongoStoreClientOptions
  | MongoStoreMongooseOptions
  | MongoStoreUrlOptions;

const DEFAULT_COLLECTION = 'sessions';
const DEFAULT_TIMEOUT_MS = 2000;
/** Keys are hashes made by core; anything longer is a caller's mistake, not a session. */
const MAX_KEY_LENGTH = 512;
/** The largest time a `Date` (and so a BSON Date) can hold, in ms. */
const MAX_TIME = 8.64e15;
/** Moved records `destroy` follows at most, one after the other. */
const MAX_MOVES = 8;
/** `listByUser` queries at most this many times (see there). */
const MAX_LIST_ROUNDS = 5;
/** Shortest life of a tombstone (ms); it also lasts at least 10 × `operationTimeout`. */
const MIN_TOMBSTONE_MS = 60_000;
/** A lone UTF-16 surrogate: BSON strings are UTF-8, and the driver would replace it. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * `SessionStore` over the official MongoDB driver: one document per session, `_id` = core's key
 * (see `internal/documents.ts` for the layout), a TTL index on `expiresAt` and a sparse index on
 * `userId`.
 *
 * - **Compare-and-set** is one `replaceOne` filtered on `_id`, `version` and "not expired by the
 *   store's clock"; **create-only** is a `replaceOne` with `upsert` filtered on "expired", so an
 *   absent key is inserted, an expired document (the TTL monitor lags by up to a minute) replaced,
 *   and a live one makes the insert fail with duplicate key E11000 — "exists", never an error.
 * - **Expiry** is judged on every read and write with the store's clock (`clock`), never the
 *   server's: an expired document is "no session" (and `get` deletes it), whatever the TTL
 *   monitor has done yet.
 * - **Rotation** changes two documents, which MongoDB does atomically only in a transaction (a
 *   replica set, never a standalone server); instead, as RedisStore does in a Cluster: the old
 *   record is marked as moving to the new key (from then on it reads as absent and no write or
 *   second rotation of it succeeds), the new record is created create-only, then the old record
 *   is removed — or unmarked, when the new key was taken. A `destroy` of the old key follows the
 *   mark and ends the new record too, leaving a tombstone that makes a create not yet landed fail.
 * - **Failures** fail closed: every call is bounded (its own deadline and `maxTimeMS`), and every
 *   driver error, timeout, lost primary or write concern error rejects with
 *   `sessions/store-unavailable` (a write concern error is never read as success).
 */
export class MongoStore implements SessionStore {
  /**
   * Every call settles within `operationTimeout` (its own deadline, which also stops the call's
   * further operations): core adds no second timer (`SessionStore.callTimeout`).
   */
  readonly callTimeout: number;
  readonly #run: DeadlineRunner;
  readonly #clock: Clock;
  readonly #operationOptions: { maxTimeMS: number };
  readonly #tombstoneMs: number;
  readonly #createIndexes: boolean;
  readonly #resolveCollection: () => SessionCollection | Promise<SessionCollection>;
  readonly #ownedClient: ClientLike | null;
  /** The collection, once resolved and indexed; then every call uses it directly. */
  #collection: SessionCollection | null = null;
  /** The first use under way (resolving the collection, creating indexes), shared by concurrent calls. */
  #preparing: Promise<SessionCollection> | null = null;

  constructor(options: MongoStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw optionError('options', 'MongoStore: options must be an object holding `db`, `collection`, `client`, …');
    }
    const timeoutMs = options.operationTimeout ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
      throw optionError('operationTimeout', 'MongoStore: `operationTimeout` must be a positive whole number of ms');
    }
    const createIndexes = options.createIndexes ?? true;
    if (typeof createIndexes !== 'boolean') {
      throw optionError('createIndexes', 'MongoStore: `createIndexes` must be a boolean');
    }
    const clock = options.clock ?? systemClock;
    if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
      throw optionError('clock', 'MongoStore: `clock` must be an object with a `now()` method');
    }
    const sources = (['db', 'collection', 'client', 'mongooseConnection', 'url'] as const).filter(
      (name) => options[name] !== undefined,
    );
    if (sources.length !== 1) {
      throw optionError(
        sources[1] ?? 'options',
        'MongoStore: give exactly one of `db`, `collection`, `client`, `mongooseConnection` or `url`',
      );
    }
    const collectionName = checkName('collectionName', options.collectionName ?? DEFAULT_COLLECTION);
    const dbName = options.dbName === undefined ? undefined : checkName('dbName', options.dbName);
    let ownedClient: ClientLike | null = null;
    if (options.collection !== undefined) {
      const collection: unknown = options.collection;
      if (!isCollectionLike(collection)) {
        throw optionError('collection', 'MongoStore: `collection` must be a MongoDB driver Collection');
      }
      if (options.collectionName !== undefined) {
        throw optionError('collectionName', 'MongoStore: `collectionName` comes with `db`, `client` or `url`');
      }
      this.#resolveCollection = () => collection;
    } else if (options.db !== undefined) {
      const db: unknown = options.db;
      if (!isDatabaseLike(db)) throw optionError('db', 'MongoStore: `db` must be a MongoDB driver Db');
      this.#resolveCollection = () => collectionOf(db.collection(collectionName));
    } else if (options.client !== undefined) {
      const client: unknown = options.client;
      if (!isClientLike(client)) throw optionError('client', 'MongoStore: `client` must be a MongoClient');
      this.#resolveCollection = () => collectionOf(databaseOf(client.db(dbName)).collection(collectionName));
    } else if (options.mongooseConnection !== undefined) {
      const connection: unknown = options.mongooseConnection;
      if (!isMongooseConnectionLike(connection)) {
        throw optionError('mongooseConnection', 'MongoStore: `mongooseConnection` must be a mongoose Connection');
      }
      this.#resolveCollection = async () => {
        if (!isDatabaseLike(connection.db)) await connection.asPromise?.();
        return collectionOf(databaseOf(connection.db).collection(collectionName));
      };
    } else {
      if (typeof options.url !== 'string' || !/^mongodb(\+srv)?:\/\//.test(options.url)) {
        throw optionError('url', 'MongoStore: `url` must be a mongodb:// or mongodb+srv:// connection string');
      }
      let client: MongoClient;
      try {
        client = new MongoClient(options.url);
      } catch {
        // The driver's parse error quotes the string, which may hold a password.
        throw optionError('url', 'MongoStore: `url` is not a valid MongoDB connection string');
      }
      ownedClient = client;
      this.#resolveCollection = () => collectionOf(client.db(dbName).collection(collectionName));
    }
    if (options.dbName !== undefined && options.client === undefined && options.url === undefined) {
      throw optionError('dbName', 'MongoStore: `dbName` comes with `client` or `url`');
    }
    this.#ownedClient = ownedClient;
    this.#clock = clock;
    this.#createIndexes = createIndexes;
    this.#operationOptions = { maxTimeMS: timeoutMs };
    this.#tombstoneMs = Math.max(MIN_TOMBSTONE_MS, 10 * timeoutMs);
    this.#run = MONGO_ERRORS.deadlines(timeoutMs, reasonOf, safeCause);
    this.callTimeout = timeoutMs;
  }

  async get(key: string): Promise<StoredSession | null> {
    checkKey('get', key);
    return this.#run('get', async (deadline) => {
      const collection = await this.#ready(deadline);
      const now = this.#clock.now();
      const document = (await collection.findOne({ _id: key }, this.#operationOptions)) as SessionDocument | null;
      if (document === null) return null;
      if (isExpired(document, now)) {
        // Past its end by our clock: no session, whatever the TTL monitor has done yet. Only this
        // incarnation is deleted (a create may have replaced it meanwhile).
        this.#tidy(deadline, () => collection.deleteOne(incarnationFilter(document), this.#operationOptions));
        return null;
      }
      return fromDocument(document) ?? null;
    });
  }

  async set(key: string, record: StoredSession, opts: StoreSetOptions): Promise<boolean> {
    checkKey('set', key);
    checkRecord('set', record);
    assertStoreSetOptions(opts);
    const expiresAt = checkTime('set', opts.expiresAt);
    const replacement = replacementOf('set', record, expiresAt);
    const { expectedVersion } = opts;
    return this.#run('set', async (deadline) => {
      const collection = await this.#ready(deadline);
      const now = this.#clock.now();
      if (expiresAt <= now) {
        // Already over: a replace deletes the record, a create stores nothing.
        if (expectedVersion === null) {
          const live = await collection.findOne(liveFilter(key, now), {
            ...this.#operationOptions,
            projection: { _id: 1 },
          });
          return live === null;
        }
        const { deletedCount } = await collection.deleteOne(
          versionFilter(key, expectedVersion, now),
          this.#operationOptions,
        );
        return deletedCount === 1;
      }
      if (expectedVersion === null) return this.#create(deadline, collection, key, replacement, now);
      const { matchedCount } = await collection.replaceOne(
        versionFilter(key, expectedVersion, now),
        replacement,
        this.#operationOptions,
      );
      return matchedCount === 1;
    });
  }

  /**
   * Moves a session to a new key, atomically with the old record (`SessionStore.rotate`), in three
   * steps (see the class comment):
   * 1. *begin*: if the old key holds a live record at `expectedVersion`, mark it as moving to
   *    `newKey` (`$set: { movedTo }`), else fail. From here the old record reads as absent, and no
   *    write or other rotation of it succeeds;
   * 2. *create* the new record, create-only: it fails when the new key holds anything live, such
   *    as the tombstone a `destroy` of the old key leaves when it lands between the steps;
   * 3. *settle*: created, delete the old record (not waited for: a moved record left behind reads
   *    as absent and expires); not created, unmark the old record if it is still there (the new
   *    key was taken), and fail.
   * A rotation that fails between its steps (timeout, lost primary) leaves the old record marked:
   * the session ends, as after a logout.
   */
  async rotate(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions): Promise<boolean> {
    assertRotationKeys(oldKey, newKey);
    checkKey('rotate', oldKey);
    checkKey('rotate', newKey);
    checkRecord('rotate', record);
    assertStoreRotateOptions(opts);
    const expiresAt = checkTime('rotate', opts.expiresAt);
    const replacement = replacementOf('rotate', record, expiresAt);
    const { expectedVersion } = opts;
    return this.#run('rotate', async (deadline) => {
      const collection = await this.#ready(deadline);
      const now = this.#clock.now();
      const begun = await collection.updateOne(
        versionFilter(oldKey, expectedVersion, now),
        beginRotationUpdate(newKey),
        this.#operationOptions,
      );
      if (begun.matchedCount !== 1) return false;
      checkDeadline(deadline);
      const created =
        expiresAt <= now
          ? // The new record would be over at once: nothing to store, unless the key is taken.
            (await collection.findOne(liveFilter(newKey, now), {
              ...this.#operationOptions,
              projection: { _id: 1 },
            })) === null
          : await this.#create(deadline, collection, newKey, replacement, now);
      if (!created) {
        checkDeadline(deadline);
        await collection.updateOne(movedFilter(oldKey, newKey), restoreUpdate(), this.#operationOptions);
        return false;
      }
      this.#tidy(deadline, () => collection.deleteOne(movedFilter(oldKey, newKey), this.#operationOptions));
      return true;
    });
  }

  /**
   * Deletes the document under `key`. When it was a moved record (a rotation moved the session
   * on, or is moving it), whatever it moved to is ended too: that key's document, whatever it is
   * (nothing yet, the new record, another moved record), is replaced by a tombstone for max(60 s,
   * 10 × `operationTimeout`), so a record already there is gone and a rotation's create not
   * landed yet fails; a moved record found there is followed in turn (at most 8).
   */
  async destroy(key: string): Promise<void> {
    checkKey('destroy', key);
    return this.#run('destroy', async (deadline) => {
      const collection = await this.#ready(deadline);
      let previous = unwrapDocument(
        await collection.findOneAndDelete({ _id: key }, { ...this.#operationOptions, includeResultMetadata: false }),
      );
      for (let depth = 0; depth < MAX_MOVES && typeof previous?.movedTo === 'string'; depth++) {
        checkDeadline(deadline);
        previous = await this.#entomb(collection, previous.movedTo, this.#clock.now());
      }
    });
  }

  /**
   * The user's live documents (one query on the sparse `userId` index), the records among them,
   * and for a moved record the session it moved to:
   * - moved to a key this listing holds already: listed there;
   * - moved to a live record of this user not listed yet: that record is listed under its key;
   * - moved to a key that holds nothing yet: a rotation under way, so the old record is listed
   *   under its old key (a `destroy` of that key ends the rotation: see `destroy`);
   * - moved to a tombstone or to another user's record: not listed.
   * The query is repeated until it finds no key it has not found before (at most 5 times), as
   * RedisStore re-reads its index: a session that rotates while a query runs is then found under
   * one of its keys in a later one.
   */
  async listByUser(userId: string): Promise<UserSessionEntry[]> {
    assertUserId(userId);
    if (LONE_SURROGATE.test(userId)) return [];
    return this.#run('listByUser', async (deadline) => {
      const collection = await this.#ready(deadline);
      const found = new Map<string, StoredSession>();
      const moved = new Map<string, { target: string; record: StoredSession | undefined }>();
      const seen = new Set<string>();
      for (let round = 1; ; round++) {
        checkDeadline(deadline);
        const documents = (await collection
          .find(userFilter(userId, this.#clock.now()), this.#operationOptions)
          .toArray()) as SessionDocument[];
        const fresh = documents.filter((document) => !seen.has(document._id));
        if (fresh.length === 0) break;
        if (round > MAX_LIST_ROUNDS) throw MONGO_ERRORS.unavailable('listByUser', 'contention');
        for (const document of documents) {
          seen.add(document._id);
          if (typeof document.movedTo === 'string') {
            // Moving on since an earlier round listed it: where it is now is decided below.
            found.delete(document._id);
            const { movedTo, ...carried } = document;
            moved.set(document._id, { target: movedTo, record: fromDocument(carried) });
          } else {
            const record = fromDocument(document);
            if (record !== undefined && record.userId === userId) found.set(document._id, record);
          }
        }
      }
      const pending = [...moved].filter(([, { target }]) => !found.has(target));
      if (pending.length > 0) {
        checkDeadline(deadline);
        const now = this.#clock.now();
        const targets = (await collection
          .find(keysFilter(pending.map(([, { target }]) => target)), this.#operationOptions)
          .toArray()) as SessionDocument[];
        const byKey = new Map(targets.map((document) => [document._id, document]));
        for (const [oldKey, { target, record }] of pending) {
          const document = byKey.get(target);
          if (document === undefined || isExpired(document, now)) {
            if (record !== undefined && record.userId === userId) found.set(oldKey, record);
            continue;
          }
          const targetRecord = fromDocument(document);
          if (targetRecord !== undefined && targetRecord.userId === userId) found.set(target, targetRecord);
        }
      }
      return [...found].map(([key, record]) => ({ key, record }));
    });
  }

  /** Closes the client the store created from `url`; a client, Db, Collection or connection given to it is left open. */
  async close(): Promise<void> {
    const client = this.#ownedClient;
    if (client === null) return;
    await this.#run('close', () => client.close());
  }

  /**
   * The collection, with its indexes created on first use. Concurrent first calls share one
   * preparation; a failed one is tried again by the next call. Creating an index that exists is a
   * no-op on the server, so processes starting together (or restarting) create them safely; an
   * index on the same keys that the user made with another name or options is left as it is.
   */
  #ready(deadline: Deadline): SessionCollection | Promise<SessionCollection> {
    if (this.#collection !== null) return this.#collection;
    this.#preparing ??= this.#prepare().then(
      (collection) => {
        this.#collection = collection;
        return collection;
      },
      (error: unknown) => {
        this.#preparing = null;
        throw error;
      },
    );
    checkDeadline(deadline);
    return this.#preparing;
  }

  async #prepare(): Promise<SessionCollection> {
    const collection = await this.#resolveCollection();
    if (this.#createIndexes) {
      try {
        await collection.createIndexes(
          INDEXES.map((index) => ({ ...index })),
          this.#operationOptions,
        );
      } catch (error) {
        if (!isIndexConflict(error)) {
          throw MONGO_ERRORS.unavailable('createIndexes', reasonOf(error), safeCause(error));
        }
      }
    }
    return collection;
  }

  /** Create-only write (see `createFilter`): `true` when written, `false` when the key is taken. */
  async #create(
    deadline: Deadline,
    collection: SessionCollection,
    key: string,
    replacement: SessionReplacement,
    now: number,
  ): Promise<boolean> {
    checkDeadline(deadline);
    try {
      const { matchedCount, upsertedCount } = await collection.replaceOne(createFilter(key, now), replacement, {
        ...this.#operationOptions,
        upsert: true,
      });
      return matchedCount + upsertedCount === 1;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** Replaces whatever is under `key` by a tombstone; resolves what was there. */
  async #entomb(collection: SessionCollection, key: string, now: number): Promise<SessionDocument | null> {
    const replace = async () =>
      unwrapDocument(
        await collection.findOneAndReplace({ _id: key }, tombstoneReplacement(now, this.#tombstoneMs), {
          ...this.#operationOptions,
          upsert: true,
          returnDocument: 'before',
          includeResultMetadata: false,
        }),
      );
    try {
      return await replace();
    } catch (error) {
      // Two upserts of one new key raced (a rotation's create): the document exists now, so the
      // second attempt replaces it.
      if (!isDuplicateKey(error)) throw error;
      return await replace();
    }
  }

  /** Sends a clean-up the call does not wait for: its failure is harmless (a document reads as absent and expires). */
  #tidy(deadline: Deadline, operation: () => Promise<unknown>): void {
    if (deadline.expired) return;
    operation().catch(() => {});
  }
}

/**
 * A `findOneAnd…` result as a document: drivers 6 and 7 resolve the document itself; the driver 5
 * of an older mongoose resolves `{ value, ok }` unless `includeResultMetadata: false` is honoured.
 */
function unwrapDocument(result: unknown): SessionDocument | null {
  if (typeof result !== 'object' || result === null) return null;
  if ('ok' in result && 'value' in result && !('_id' in result)) {
    return unwrapDocument((result as { value: unknown }).value);
  }
  return result as SessionDocument;
}

function collectionOf(value: unknown): SessionCollection {
  // A mongoose connection's or a client's database gave something else: a store failure (503).
  if (!isCollectionLike(value)) throw MONGO_ERRORS.unavailable('prepare', 'no-collection');
  return value;
}

function databaseOf(value: unknown): { collection(name: string): unknown } {
  // A mongoose connection that did not open (or has no `asPromise` to wait for).
  if (!isDatabaseLike(value)) throw MONGO_ERRORS.unavailable('prepare', 'not-connected');
  return value;
}

/** Misconfiguration is a `SpartanError` with a code, like every setup error of spartan-sessions. */
function optionError(option: string, message: string): SpartanError {
  return new SpartanError('sessions/option-type-incorrect', message, { option });
}

/** A database or collection name MongoDB accepts. */
function checkName(option: 'collectionName' | 'dbName', name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || /[\0$]/.test(name) || name.startsWith('system.')) {
    throw optionError(option, `MongoStore: \`${option}\` must be a non-empty name without "$", NUL or "system."`);
  }
  return name;
}

/** Core's check, a length bound, and well-formed UTF-16 (BSON would replace a lone surrogate). */
function checkKey(operation: string, key: unknown): asserts key is string {
  assertStoreKey(key);
  if (key.length > MAX_KEY_LENGTH) {
    throw MONGO_ERRORS.invalidArgument(operation, 'key', `key must be at most ${MAX_KEY_LENGTH} characters`);
  }
  if (LONE_SURROGATE.test(key)) {
    throw MONGO_ERRORS.invalidArgument(operation, 'key', 'key must be well-formed UTF-16');
  }
}

/** Core's check, and well-formed strings where BSON holds them as strings. */
function checkRecord(operation: string, record: unknown): asserts record is StoredSession {
  assertStoredSession(record);
  for (const field of ['userId', 'csrfSecret'] as const) {
    const value = record[field];
    if (value !== null && LONE_SURROGATE.test(value)) {
      throw MONGO_ERRORS.invalidArgument(operation, 'record', `record.${field} must be well-formed UTF-16`);
    }
  }
}

/** Core's check, plus the range a BSON Date holds. */
function checkTime(operation: string, time: unknown): number {
  assertExpiresAt(time);
  if (Math.abs(time) > MAX_TIME)
    throw MONGO_ERRORS.invalidArgument(operation, 'expiresAt', 'expiresAt is out of range');
  return time;
}

function replacementOf(operation: string, record: StoredSession, expiresAt: number): SessionReplacement {
  try {
    return toReplacement(record, expiresAt);
  } catch (error) {
    if (error instanceof UnserializableData) {
      throw MONGO_ERRORS.invalidArgument(operation, 'record', 'record.data must be JSON-serializable');
    }
    throw error;
  }
}
