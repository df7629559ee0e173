import {
  assertExpiresAt,
  assertStoredSession,
  assertStoreKey,
  assertStoreSetOptions,
  assertUserId,
  type Deadline,
  type DeadlineRunner,
  type SessionStore,
  SpartanError,
  type StoredSession,
  type StoreSetOptions,
  type UserSessionEntry,
} from '@spartan-sessions/core';
import { type Cluster, Redis } from 'ioredis';
import { decodeSession, encodeSessionBody, userIdOf } from './internal/codec.js';
import { checkDeadline, createDeadlines, invalidArgument, storeUnavailable } from './internal/deadline.js';
import { COMMANDS, SCRIPTS } from './internal/scripts.js';

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
}

/** A client you own: `Redis` (standalone, or Sentinel with `{ sentinels, name }`) or `Cluster`. */
export interface RedisStoreClientOptions extends RedisStoreBaseOptions {
  /** Never closed by the store: `close()` leaves it to you. */
  client: Redis | Cluster;
  url?: never;
}

/** A connection string (`redis://…`, `rediss://…`); the store creates and closes the client. */
export interface RedisStoreUrlOptions extends RedisStoreBaseOptions {
  url: string;
  client?: never;
}

export type RedisStoreOptions = RedisStoreClientOptions | RedisStoreUrlOptions;

/**
 * The write commands, as both a client and a pipeline offer them (ioredis `defineCommand`
 * adds the Lua scripts of `internal/scripts.ts` to both): on a client each returns the reply's
 * promise, on a pipeline the pipeline. Replies are narrowed where they are used.
 */
interface WriteCommands {
  spartanSessionsCas(
    sessionKey: string,
    version: string,
    body: string,
    expectedVersion: string,
    expiresAt: string,
    userId: string,
    indexNeeded: string,
    indexedUntil: string,
  ): unknown;
  spartanSessionsTouch(sessionKey: string, expiresAt: string, indexed: string, indexNeeded: string): unknown;
  spartanSessionsIndexAdd(indexKey: string, sessionKey: string, expiresAtSeconds: string): unknown;
  getdel(key: string): unknown;
}
/** The one read-write script that is never waited for (it only drops expired index entries). */
interface IndexListCommand {
  spartanSessionsIndexList(indexKey: string): Promise<string[]>;
}
type AnyClient = Redis | Cluster;

const DEFAULT_PREFIX = 'sess:';
const DEFAULT_TIMEOUT_MS = 2000;
/** Keys are hashes made by core; anything longer is a caller's mistake, not a session. */
const MAX_KEY_LENGTH = 512;
/** The largest time a `Date` can hold (ms); Redis refuses expiry times beyond its range too. */
const MAX_TIME = 8.64e15;
/** `touch` re-reads a session whose user changed under it at most this many times. */
const TOUCH_ATTEMPTS = 5;
/**
 * How far past a session's expiry its user's index entry is moved, at most (seconds): a
 * quarter of the time left, up to 10 minutes. Writes of an active session then touch the index
 * about once per quarter of its lifetime instead of on every request; an entry outlives its
 * session by that much at worst (harmless: `listByUser` checks every record).
 */
const INDEX_AHEAD_MAX_SECONDS = 600;

/**
 * `SessionStore` over ioredis: standalone Redis, Sentinel (a `Redis` in sentinel mode) or
 * Redis Cluster. Needs Redis 6.2 or later (`SET … PXAT`, `ZADD GT`, `GETDEL`).
 *
 * Layout: one string per session, `<prefix>s:<key>`, holding the compact record (see
 * `internal/codec.ts`) with a server-side expiry at the record's `expiresAt`; one sorted set
 * per user, `<prefix>u:<userId>`, of that user's session keys scored by expiry (seconds).
 *
 * Consistency: the session key is the source of truth; the user index is a superset of the
 * user's live sessions that `listByUser` checks against the records. A session is added to
 * its user's index (score = its expiry, only ever moved forward) *before* it is written or
 * its expiry extended, so a live session is never missing from its user's index, even when a
 * call fails half-way; entries of expired sessions are dropped by score on every index write
 * and read, and the index key expires with its last entry.
 */
export class RedisStore implements SessionStore {
  readonly #client: AnyClient;
  readonly #ownsClient: boolean;
  readonly #prefix: string;
  readonly #run: DeadlineRunner;
  readonly #replicas: number;
  readonly #replicaTimeoutMs: number;

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
    let client: Redis | Cluster;
    if (options.client !== undefined) {
      if (options.url !== undefined) throw optionError('client', 'RedisStore: give either `client` or `url`, not both');
      if (typeof options.client !== 'object' || typeof options.client.defineCommand !== 'function') {
        throw optionError('client', 'RedisStore: `client` must be an ioredis Redis or Cluster instance');
      }
      client = options.client;
      this.#ownsClient = false;
    } else if (typeof options.url === 'string') {
      // Auto-pipelining: the commands of every request issued in one event-loop tick leave in
      // one socket write (ioredis groups them per Cluster slot and handles the scripts too).
      client = new Redis(options.url, { enableAutoPipelining: true });
      // Failures reach callers as `sessions/store-unavailable`; without a listener ioredis
      // would also print every reconnection error of this private client.
      client.on('error', () => {});
      this.#ownsClient = true;
    } else {
      throw optionError('options', 'RedisStore: options must hold an ioredis `client` or a `url`');
    }
    for (const [name, command] of Object.entries(COMMANDS) as Array<[keyof typeof COMMANDS, string]>) {
      client.defineCommand(command, { numberOfKeys: 1, lua: SCRIPTS[name] });
    }
    this.#client = client;
    this.#prefix = prefix;
    this.#run = createDeadlines(timeoutMs);
    this.#replicas = replicas;
    this.#replicaTimeoutMs = replicaTimeoutMs;
  }

  /** The key prefix in use. */
  get prefix(): string {
    return this.#prefix;
  }

  /** The ioredis client in use (the one given, or the one made from `url`). */
  get client(): Redis | Cluster {
    return this.#client;
  }

  async get(key: string): Promise<StoredSession | null> {
    checkKey('get', key);
    return this.#run('get', async () => {
      const value = await this.#client.get(this.#sessionKey(key));
      return value === null ? null : (decodeSession(value) ?? null);
    });
  }

  async set(key: string, record: StoredSession, opts: StoreSetOptions): Promise<boolean> {
    checkKey('set', key);
    assertStoredSession(record);
    assertStoreSetOptions(opts);
    const expiresAt = checkTime('set', opts.expiresAt);
    const { expectedVersion } = opts;
    let body: string;
    try {
      body = encodeSessionBody(record);
    } catch {
      throw invalidArgument('set', 'record', 'record.data must be JSON-serializable');
    }
    const { userId } = record;
    const needed = indexSecond(expiresAt);
    return this.#run('set', async (deadline) => {
      const cas = (indexedUntil: number) =>
        this.#write(deadline, 'set', (redis) =>
          redis.spartanSessionsCas(
            this.#sessionKey(key),
            String(record.version),
            body,
            expectedVersion === null ? '' : String(expectedVersion),
            String(redisTime(expiresAt)),
            // As the codec writes it after the head: the script compares the two strings.
            userId === null ? '' : JSON.stringify(userId),
            String(needed),
            String(indexedUntil),
          ),
        );
      // A new session of a user is indexed first; an update first asks the script, which
      // knows whether the stored record's index entry still covers the new expiry.
      let written = userId !== null && expectedVersion === null ? -1 : await cas(0);
      if (written === -1 && userId !== null) {
        // Index first: should the write below fail or time out, the index holds a spare entry
        // (harmless, `listByUser` checks records) rather than missing a live session.
        const indexedUntil = indexAhead(needed);
        await this.#indexAdd(deadline, userId, key, indexedUntil);
        written = await cas(indexedUntil);
      }
      // A user change leaves the old user's entry behind on purpose: removing it here could
      // race with a concurrent write giving the key back to that user. It is filtered out by
      // `listByUser` and dropped by score when the session would have expired.
      return written === 1;
    });
  }

  async touch(key: string, expiresAt: number): Promise<void> {
    checkKey('touch', key);
    const at = checkTime('touch', expiresAt);
    return this.#run('touch', async (deadline) => {
      let indexed = '0';
      for (let attempt = 0; attempt < TOUCH_ATTEMPTS; attempt++) {
        const result = await this.#write(deadline, 'touch', (redis) =>
          redis.spartanSessionsTouch(this.#sessionKey(key), String(redisTime(at)), indexed, String(indexSecond(at))),
        );
        if (!Array.isArray(result)) return;
        // An authenticated session: move its index entry forward first, then its expiry.
        const userId: unknown = result[0];
        if (typeof userId !== 'string') throw storeUnavailable('touch', 'redis-error');
        await this.#indexAdd(deadline, userId, key, indexAhead(indexSecond(at)));
        indexed = `1${userId}`;
      }
      throw storeUnavailable('touch', 'contention');
    });
  }

  async destroy(key: string): Promise<void> {
    checkKey('destroy', key);
    return this.#run('destroy', async (deadline) => {
      const value = await this.#write(deadline, 'destroy', (redis) => redis.getdel(this.#sessionKey(key)));
      const userId = typeof value === 'string' ? userIdOf(value) : null;
      if (userId === null) return;
      checkDeadline(deadline);
      // Not waited for: an index entry left behind is harmless (see `listByUser`).
      await this.#client.zrem(this.#indexKey(userId), key);
    });
  }

  async listByUser(userId: string): Promise<UserSessionEntry[]> {
    assertUserId(userId);
    return this.#run('listByUser', async (deadline) => {
      const keys = await (this.#client as AnyClient & IndexListCommand).spartanSessionsIndexList(
        this.#indexKey(userId),
      );
      if (keys.length === 0) return [];
      checkDeadline(deadline);
      const sessionKeys = keys.map((key) => this.#sessionKey(key));
      // MGET is one command on one server; in a Cluster the keys live in different slots, so
      // one GET each (ioredis routes them to their nodes and sends them without waiting).
      const values = this.#client.isCluster
        ? await Promise.all(sessionKeys.map((sessionKey) => this.#client.get(sessionKey)))
        : await this.#client.mget(sessionKeys);
      const entries: UserSessionEntry[] = [];
      keys.forEach((key, i) => {
        const value = values[i];
        const record = value === null || value === undefined ? undefined : decodeSession(value);
        // The index is a hint: an entry whose record is gone or now belongs to another user
        // is skipped (and left to expire by score; see `set`).
        if (record !== undefined && record.userId === userId) entries.push({ key, record });
      });
      return entries;
    });
  }

  /** Quits the client the store created from `url`; a client given to it is left open. */
  async close(): Promise<void> {
    if (!this.#ownsClient) return;
    try {
      await this.#run('close', () => this.#client.quit());
    } catch {
      this.#client.disconnect();
    }
  }

  /** Moves `key`'s entry in the user's index to at least `until` (whole seconds). */
  async #indexAdd(deadline: Deadline, userId: string, key: string, until: number): Promise<void> {
    await this.#write(deadline, 'index', (redis) =>
      redis.spartanSessionsIndexAdd(this.#indexKey(userId), key, String(until)),
    );
  }

  /**
   * Sends one write command; with `waitForReplicas`, pipelined with a `WAIT` on the same
   * connection (in a Cluster ioredis routes the pipeline by the command's key, so the `WAIT`
   * reaches the master that took the write) and failed unless enough replicas have it.
   */
  async #write(deadline: Deadline, operation: string, command: (redis: WriteCommands) => unknown): Promise<unknown> {
    checkDeadline(deadline);
    if (this.#replicas === 0) return command(this.#client as unknown as WriteCommands);
    const pipeline = this.#client.pipeline();
    command(pipeline as unknown as WriteCommands);
    pipeline.wait(this.#replicas, this.#replicaTimeoutMs);
    const [reply, acknowledged] = (await pipeline.exec()) ?? [];
    if (reply === undefined || acknowledged === undefined) throw storeUnavailable(operation, 'connection');
    if (reply[0] !== null) throw reply[0];
    if (acknowledged[0] !== null) throw acknowledged[0];
    if (Number(acknowledged[1]) < this.#replicas) throw storeUnavailable(operation, 'not-replicated');
    return reply[1];
  }

  #sessionKey(key: string): string {
    return `${this.#prefix}s:${key}`;
  }

  #indexKey(userId: string): string {
    return `${this.#prefix}u:${userId}`;
  }
}

/** Misconfiguration is a `SpartanError` with a code, like every setup error of spartan-sessions. */
function optionError(option: string, message: string): SpartanError {
  return new SpartanError('sessions/option-type-incorrect', message, { option });
}

/** Core's check, plus a length bound: keys are hashes made by core, not payloads. */
function checkKey(operation: string, key: unknown): asserts key is string {
  assertStoreKey(key);
  if (key.length > MAX_KEY_LENGTH) {
    throw invalidArgument(operation, 'key', `key must be at most ${MAX_KEY_LENGTH} characters`);
  }
}

/** Core's check, plus the range Redis accepts for an expiry time. */
function checkTime(operation: string, time: unknown): number {
  assertExpiresAt(time);
  if (Math.abs(time) > MAX_TIME) throw invalidArgument(operation, 'expiresAt', 'expiresAt is out of range');
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
