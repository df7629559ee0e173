import {
  type SessionStore,
  SpartanError,
  type StoredSession,
  type StoredSessionChanges,
  type StoreRotateOptions,
  type StoreSetOptions,
  type StoreUpdateOptions,
  type UserSessionEntry,
} from '@spartan-sessions/core';
import {
  assertExpiresAt,
  assertRotationKeys,
  assertStoredSession,
  assertStoredSessionChanges,
  assertStoreKey,
  assertStoreRotateOptions,
  assertStoreSetOptions,
  assertStoreUpdateOptions,
  assertUserId,
  checkDeadline,
  createStoreErrors,
  type Deadline,
  type DeadlineRunner,
  encodeSessionChanges,
  type StoreFailureReason,
} from '@spartan-sessions/core/store';
import type { Redis } from 'ioredis';
import {
  type DecodedValue,
  decodeSessionValue,
  encodeSessionBody,
  type ForwardPointer,
  parsePointer,
  pointerHead,
  TOMBSTONE,
  userIdOf,
  withHead,
} from './internal/codec.js';
import { IoredisLink, linkOf, type RedisClient, type RedisLink, type WriteName } from './internal/link.js';
import { loadIoredis } from './internal/optional.js';
import { casNumbers } from './internal/scripts.js';

/** Options shared by both ways of giving the store its Redis. */
export interface RedisStoreBaseOptions {
  /**
   * Prepended to every key the store writes: sessions live under `<prefix>s:<key>`, user
   * indexes under `<prefix>u:<userId>`. Keep it short (it is stored in every key) and without
   * `{…}`: a hash tag in the prefix would put every session in one Cluster slot.
   * @default 'sess:'
   */
  prefix?: string;
  /**
   * Upper bound, in milliseconds, of one store call (`get`, `set`, …) with all of its Redis
   * commands. Past it the call rejects with `sessions/store-unavailable`, whatever the client
   * does meanwhile (ioredis queues commands while it reconnects).
   * @default 2000
   */
  commandTimeout?: number;
  /**
   * Report a write as done only once this many replicas have it (Redis `WAIT` after each
   * write, in the same round trip). Redis replicates asynchronously: without it, a failover
   * (Sentinel, Cluster) can drop writes the old master had already acknowledged, such as a
   * logout or a revocation. With it, such a write fails with `sessions/store-unavailable`
   * (reason `not-replicated`) instead. `0` turns it off.
   * @default 0
   */
  waitForReplicas?: number;
  /**
   * How long one write waits for `waitForReplicas` acknowledgements, in milliseconds.
   * @default half of `commandTimeout`
   */
  waitForReplicasTimeout?: number;
  /**
   * Offer `update` (server-side delta save): a request's own changes are appended to the
   * stored session as a patch, whatever its version, so parallel requests of one session never
   * conflict and never re-send the whole record. `false`: no `update`, core writes with
   * compare-and-set `set` and the stored values keep the format of earlier versions of this
   * package, which read a value with patches as no session (its user signed out). Deploy with
   * `false` while processes of an earlier version still run; turn it on once all run this one.
   * @default true
   */
  deltaWrites?: boolean;
}

/**
 * A client you own: ioredis `Redis` (standalone, or Sentinel with `{ sentinels, name }`) or
 * `Cluster`; or node-redis's `createClient()`, `createCluster()` or `createSentinel()`,
 * connected (`await client.connect()`).
 */
export interface RedisStoreClientOptions extends RedisStoreBaseOptions {
  /** Never closed by the store: `close()` leaves it to you. */
  client: RedisClient;
  url?: never;
}

/** A connection string (`redis://…`, `rediss://…`); the store creates and closes the client. */
export interface RedisStoreUrlOptions extends RedisStoreBaseOptions {
  url: string;
  client?: never;
}

export type RedisStoreOptions = RedisStoreClientOptions | RedisStoreUrlOptions;

const DEFAULT_PREFIX = 'sess:';
const DEFAULT_TIMEOUT_MS = 2000;
/** Keys are hashes made by core; anything longer is a caller's mistake, not a session. */
const MAX_KEY_LENGTH = 512;
/** The largest time a `Date` can hold (ms); Redis refuses expiry times beyond its range too. */
const MAX_TIME = 8.64e15;
/**
 * How far past a session's expiry its user's index entry is moved, at most (seconds): a
 * quarter of the time left, up to 10 minutes. Writes of an active session then touch the index
 * about once per quarter of its lifetime instead of on every request; an entry outlives its
 * session by that much at worst (harmless: `listByUser` checks every record).
 */
const INDEX_AHEAD_MAX_SECONDS = 600;
/** Forward pointers `destroy` and `listByUser` follow at most, one after the other. */
const MAX_POINTER_DEPTH = 8;
/** `listByUser` reads its user's index at most this many times (standalone; see there). */
const MAX_LIST_ROUNDS = 5;
/** Shortest life of a tombstone (ms); it also lasts at least 10 × `commandTimeout`. */
const MIN_TOMBSTONE_MS = 60_000;
/**
 * Patches (`update`s) after a record from which a read folds them into it: few enough that a
 * read stays cheap (one `JSON.parse` for all of them) and the value small, enough that a hot
 * session is re-encoded once per that many writes, not on every read. A small record folds
 * sooner: once its patches (at least 2) are as long as it is, re-encoding it costs less than
 * decoding them on every read.
 */
const FOLD_AFTER_PATCHES = 32;
const FOLD_SMALL_AFTER_PATCHES = 2;
/** Rounds of `update` (index, then the script again) before it gives up (`contention`). */
const MAX_UPDATE_ROUNDS = 3;

/**
 * `SessionStore` over ioredis or node-redis: standalone Redis, Sentinel or Redis Cluster. Needs
 * Redis 6.2 or later (`SET … PXAT`, `ZADD GT`, `GETDEL`).
 *
 * Layout: one string per session, `<prefix>s:<key>`, holding the compact record (see
 * `internal/codec.ts`), then the patches `update` appended since it was last written whole or
 * folded, with a server-side expiry at the record's `expiresAt`; one sorted set
 * per user, `<prefix>u:<userId>`, of that user's session keys scored by expiry (seconds).
 *
 * Consistency: the session key is the source of truth; the user index is a superset of the
 * user's live sessions that `listByUser` checks against the records. A session is added to
 * its user's index (score = its expiry, only ever moved forward) *before* it is written or
 * its expiry extended, so a live session is never missing from its user's index, even when a
 * call fails half-way; entries of expired sessions are dropped by score on every index write
 * and read, and the index key expires with its last entry.
 *
 * Rotation (`rotate`) is atomic with the old record: on one server (standalone, Sentinel) one
 * script deletes the old key and creates the new one; in a Cluster, where the two keys live in
 * different slots, the old record is first replaced by a forward pointer to the new key, then
 * the new record is created only if nothing (no tombstone) is there, and a `destroy` of the old
 * key follows the pointer and ends the new key too (see `rotate` and `destroy`).
 */
export class RedisStore implements SessionStore {
  readonly #client: RedisClient;
  readonly #link: RedisLink;
  /** The client the store made from `url` (closed by `close()`); `null` for a client given. */
  readonly #owned: Redis | null;
  readonly #prefix: string;
  readonly #run: DeadlineRunner;
  readonly #replicas: number;
  readonly #replicaTimeoutMs: number;
  readonly #tombstoneMs: number;
  /** Session keys with a fold in flight from this instance (one at a time per key). */
  readonly #folding = new Set<string>();
  /**
   * Every call settles within `commandTimeout` (its own deadline, which also stops the call's
   * further commands): core adds no second timer (`SessionStore.callTimeout`).
   */
  readonly callTimeout: number;
  /**
   * Server-side delta save (`SessionStore.update`): appends the request's changes to the
   * stored record as a patch, in one script, whatever its version; resolves the new version, or
   * `null` (creating nothing) when the key holds no record. The expiry moves to
   * `opts.expiresAt` unless it is later already; a signed-in session whose index entry does not
   * cover it is indexed first, as by `set`. A read that finds many patches folds them into the
   * record (see `get`). Absent (`undefined`) with `deltaWrites: false`: core then writes with
   * `set`.
   */
  readonly update?: (key: string, changes: StoredSessionChanges, opts: StoreUpdateOptions) => Promise<number | null>;

  constructor(options: RedisStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw optionError('options', 'RedisStore: options must be an object holding `client` or `url`');
    }
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== 'string') throw optionError('prefix', 'RedisStore: `prefix` must be a string');
    const timeoutMs = options.commandTimeout ?? DEFAULT_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw optionError('commandTimeout', 'RedisStore: `commandTimeout` must be a positive number of milliseconds');
    }
    const replicas = options.waitForReplicas ?? 0;
    if (!Number.isSafeInteger(replicas) || replicas < 0) {
      throw optionError('waitForReplicas', 'RedisStore: `waitForReplicas` must be a non-negative integer');
    }
    const replicaTimeoutMs = options.waitForReplicasTimeout ?? Math.max(1, Math.floor(timeoutMs / 2));
    const badReplicaTimeout = !Number.isSafeInteger(replicaTimeoutMs) || replicaTimeoutMs <= 0;
    if (badReplicaTimeout || (replicas > 0 && replicaTimeoutMs >= timeoutMs)) {
      throw optionError(
        'waitForReplicasTimeout',
        'RedisStore: `waitForReplicasTimeout` must be a whole number of ms below `commandTimeout`',
      );
    }
    const deltaWrites = options.deltaWrites ?? true;
    if (typeof deltaWrites !== 'boolean') {
      throw optionError('deltaWrites', 'RedisStore: `deltaWrites` must be a boolean');
    }
    let client: RedisClient;
    let link: RedisLink | undefined;
    if (options.client !== undefined) {
      if (options.url !== undefined) throw optionError('client', 'RedisStore: give either `client` or `url`, not both');
      client = options.client;
      link = linkOf(client);
      if (link === undefined) {
        throw optionError(
          'client',
          'RedisStore: `client` must be an ioredis Redis or Cluster, or a node-redis client, cluster or sentinel',
        );
      }
      this.#owned = null;
    } else if (typeof options.url === 'string') {
      // Auto-pipelining: the commands of every request issued in one event-loop tick leave in
      // one socket write (ioredis groups them per Cluster slot and handles the scripts too).
      // ioredis is an optional peer: only a store made from `url` needs it.
      const ioredis = loadIoredis();
      if (ioredis === undefined) {
        throw optionError(
          'url',
          'RedisStore: `url` makes an ioredis client, and ioredis is not installed: `npm install ioredis`, or pass a connected node-redis client as `client`',
        );
      }
      const owned = new ioredis.Redis(options.url, { enableAutoPipelining: true });
      // Failures reach callers as `sessions/store-unavailable`; without a listener ioredis
      // would also print every reconnection error of this private client.
      owned.on('error', () => {});
      client = owned;
      link = new IoredisLink(owned);
      this.#owned = owned;
    } else {
      throw optionError('options', 'RedisStore: options must hold a `client` (ioredis or node-redis) or a `url`');
    }
    this.#client = client;
    this.#link = link;
    this.#prefix = prefix;
    this.#run = REDIS_ERRORS.deadlines(timeoutMs, reasonOf);
    this.callTimeout = timeoutMs;
    this.#replicas = replicas;
    this.#replicaTimeoutMs = replicaTimeoutMs;
    this.#tombstoneMs = Math.max(MIN_TOMBSTONE_MS, 10 * Math.ceil(timeoutMs));
    if (deltaWrites) this.update = (key, changes, opts) => this.#update(key, changes, opts);
  }

  /** The key prefix in use. */
  get prefix(): string {
    return this.#prefix;
  }

  /** The client in use (the one given, or the ioredis client made from `url`). */
  get client(): RedisClient {
    return this.#client;
  }

  /**
   * One `GET`. A value whose patches (`update`) are due for folding (32, or a small record's
   * as long as the record) is folded: the merged record is written back in their place, not
   * waited for (see `#fold`).
   */
  get(key: string): Promise<StoredSession | null> {
    try {
      checkKey('get', key);
    } catch (error) {
      return Promise.reject(error);
    }
    // One `then`, no async function: this is every returning visitor's read.
    return this.#run('get', (deadline) => {
      const sessionKey = this.#sessionKey(key);
      return this.#link.get(sessionKey, (value) => {
        const decoded = value === null ? undefined : decodeSessionValue(value);
        if (decoded === undefined) return null;
        this.#fold(deadline, sessionKey, decoded);
        return decoded.record;
      });
    });
  }

  set(key: string, record: StoredSession, opts: StoreSetOptions): Promise<boolean> {
    // Not an async function (one promise less on every write): a bad argument still rejects.
    try {
      return this.#set(key, record, opts);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #set(key: string, record: StoredSession, opts: StoreSetOptions): Promise<boolean> {
    checkKey('set', key);
    assertStoredSession(record);
    assertStoreSetOptions(opts);
    const expiresAt = checkTime('set', opts.expiresAt);
    const { expectedVersion } = opts;
    let body: string;
    try {
      body = encodeSessionBody(record);
    } catch {
      throw REDIS_ERRORS.invalidArgument('set', 'record', 'record.data must be JSON-serializable');
    }
    const { userId } = record;
    if (userId === null && expectedVersion === null) {
      // A new anonymous session (a new visitor): what the script does for it, create-only
      // with no index, is one `SET … NX PXAT`, and Redis runs no script for it.
      const args = [
        this.#sessionKey(key),
        withHead(record.version, 0, body),
        'PXAT',
        String(redisTime(expiresAt)),
        'NX',
      ];
      return this.#run('set', (deadline) => this.#write(deadline, 'set', 'set', args).then(isOk));
    }
    const needed = indexSecond(expiresAt);
    return this.#run('set', (deadline) => {
      const cas = (indexedUntil: number): Promise<unknown> =>
        this.#write(deadline, 'set', 'cas', [
          this.#sessionKey(key),
          casNumbers(record.version, expectedVersion, redisTime(expiresAt), needed, indexedUntil),
          body,
          // As the codec writes it after the head: the script compares the two strings.
          userId === null ? '' : JSON.stringify(userId),
        ]);
      // A new session of a user is indexed first; an update first asks the script, which
      // knows whether the stored record's index entry still covers the new expiry (a signed-in
      // visitor's request: one script, one `then`). A user change leaves the old user's entry
      // behind on purpose: removing it here could race with a concurrent write giving the key
      // back to that user. It is filtered out by `listByUser` and dropped by score when the
      // session would have expired.
      if (userId !== null && expectedVersion === null) return this.#setIndexed(deadline, key, userId, needed, cas);
      return cas(0).then((reply) => {
        const written = Number(reply);
        return written === -1 && userId !== null ? this.#setIndexed(deadline, key, userId, needed, cas) : written === 1;
      });
    });
  }

  /**
   * `set` of a session whose user's index entry must move first: the entry, then the record.
   * Should the write fail or time out, the index holds a spare entry (harmless, `listByUser`
   * checks records) rather than missing a live session.
   */
  async #setIndexed(
    deadline: Deadline,
    key: string,
    userId: string,
    needed: number,
    cas: (indexedUntil: number) => Promise<unknown>,
  ): Promise<boolean> {
    const indexedUntil = indexAhead(needed);
    await this.#indexAdd(deadline, userId, key, indexedUntil);
    return Number(await cas(indexedUntil)) === 1;
  }

  /** `update` (see there), when `deltaWrites` is on. */
  async #update(key: string, changes: StoredSessionChanges, opts: StoreUpdateOptions): Promise<number | null> {
    checkKey('update', key);
    assertStoredSessionChanges(changes);
    assertStoreUpdateOptions(opts);
    const expiresAt = checkTime('update', opts.expiresAt);
    // Encoded now: later changes to the caller's objects never reach the store.
    const patch = encodeSessionChanges(changes);
    const needed = indexSecond(expiresAt);
    return this.#run('update', async (deadline) => {
      const sessionKey = this.#sessionKey(key);
      let indexed = { until: 0, userId: '' };
      for (let round = 1; round <= MAX_UPDATE_ROUNDS; round++) {
        const { until, userId } = indexed;
        const reply = await this.#write(deadline, 'update', 'update', [
          sessionKey,
          patch,
          String(redisTime(expiresAt)),
          String(needed),
          String(until),
          userId === '' ? '' : JSON.stringify(userId),
        ]);
        const version = Number(reply);
        if (version !== -1) return version > 0 ? version : null;
        // The record's user must be indexed up to the new expiry first (see `set`); the script
        // knows the entry falls short but not who the user is: read it from the record.
        checkDeadline(deadline);
        const stored = await this.#link.get(sessionKey, (value) => (value === null ? null : userIdOf(value)));
        if (stored === null) return null;
        indexed = { until: indexAhead(needed), userId: stored };
        await this.#indexAdd(deadline, stored, key, indexed.until);
      }
      // The record changed users between our read and our write more than once.
      throw REDIS_ERRORS.unavailable('update', 'contention');
    });
  }

  /**
   * Moves a session to a new key, atomically with the old record (`SessionStore.rotate`).
   *
   * The new key is added to its user's index first, as `set` does for a new session. Then:
   * - **one server** (standalone, Sentinel): one script checks that the old key holds a record
   *   at `expectedVersion` and the new key holds nothing, deletes the old key and writes the new
   *   record;
   * - **Redis Cluster** (the two keys are in different slots, no script can change both):
   *   1. *begin*, on the old key: if it holds a record at `expectedVersion`, replace it (keeping
   *      its expiry) by a forward pointer to the new key that carries the old record, else fail.
   *      From here the old key reads as absent, and every other rotation or write of it fails;
   *   2. *create* the new record, create-only: it fails when the new key holds anything, such as
   *      the tombstone a `destroy` of the old key leaves when it lands between the two steps;
   *   3. *settle*, on the old key: created, drop the carried record and leave the bare pointer
   *      until the old record would have expired, so that a `destroy` of the old key (a logout
   *      or revocation that read the old record just before the rotation) still ends the new
   *      record; not created, put the old record back if the pointer is still there (the new key
   *      was taken), and fail.
   *
   * After a rotation the old key is removed from its user's index (not waited for: an entry
   * left behind is filtered out by `listByUser`). A Cluster rotation that fails between its
   * steps (timeout, lost connection) leaves the pointer: the session ends, as after a logout.
   */
  async rotate(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions): Promise<boolean> {
    assertRotationKeys(oldKey, newKey);
    checkKey('rotate', oldKey);
    checkKey('rotate', newKey);
    assertStoredSession(record);
    assertStoreRotateOptions(opts);
    const expiresAt = checkTime('rotate', opts.expiresAt);
    const expectedVersion = String(opts.expectedVersion);
    let body: string;
    try {
      body = encodeSessionBody(record);
    } catch {
      throw REDIS_ERRORS.invalidArgument('rotate', 'record', 'record.data must be JSON-serializable');
    }
    const { userId } = record;
    return this.#run('rotate', async (deadline) => {
      const needed = indexSecond(expiresAt);
      let indexedUntil = 0;
      if (userId !== null) {
        // Index first, as for any new session of a user (see `set`).
        indexedUntil = indexAhead(needed);
        await this.#indexAdd(deadline, userId, newKey, indexedUntil);
      }
      let previous: unknown;
      if (this.#link.cluster) {
        const pointer = pointerHead(newKey);
        previous = await this.#write(deadline, 'rotate', 'rotateBegin', [
          this.#sessionKey(oldKey),
          expectedVersion,
          pointer,
        ]);
        if (typeof previous !== 'string') return false;
        const created = await this.#write(deadline, 'rotate', 'cas', [
          this.#sessionKey(newKey),
          casNumbers(record.version, null, redisTime(expiresAt), needed, indexedUntil),
          body,
          userId === null ? '' : JSON.stringify(userId),
        ]);
        if (Number(created) !== 1) {
          // The new key holds something: a tombstone (a destroy of the old key landed between
          // the steps: the session stays ended) or a record (taken). Give the old record back
          // if the pointer is still there, i.e. in the second case only.
          await this.#write(deadline, 'rotate', 'rotateSettle', [this.#sessionKey(oldKey), pointer, '1']);
          return false;
        }
        // Not waited for: a pointer that keeps its carried record costs memory, nothing else
        // (`listByUser` sees the new record and skips it).
        this.#tidy(deadline, 'rotateSettle', [this.#sessionKey(oldKey), pointer, '0']);
      } else {
        previous = await this.#write(deadline, 'rotate', 'rotate', [
          this.#sessionKey(oldKey),
          this.#sessionKey(newKey),
          expectedVersion,
          String(record.version),
          body,
          String(redisTime(expiresAt)),
          String(indexedUntil),
        ]);
        if (typeof previous !== 'string') return false;
      }
      const previousUserId = userIdOf(previous);
      if (previousUserId !== null) {
        this.#tidy(deadline, 'zrem', [this.#indexKey(previousUserId), oldKey]);
      }
      return true;
    });
  }

  /**
   * Deletes the key (`GETDEL`). When it held a forward pointer (a Cluster rotation moved the
   * session on, or is moving it), whatever the pointer leads to is ended too: its key is
   * replaced by a tombstone for max(60 s, 10 × `commandTimeout`), so a record already there is
   * gone and a rotation's create that has not landed yet fails; a pointer found there is
   * followed in turn (at most 8). Then the keys ended are removed from their users' indexes.
   */
  async destroy(key: string): Promise<void> {
    checkKey('destroy', key);
    return this.#run('destroy', async (deadline) => {
      let value = await this.#write(deadline, 'destroy', 'getdel', [this.#sessionKey(key)]);
      let current = key;
      const ended: Array<{ userId: string; key: string }> = [];
      for (let depth = 0; typeof value === 'string'; depth++) {
        const pointer = parsePointer(value);
        const userId = userIdOf(pointer?.carried ?? value);
        if (userId !== null) ended.push({ userId, key: current });
        if (pointer === undefined || depth === MAX_POINTER_DEPTH) break;
        current = pointer.target;
        const target = this.#sessionKey(current);
        value = await this.#write(deadline, 'destroy', 'tombstone', [target, String(this.#tombstoneMs)]);
      }
      if (ended.length === 0) return;
      checkDeadline(deadline);
      // Not waited for: an index entry left behind is harmless (see `listByUser`).
      await Promise.all(ended.map((entry) => this.#link.write('zrem', [this.#indexKey(entry.userId), entry.key])));
    });
  }

  /**
   * The user's index, then the records it names (the index is a hint: an entry whose record is
   * gone or now belongs to another user is skipped, and left to expire by score; see `set`).
   *
   * No session that exists throughout the call is missed, even one rotating meanwhile (what
   * `revokeUser` relies on):
   * - on one server a rotation is one step but the index and the records are read in two, so
   *   the index is read again after the records, and the keys it gained are read too (the new
   *   key of a rotation is indexed before it is written), until it gains none;
   * - in a Cluster a rotation leaves a forward pointer under the old key: each pointer read is
   *   followed (after it was read) to what it leads to, and when that holds no record yet, the
   *   pointer's carried old record is listed under the old key (a rotation under way: a
   *   `destroy` of the old key ends it).
   */
  async listByUser(userId: string): Promise<UserSessionEntry[]> {
    assertUserId(userId);
    return this.#run('listByUser', async (deadline) => {
      const listIndex = () => this.#link.write('indexList', [this.#indexKey(userId)]).then((keys) => keys as string[]);
      const found = new Map<string, StoredSession>();
      const read = new Set<string>();
      let keys = await listIndex();
      for (let round = 1; ; round++) {
        const fresh = keys.filter((key) => !read.has(key));
        if (fresh.length === 0) break;
        if (round > MAX_LIST_ROUNDS) throw REDIS_ERRORS.unavailable('listByUser', 'contention');
        for (const key of fresh) read.add(key);
        const values = await this.#readSessions(deadline, fresh);
        const pointers: Array<{ from: string; pointer: ForwardPointer }> = [];
        fresh.forEach((key, i) => {
          const value = values[i];
          if (typeof value !== 'string') return;
          const pointer = parsePointer(value);
          if (pointer !== undefined) pointers.push({ from: key, pointer });
          else this.#collect(deadline, found, userId, key, value);
        });
        await this.#followPointers(deadline, userId, pointers, found);
        // In a Cluster a rotation leaves a pointer, followed above; one server needs the re-read.
        if (this.#link.cluster) break;
        checkDeadline(deadline);
        keys = await listIndex();
      }
      return [...found].map(([key, record]) => ({ key, record }));
    });
  }

  /** Quits the client the store created from `url`; a client given to it is left open. */
  async close(): Promise<void> {
    const owned = this.#owned;
    if (owned === null) return;
    try {
      await this.#run('close', () => owned.quit());
    } catch {
      owned.disconnect();
    }
  }

  /** The stored values of `keys` (store keys), read after this call starts. */
  async #readSessions(deadline: Deadline, keys: string[]): Promise<Array<string | null | undefined>> {
    checkDeadline(deadline);
    return await this.#link.getMany(keys.map((key) => this.#sessionKey(key)));
  }

  /**
   * Follows forward pointers (read before this call) of a listing: a record found at the end
   * is listed under its own key; no record there yet (nothing, not a tombstone) means a
   * rotation is under way, and the carried old record is listed under the pointer's key.
   */
  async #followPointers(
    deadline: Deadline,
    userId: string,
    pointers: Array<{ from: string; pointer: ForwardPointer }>,
    found: Map<string, StoredSession>,
  ): Promise<void> {
    let pending = pointers;
    for (let depth = 0; pending.length > 0 && depth < MAX_POINTER_DEPTH; depth++) {
      const values = await this.#readSessions(
        deadline,
        pending.map((each) => each.pointer.target),
      );
      const next: typeof pending = [];
      pending.forEach(({ from, pointer }, i) => {
        const value = values[i];
        if (value === null || value === undefined) {
          // Not folded: the carried record lives inside the pointer, not under a key of its own.
          if (pointer.carried !== null) collect(found, userId, from, pointer.carried);
          return;
        }
        const further = parsePointer(value);
        if (further !== undefined) next.push({ from: pointer.target, pointer: further });
        else if (value !== TOMBSTONE) this.#collect(deadline, found, userId, pointer.target, value);
      });
      pending = next;
    }
  }

  /** `collect`, folding the patches of a record read under its own key (`key`). */
  #collect(deadline: Deadline, found: Map<string, StoredSession>, userId: string, key: string, value: string): void {
    const decoded = collect(found, userId, key, value);
    if (decoded !== undefined) this.#fold(deadline, this.#sessionKey(key), decoded);
  }

  /**
   * Folds a value's patches into its record when it has at least `FOLD_AFTER_PATCHES` (a small
   * record sooner, see there): sends
   * the merged record (`FOLD_SCRIPT`), not waited for, so reads never pay for it. At most one
   * fold per key is in flight from this instance, so 50 concurrent reads of a hot session do
   * not each re-encode it. Updates appended meanwhile are kept (see `FOLD_SCRIPT`); a fold
   * that finds another record, or fails, changes nothing (the next read tries again).
   */
  #fold(deadline: Deadline, sessionKey: string, decoded: DecodedValue): void {
    const due =
      decoded.patches >= FOLD_AFTER_PATCHES ||
      (decoded.patches >= FOLD_SMALL_AFTER_PATCHES && decoded.patchLength >= decoded.recordLength);
    if (!due || this.#folding.has(sessionKey) || deadline.expired) return;
    const { record, patches } = decoded;
    // Encoded before the caller gets the record (and may change it).
    const body = encodeSessionBody(record);
    this.#folding.add(sessionKey);
    const sent = this.#link.write('fold', [sessionKey, String(record.version), String(patches), body]);
    sent.then(
      () => this.#folding.delete(sessionKey),
      () => this.#folding.delete(sessionKey),
    );
  }

  /**
   * Sends a clean-up command that the call does not wait for (an index entry, a pointer's
   * carried record): its failure is harmless and must not fail a call that has done its work.
   */
  #tidy(deadline: Deadline, name: WriteName, args: string[]): void {
    if (deadline.expired) return;
    this.#link.write(name, args).catch(() => {});
  }

  /** Moves `key`'s entry in the user's index to at least `until` (whole seconds). */
  async #indexAdd(deadline: Deadline, userId: string, key: string, until: number): Promise<void> {
    await this.#write(deadline, 'index', 'indexAdd', [this.#indexKey(userId), key, String(until)]);
  }

  /**
   * Sends one write command; with `waitForReplicas`, followed by a `WAIT` in the same round trip
   * on the same connection (`RedisLink.writeAndWait`: the master that took the write), and
   * failed unless enough replicas have it.
   */
  #write(deadline: Deadline, operation: string, name: WriteName, args: string[]): Promise<unknown> {
    try {
      checkDeadline(deadline);
    } catch (error) {
      return Promise.reject(error);
    }
    // Without replicas to wait for, the command's own promise (no async function around it).
    if (this.#replicas === 0) return this.#link.write(name, args);
    return this.#writeReplicated(operation, name, args);
  }

  async #writeReplicated(operation: string, name: WriteName, args: string[]): Promise<unknown> {
    const [reply, acknowledged] = await this.#link.writeAndWait(name, args, this.#replicas, this.#replicaTimeoutMs);
    if (acknowledged < this.#replicas) throw REDIS_ERRORS.unavailable(operation, 'not-replicated');
    return reply;
  }

  #sessionKey(key: string): string {
    return `${this.#prefix}s:${key}`;
  }

  #indexKey(userId: string): string {
    return `${this.#prefix}u:${userId}`;
  }
}

/** Adds `value` to a listing when it is a record of `userId`; returns it decoded then. */
function collect(
  found: Map<string, StoredSession>,
  userId: string,
  key: string,
  value: string,
): DecodedValue | undefined {
  const decoded = decodeSessionValue(value);
  if (decoded === undefined || decoded.record.userId !== userId) return undefined;
  found.set(key, decoded.record);
  return decoded;
}

const REDIS_ERRORS = createStoreErrors({ id: 'redis', label: 'Redis' });

/** Why a Redis call failed, as `details.reason` (safe to log). */
function reasonOf(error: unknown): StoreFailureReason {
  // Redis answered with an error (script error, CLUSTERDOWN, OOM, …): ioredis's `ReplyError`,
  // node-redis's `ErrorReply` (and its subclasses, whose `name` stays "Error"). Everything else
  // (closed connection, MaxRetriesPerRequestError, ClusterAllFailedError, node-redis's
  // ClientClosedError, SocketClosedUnexpectedlyError…) is the link.
  if (!(error instanceof Error)) return 'connection';
  if (error.name === 'ReplyError') return 'redis-error';
  for (let proto: unknown = Object.getPrototypeOf(error); proto !== null && proto !== Error.prototype; ) {
    if ((proto as { constructor?: { name?: unknown } }).constructor?.name === 'ErrorReply') return 'redis-error';
    proto = Object.getPrototypeOf(proto);
  }
  return 'connection';
}

/** Misconfiguration is a `SpartanError` with a code, like every setup error of spartan-sessions. */
function optionError(option: string, message: string): SpartanError {
  return new SpartanError('sessions/option-type-incorrect', message, { option });
}

/** Core's check, plus a length bound: keys are hashes made by core, not payloads. */
function checkKey(operation: string, key: unknown): asserts key is string {
  assertStoreKey(key);
  if (key.length > MAX_KEY_LENGTH) {
    throw REDIS_ERRORS.invalidArgument(operation, 'key', `key must be at most ${MAX_KEY_LENGTH} characters`);
  }
}

/** Core's check, plus the range Redis accepts for an expiry time. */
function checkTime(operation: string, time: unknown): number {
  assertExpiresAt(time);
  if (Math.abs(time) > MAX_TIME)
    throw REDIS_ERRORS.invalidArgument(operation, 'expiresAt', 'expiresAt is out of range');
  return time;
}

/** The whole second an index entry must reach to cover an expiry (rounded up, never earlier). */
function indexSecond(expiresAt: number): number {
  return Math.ceil(expiresAt / 1000);
}

/** How far an index write moves an entry that must reach `needed`: a little ahead of it. */
function indexAhead(needed: number): number {
  const left = needed - Math.floor(Date.now() / 1000);
  return needed + Math.max(0, Math.min(INDEX_AHEAD_MAX_SECONDS, Math.floor(left / 4)));
}

/** Redis expiry times are positive whole milliseconds; one in the past deletes the key. */
function redisTime(expiresAt: number): number {
  return Math.max(1, Math.floor(expiresAt));
}

/** Whether a `SET … NX` reply says it was set (`OK`; `null` when the key held something). */
function isOk(reply: unknown): boolean {
  return reply === 'OK';
}
