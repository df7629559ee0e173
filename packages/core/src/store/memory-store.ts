import { SpartanError } from '../errors/errors.js';
import {
  type Clock,
  type SessionStore,
  type SessionZone,
  type StoredSession,
  type StoreSetOptions,
  systemClock,
  type UserSessionEntry,
} from '../ports.js';
import { ExpiryQueue } from './expiry-queue.js';
import {
  assertExpiresAt,
  assertStoredSession,
  assertStoreKey,
  assertStoreSetOptions,
  assertUserId,
} from './validate.js';

/** Options of `MemoryStore`. */
export interface MemoryStoreOptions {
  /**
   * The most sessions held at once. A write of a new session beyond it first reclaims expired
   * sessions, then evicts a session not used (read, written or touched) since the last sweep
   * (second chance): an approximation of least-recently-used that costs a read no reordering.
   * @default 10_000
   */
  maxSessions?: number;
  /**
   * The time source expiry is judged by (ms since epoch). Inject a fake one in tests.
   * @default systemClock
   */
  clock?: Clock;
}

/** What a `MemoryStore` holds right now (expired sessions count until the next operation reclaims them). */
export interface MemoryStoreStats {
  /** Session records held. */
  sessions: number;
  /** Distinct users with at least one indexed session. */
  users: number;
  /** Sessions indexed under a user (those with a non-null `userId`). */
  indexedSessions: number;
}

interface Entry {
  /** The entry's key in `#records` (eviction starts from the entry, not the key). */
  readonly key: string;
  /**
   * The record's data as JSON. Keeping the serialized form makes every `get` a fresh deep copy
   * and makes this store accept exactly what a Redis or Mongo store would round-trip, so code
   * that works on the default store does not break on a real one. The other fields are numbers,
   * strings and `null`, held as they are (parsing them back out of one JSON text cost a read
   * four times as much).
   */
  dataJson: string;
  version: number;
  userId: string | null;
  createdAt: number;
  lastSeenAt: number;
  rotatedAt: number;
  authenticatedAt: number | null;
  zone: SessionZone;
  csrfSecret: string | null;
  expiresAt: number;
  /**
   * Identifies the entry's one live `ExpiryQueue` item (scheduled at `queuedAt` ≤ `expiresAt`);
   * an item of another generation is stale.
   */
  generation: number;
  queuedAt: number;
  /** Used since the eviction sweep last passed it (second chance). */
  referenced: boolean;
  /** Neighbours in the sweep queue: `previous` is swept before this entry, `next` after it. */
  previous: Entry | null;
  next: Entry | null;
}

const DEFAULT_MAX_SESSIONS = 10_000;

/** Stale expiry items tolerated before the queue is rebuilt (amortized O(1) per write). */
const STALE_EXPIRY_SLACK = 1024;

let warnedInProduction = false;

function warnOnceInProduction(): void {
  // `typeof process` rather than an import: core's main entry must run without Node built-ins.
  if (warnedInProduction || typeof process === 'undefined' || process.env?.NODE_ENV !== 'production') return;
  warnedInProduction = true;
  console.warn(
    '[spartan-sessions] MemoryStore is running with NODE_ENV=production. It keeps sessions in this ' +
      'process only: they are lost on restart and not shared between instances. Use ' +
      '@spartan-sessions/store-redis or @spartan-sessions/store-mongo in production.',
  );
}

function optionError(message: string, option: string): SpartanError {
  return new SpartanError('sessions/option-type-incorrect', `MemoryStore: ${message}`, { option });
}

function invalidRecord(message: string): SpartanError {
  return new SpartanError('sessions/store-unavailable', `Invalid session store argument: ${message}`, {
    reason: 'invalid-argument',
    argument: 'record',
  });
}

/**
 * Serializes the data of `record` (already validated). A JSON round trip keeps a valid record
 * valid except through a `toJSON` method, which could turn the record or its data into
 * anything: refuse it rather than parse the result back on every write.
 */
function serializeData(record: StoredSession): string {
  if (hasToJSON(record) || hasToJSON(record.data)) {
    throw invalidRecord('record and its data must not define toJSON');
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(record.data);
  } catch {
    // The engine's message may quote the data's property names: keep it out of the error.
    throw invalidRecord('record must be JSON-serializable (no BigInt, no cycles)');
  }
  return json;
}

/** A fresh copy of the entry's record (the data parsed anew: a deep copy). */
function recordOf(entry: Entry): StoredSession {
  return {
    version: entry.version,
    data: JSON.parse(entry.dataJson) as Record<string, unknown>,
    createdAt: entry.createdAt,
    lastSeenAt: entry.lastSeenAt,
    rotatedAt: entry.rotatedAt,
    userId: entry.userId,
    authenticatedAt: entry.authenticatedAt,
    zone: entry.zone,
    csrfSecret: entry.csrfSecret,
  };
}

function hasToJSON(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/**
 * The default store: single process, bounded (second-chance eviction by count), expiring, with
 * a per-user index. Every method runs to completion without yielding between its check and its
 * write, so compare-and-set is atomic within the process; `getSync` / `setSync` / `destroySync`
 * let core use it without a promise. Not for production: sessions die with the process and are
 * not shared between instances (it warns once when `NODE_ENV=production`).
 *
 * Eviction is second chance (CLOCK): a read, write or touch sets the entry's `referenced` flag;
 * when the bound is reached, the sweep starts at the front of a queue that new entries join at
 * the back, moves each referenced entry to the back with its flag cleared, and evicts the first
 * unreferenced one.
 *
 * Costs per call stay flat up to millions of sessions: a read only sets a flag (deleting and
 * re-inserting a key of a large `Map` to keep LRU order cost ~6 µs at 1M entries), a write
 * updates its entry in place, and a write that moves an expiry later pushes nothing onto the
 * expiry heap (the entry's earlier item is re-pushed when it comes due). The sweep queue is a
 * list linked through the entries rather than the map's own order: finding a `Map`'s first key
 * scans the holes its deletions left at the front (~65 µs at 1M entries under churn), and a
 * `Map` iterator held between calls keeps every backing table the map outgrows alive, with the
 * deleted sessions in them, until it is advanced again.
 */
export class MemoryStore implements SessionStore {
  readonly #maxSessions: number;
  readonly #clock: Clock;
  readonly #records = new Map<string, Entry>();
  /** The sweep queue's ends: new entries join at the back, the sweep starts at the front. */
  #front: Entry | null = null;
  #back: Entry | null = null;
  readonly #byUser = new Map<string, Set<string>>();
  readonly #expiries = new ExpiryQueue();
  #generation = 0;

  constructor(options: MemoryStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) throw optionError('options must be an object', 'options');
    const { maxSessions = DEFAULT_MAX_SESSIONS, clock = systemClock } = options;
    if (!Number.isSafeInteger(maxSessions) || maxSessions <= 0) {
      throw optionError('maxSessions must be a positive integer', 'maxSessions');
    }
    if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
      throw optionError('clock must be an object with a now() method', 'clock');
    }
    this.#maxSessions = maxSessions;
    this.#clock = clock;
    warnOnceInProduction();
  }

  async get(key: string): Promise<StoredSession | null> {
    return this.getSync(key);
  }

  /** `get` without a promise (see `SessionStore.getSync`). */
  getSync(key: string): StoredSession | null {
    assertStoreKey(key);
    this.#reclaimExpired();
    const entry = this.#records.get(key);
    if (entry === undefined) return null;
    entry.referenced = true;
    return recordOf(entry);
  }

  async set(key: string, record: StoredSession, opts: StoreSetOptions): Promise<boolean> {
    return this.setSync(key, record, opts);
  }

  /** `set` without a promise (see `SessionStore.setSync`). */
  setSync(key: string, record: StoredSession, opts: StoreSetOptions): boolean {
    assertStoreKey(key);
    assertStoredSession(record);
    assertStoreSetOptions(opts);
    const dataJson = serializeData(record);
    const now = this.#reclaimExpired();
    const current = this.#records.get(key);
    const matches = opts.expectedVersion === null ? current === undefined : current?.version === opts.expectedVersion;
    if (!matches) return false;

    // The port: "an expiresAt in the past deletes the record".
    if (opts.expiresAt <= now) {
      if (current !== undefined) this.#remove(key, current);
      return true;
    }
    if (current !== undefined) {
      // In place: the entry keeps its slot in the map (no reordering, no rehash).
      if (current.userId !== record.userId) {
        this.#unindex(key, current.userId);
        this.#index(key, record.userId);
      }
      current.dataJson = dataJson;
      current.version = record.version;
      current.userId = record.userId;
      current.createdAt = record.createdAt;
      current.lastSeenAt = record.lastSeenAt;
      current.rotatedAt = record.rotatedAt;
      current.authenticatedAt = record.authenticatedAt;
      current.zone = record.zone;
      current.csrfSecret = record.csrfSecret;
      current.referenced = true;
      this.#moveExpiry(key, current, opts.expiresAt);
      return true;
    }
    while (this.#records.size >= this.#maxSessions) this.#evictOne();
    const entry: Entry = {
      key,
      dataJson,
      version: record.version,
      userId: record.userId,
      createdAt: record.createdAt,
      lastSeenAt: record.lastSeenAt,
      rotatedAt: record.rotatedAt,
      authenticatedAt: record.authenticatedAt,
      zone: record.zone,
      csrfSecret: record.csrfSecret,
      expiresAt: opts.expiresAt,
      generation: 0,
      queuedAt: Number.POSITIVE_INFINITY,
      // At the back of the queue, it comes up after every entry already held.
      referenced: false,
      previous: null,
      next: null,
    };
    this.#records.set(key, entry);
    this.#enqueue(entry);
    this.#index(key, entry.userId);
    this.#moveExpiry(key, entry, opts.expiresAt);
    return true;
  }

  async touch(key: string, expiresAt: number): Promise<void> {
    assertStoreKey(key);
    assertExpiresAt(expiresAt);
    const now = this.#reclaimExpired();
    const entry = this.#records.get(key);
    if (entry === undefined) return;
    if (expiresAt <= now) {
      this.#remove(key, entry);
      return;
    }
    entry.referenced = true;
    this.#moveExpiry(key, entry, expiresAt);
  }

  async destroy(key: string): Promise<void> {
    this.destroySync(key);
  }

  /** `destroy` without a promise (see `SessionStore.destroySync`). */
  destroySync(key: string): void {
    assertStoreKey(key);
    this.#reclaimExpired();
    const entry = this.#records.get(key);
    if (entry !== undefined) this.#remove(key, entry);
  }

  async listByUser(userId: string): Promise<UserSessionEntry[]> {
    assertUserId(userId);
    this.#reclaimExpired();
    const keys = this.#byUser.get(userId);
    if (keys === undefined) return [];
    const sessions: UserSessionEntry[] = [];
    for (const key of keys) {
      // The index only ever names held records of this user (kept in step by #remove and set).
      const entry = this.#records.get(key)!;
      sessions.push({ key, record: recordOf(entry) });
    }
    return sessions;
  }

  /** Forgets every session. The store stays usable. */
  async close(): Promise<void> {
    this.#records.clear();
    this.#front = null;
    this.#back = null;
    this.#byUser.clear();
    this.#expiries.clear();
  }

  /** Counts for metrics and tests; does not reclaim expired sessions by itself. */
  stats(): MemoryStoreStats {
    let indexedSessions = 0;
    for (const keys of this.#byUser.values()) indexedSessions += keys.size;
    return { sessions: this.#records.size, users: this.#byUser.size, indexedSessions };
  }

  /**
   * Deletes every record whose expiry has passed and returns the time it judged by. Run at the
   * start of every operation, so afterwards each held record is live: expired sessions are
   * absent to every method and never linger in the per-user index or count against the bound.
   */
  #reclaimExpired(): number {
    const now = this.#clock.now();
    if (!Number.isFinite(now)) {
      // Comparisons with NaN are all false: a broken clock would make sessions immortal.
      throw new SpartanError('sessions/store-unavailable', 'MemoryStore: the clock returned a non-finite time', {
        reason: 'clock',
      });
    }
    for (let item = this.#expiries.peek(); item !== undefined && item.expiresAt <= now; item = this.#expiries.peek()) {
      this.#expiries.pop();
      const entry = this.#records.get(item.key);
      if (entry?.generation !== item.generation) continue;
      if (entry.expiresAt <= now) this.#remove(item.key, entry);
      // Its expiry moved later since this item was pushed: schedule it at the real time now.
      else this.#queue(item.key, entry);
    }
    return now;
  }

  /**
   * Sets the entry's expiry. Moving it later needs nothing on the heap (the entry's earlier item
   * will find it still alive and re-queue it); moving it earlier queues a new item.
   */
  #moveExpiry(key: string, entry: Entry, expiresAt: number): void {
    entry.expiresAt = expiresAt;
    if (expiresAt < entry.queuedAt) this.#queue(key, entry);
  }

  #queue(key: string, entry: Entry): void {
    entry.generation = ++this.#generation;
    entry.queuedAt = entry.expiresAt;
    this.#expiries.push({ expiresAt: entry.expiresAt, key, generation: entry.generation });
    if (this.#expiries.size > 2 * this.#records.size + STALE_EXPIRY_SLACK) {
      // Too many stale items: one item per live entry, at its real expiry.
      const live = Array.from(this.#records, ([liveKey, liveEntry]) => {
        liveEntry.queuedAt = liveEntry.expiresAt;
        return { expiresAt: liveEntry.expiresAt, key: liveKey, generation: liveEntry.generation };
      });
      this.#expiries.rebuild(live);
    }
  }

  /**
   * Second chance (CLOCK): from the front of the queue, an entry used since the sweep last passed
   * it loses its mark and goes to the back; the first one without a mark is evicted. Called only
   * when the map is full (never empty), so one pass at most clears every mark.
   */
  #evictOne(): void {
    for (;;) {
      const entry = this.#front!;
      if (!entry.referenced) {
        this.#remove(entry.key, entry);
        return;
      }
      entry.referenced = false;
      this.#dequeue(entry);
      this.#enqueue(entry);
    }
  }

  /** Deletes the record, its place in the sweep queue and its index entry (its expiry item goes stale). */
  #remove(key: string, entry: Entry): void {
    this.#records.delete(key);
    this.#dequeue(entry);
    this.#unindex(key, entry.userId);
  }

  #enqueue(entry: Entry): void {
    entry.previous = this.#back;
    entry.next = null;
    if (this.#back === null) this.#front = entry;
    else this.#back.next = entry;
    this.#back = entry;
  }

  #dequeue(entry: Entry): void {
    if (entry.previous === null) this.#front = entry.next;
    else entry.previous.next = entry.next;
    if (entry.next === null) this.#back = entry.previous;
    else entry.next.previous = entry.previous;
    entry.previous = null;
    entry.next = null;
  }

  #index(key: string, userId: string | null): void {
    if (userId === null) return;
    let keys = this.#byUser.get(userId);
    if (keys === undefined) {
      keys = new Set();
      this.#byUser.set(userId, keys);
    }
    keys.add(key);
  }

  #unindex(key: string, userId: string | null): void {
    if (userId === null) return;
    // Every held record with a userId is in that user's set (#index adds it, only this removes it).
    const keys = this.#byUser.get(userId)!;
    keys.delete(key);
    if (keys.size === 0) this.#byUser.delete(userId);
  }
}
