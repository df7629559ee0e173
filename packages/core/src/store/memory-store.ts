import { SpartanError } from '../errors/errors.js';
import {
  type Clock,
  type SessionStore,
  type StoredSession,
  type StoredSessionChanges,
  type StoreRotateOptions,
  type StoreSetOptions,
  type StoreUpdateOptions,
  systemClock,
  type UserSessionEntry,
} from '../ports.js';
import {
  applyDataChanges,
  assertStoredSessionChanges,
  assertStoreUpdateOptions,
  copyJsonValues,
  decodeSessionChangesList,
  encodeSessionChanges,
} from './changes.js';
import { ExpiryQueue } from './expiry-queue.js';
import { grown } from './typed-columns.js';
import {
  assertRotationKeys,
  assertStoredSession,
  assertStoreKey,
  assertStoreRotateOptions,
  assertStoreSetOptions,
  assertUserId,
} from './validate.js';

/** Options of `MemoryStore`. */
export interface MemoryStoreOptions {
  /**
   * The most sessions held at once. A write of a new session beyond it first reclaims expired
   * sessions, then evicts a session not used (read or written) since the last sweep
   * (second chance): an approximation of least-recently-used that costs a read no reordering.
   * Anonymous sessions go first: a signed-in session is evicted only to make room for another
   * signed-in one when no anonymous session is left, and a new anonymous session is refused
   * (`sessions/store-unavailable`, reason `capacity`) rather than evict a signed-in one.
   * @default 10_000
   */
  maxSessions?: number;
  /**
   * The time source expiry is judged by (ms since epoch). Inject a fake one in tests.
   * @default systemClock
   */
  clock?: Clock;
}

/**
 * A session a `MemoryStore` evicted to make room: its store key (already a hash of the id) and
 * user. Every listener is handed the same object (not frozen: freezing showed in the eviction
 * micro-benchmark), hence read-only.
 */
export interface MemoryStoreEviction {
  readonly key: string;
  /** The evicted record's user, `null` for an anonymous session. */
  readonly userId: string | null;
}

/** Told of every eviction, once the write that made room is complete. */
export type MemoryStoreEvictionListener = (eviction: MemoryStoreEviction) => void;

/** What a `MemoryStore` holds right now (expired sessions count until the next operation reclaims them). */
export interface MemoryStoreStats {
  /** Session records held. */
  sessions: number;
  /** Distinct users with at least one indexed session. */
  users: number;
  /** Sessions indexed under a user (those with a non-null `userId`). */
  indexedSessions: number;
}

const DEFAULT_MAX_SESSIONS = 10_000;

/** Stale expiry items tolerated before the queue is rebuilt (amortized O(1) per write). */
const STALE_EXPIRY_SLACK = 1024;

/**
 * Patches (`update`s) a record keeps after its data before a read folds them into it: an update
 * then costs one small `JSON.stringify` instead of a parse and a stringify of the whole data,
 * and a read folds at most this many (one `JSON.parse` for all of them).
 */
const MAX_PATCHES = 16;

/** Data shorter than this (JSON characters) takes an update's changes at once instead of as a patch. */
const FOLD_AT_ONCE_BELOW = 1024;

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

function capacityError(): SpartanError {
  return new SpartanError(
    'sessions/store-unavailable',
    'MemoryStore: every session held is signed in; a new anonymous session would have to evict one',
    { reason: 'capacity' },
  );
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

function hasAnyKey(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

function hasToJSON(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** "No slot": the end of a list. */
const NONE = -1;
const INITIAL_CAPACITY = 64;

/**
 * The numbers of a slot, side by side in one `Float64Array` (eight to a slot: one cache line).
 * `authenticatedAt` holds NaN for `null` (records only carry finite numbers).
 */
const VERSION = 0;
const CREATED_AT = 1;
const LAST_SEEN_AT = 2;
const ROTATED_AT = 3;
const AUTHENTICATED_AT = 4;
const EXPIRES_AT = 5;
/** When the slot's one live expiry item is scheduled (≤ EXPIRES_AT; Infinity before the first). */
const QUEUED_AT = 6;
/**
 * Identifies the slot's live expiry item; an item of another generation is stale. Generations
 * count from 1, so the 0 of a new or freed slot matches no item.
 */
const GENERATION = 7;
const STRIDE = 8;

/** Bits of a slot's flag byte. */
const REFERENCED = 1;
const PRIVILEGED = 2;

/** The two sweep queues, by the kind of session they hold (an index into `#fronts` / `#backs`). */
const ANONYMOUS = 0;
const AUTHENTICATED = 1;
type SessionKind = typeof ANONYMOUS | typeof AUTHENTICATED;

function kindOf(userId: string | null): SessionKind {
  return userId === null ? ANONYMOUS : AUTHENTICATED;
}

/**
 * The default store: single process, bounded (second-chance eviction by count), expiring, with
 * a per-user index. Every method runs to completion without yielding between its check and its
 * write, so compare-and-set is atomic within the process; `getSync` / `setSync` / `destroySync`
 * let core use it without a promise. Not for production: sessions die with the process and are
 * not shared between instances (it warns once when `NODE_ENV=production`).
 *
 * Eviction is second chance (CLOCK): a read or a write sets the entry's referenced flag;
 * when the bound is reached, the sweep starts at the front of a queue that new entries join at
 * the back, moves each referenced entry to the back with its flag cleared, and evicts the first
 * unreferenced one.
 *
 * Who may evict whom: there are two such queues, one of anonymous sessions (`userId` null) and
 * one of signed-in ones, because anyone can create an anonymous session (a form that stores a
 * CSRF secret, a cart) and a flood of them must never sign a user out. A new session of either
 * kind evicts from the anonymous queue while it holds any; a new signed-in session then sweeps
 * the signed-in queue; a new anonymous session in a store holding only signed-in ones is
 * refused: `sessions/store-unavailable` with `details.reason: 'capacity'` (core answers that
 * request 503, and only that request). A record that changes kind in place (signed in without
 * rotation, or signed out while kept) moves to the back of its new queue, marked as used; a
 * rotation (`rotateSync`) frees the old slot before it fills the new one, so a login never
 * evicts. Every eviction is reported to the listeners of `addEvictionListener` (the session
 * manager turns it into a `destroyed` event with reason `evicted`); expiry is not an eviction.
 *
 * Layout: a struct of arrays. Each session has a slot number (the only value in the key → slot
 * `Map`); its numbers, flags and list links live in typed arrays indexed by slot, its strings
 * (data JSON, user id, CSRF secret) in plain arrays, and the expiry queue is typed arrays too.
 * Per session the garbage-collected heap holds its key, its data JSON and (when set) its CSRF
 * secret, not a dozen objects: a million sessions add ~100 MB of heap instead of ~500 MB, and a
 * large heap is what slowed every request of an in-process store (V8 lets a big old generation
 * grow for longer between full collections, so the objects each request promotes land on fresh
 * pages and the kernel's page faults slow every request; measured in docs/performance.md,
 * "Memory store flat").
 *
 * Costs per call stay flat up to millions of sessions: a read only sets a flag (deleting and
 * re-inserting a key of a large `Map` to keep LRU order grows with the map), a write
 * updates its slot in place, and a write that moves an expiry later pushes nothing onto the
 * expiry heap (the slot's earlier item is re-pushed when it comes due). The sweep queue and the
 * per-user lists are linked through the slots rather than kept in `Map`s or `Set`s: finding a
 * `Map`'s first key scans the holes its deletions left at the front (slow at a million entries
 * under churn: docs/decisions.md), and a `Map` iterator held between calls keeps every backing table the map
 * outgrows alive until it is advanced again.
 */
export class MemoryStore implements SessionStore {
  readonly #maxSessions: number;
  readonly #clock: Clock;
  /** Key → slot, for every held session. */
  readonly #slots = new Map<string, number>();
  /** Free slots, linked through `#next`. */
  #free = NONE;
  #keys: string[] = [];
  #dataJson: string[] = [];
  /** Each slot's `update`s not yet folded into `#dataJson` (encoded patches), oldest first. */
  #patches: (string[] | null)[] = [];
  #userIds: (string | null)[] = [];
  #csrfSecrets: (string | null)[] = [];
  #numbers = new Float64Array(0);
  #flags = new Uint8Array(0);
  /**
   * The two sweep queues (and the free list): `#previous` is swept before the slot, `#next`
   * after it. The slot's `#userIds` entry says which queue it is in (null: anonymous).
   */
  #previous = new Int32Array(0);
  #next = new Int32Array(0);
  /** Front and back slot of each queue, by `SessionKind`. */
  readonly #fronts = new Int32Array([NONE, NONE]);
  readonly #backs = new Int32Array([NONE, NONE]);
  /** Each user's sessions, a circular list through these links; `#byUser` names a member. */
  #userPrevious = new Int32Array(0);
  #userNext = new Int32Array(0);
  readonly #byUser = new Map<string, number>();
  #indexedSessions = 0;
  readonly #expiries = new ExpiryQueue();
  #generation = 0;
  /** Replaced, never changed in place: a listener that unsubscribes mid-notification is safe. */
  #evictionListeners: readonly MemoryStoreEvictionListener[] = [];

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
    const slot = this.#slots.get(key);
    if (slot === undefined) return null;
    this.#flags[slot]! |= REFERENCED;
    return this.#recordOf(slot);
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
    let slot = this.#slots.get(key);
    const matches =
      opts.expectedVersion === null
        ? slot === undefined
        : slot !== undefined && this.#numbers[slot * STRIDE + VERSION] === opts.expectedVersion;
    if (!matches) return false;

    // The port: "an expiresAt in the past deletes the record".
    if (opts.expiresAt <= now) {
      if (slot !== undefined) this.#remove(key, slot);
      return true;
    }
    let eviction: MemoryStoreEviction | null = null;
    if (slot === undefined) {
      const kind = kindOf(record.userId);
      // Never more than maxSessions are held, so one eviction makes room.
      if (this.#slots.size >= this.#maxSessions) eviction = this.#makeRoomFor(kind);
      slot = this.#allocate(key);
      // At the back of its queue (unreferenced), it comes up after every entry already held.
      this.#enqueue(slot, kind);
    } else {
      // In place: the entry keeps its slot (no reordering, no rehash); only a changed user moves.
      this.#flags[slot]! |= REFERENCED;
      const userId = this.#userIds[slot]!;
      if (userId !== record.userId) {
        const kind = kindOf(record.userId);
        if (kindOf(userId) !== kind) {
          // Signed in or out in place: to the back of the other queue (its `#userIds` entry,
          // read by `#dequeue`, still names the old kind here).
          this.#dequeue(slot);
          this.#enqueue(slot, kind);
        }
        this.#unindex(slot);
      }
    }
    const base = slot * STRIDE;
    const numbers = this.#numbers;
    numbers[base + VERSION] = record.version;
    numbers[base + CREATED_AT] = record.createdAt;
    numbers[base + LAST_SEEN_AT] = record.lastSeenAt;
    numbers[base + ROTATED_AT] = record.rotatedAt;
    numbers[base + AUTHENTICATED_AT] = record.authenticatedAt ?? Number.NaN;
    this.#dataJson[slot] = dataJson;
    this.#patches[slot] = null;
    this.#csrfSecrets[slot] = record.csrfSecret;
    if (record.zone === 'privileged') this.#flags[slot]! |= PRIVILEGED;
    else this.#flags[slot]! &= ~PRIVILEGED;
    if (this.#userIds[slot] !== record.userId) this.#index(slot, record.userId);
    this.#moveExpiry(slot, opts.expiresAt);
    // Told once the write is complete, so a listener that calls back into the store finds it whole.
    if (eviction !== null) this.#notifyEviction(eviction);
    return true;
  }

  async rotate(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions): Promise<boolean> {
    return this.rotateSync(oldKey, newKey, record, opts);
  }

  /**
   * `rotate` without a promise (see `SessionStore.rotateSync`): the check of the old record,
   * its removal and the new record's creation happen in one synchronous step, so no other
   * request of this process can come between them.
   */
  rotateSync(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions): boolean {
    assertRotationKeys(oldKey, newKey);
    assertStoredSession(record);
    assertStoreRotateOptions(opts);
    // Refused before anything changes: a record that cannot be stored must not cost the old one.
    serializeData(record);
    this.#reclaimExpired();
    const slot = this.#slots.get(oldKey);
    if (slot === undefined || this.#numbers[slot * STRIDE + VERSION] !== opts.expectedVersion) return false;
    if (this.#slots.has(newKey)) return false;
    this.#remove(oldKey, slot);
    return this.setSync(newKey, record, { expiresAt: opts.expiresAt, expectedVersion: null });
  }

  async update(key: string, changes: StoredSessionChanges, opts: StoreUpdateOptions): Promise<number | null> {
    return this.updateSync(key, changes, opts);
  }

  /**
   * `update` without a promise (see `SessionStore.update`): the record's fields move at once,
   * its data changes are kept as a patch that the next read folds in (see `MAX_PATCHES`).
   */
  updateSync(key: string, changes: StoredSessionChanges, opts: StoreUpdateOptions): number | null {
    assertStoreKey(key);
    assertStoredSessionChanges(changes);
    assertStoreUpdateOptions(opts);
    const hasData = changes.unset.length > 0 || hasAnyKey(changes.set);
    this.#reclaimExpired();
    const slot = this.#slots.get(key);
    // Checked, and copied or encoded, before anything moves (the caller keeps its objects): a
    // small record takes the changes at once, a larger one keeps them as a patch.
    const atOnce =
      hasData &&
      slot !== undefined &&
      this.#patches[slot] === null &&
      this.#dataJson[slot]!.length <= FOLD_AT_ONCE_BELOW;
    const set = atOnce ? copyJsonValues(changes.set) : null;
    const patch = hasData && !atOnce ? encodeSessionChanges(changes) : null;
    if (slot === undefined) return null;
    this.#flags[slot]! |= REFERENCED;
    const base = slot * STRIDE;
    const numbers = this.#numbers;
    const version = numbers[base + VERSION]! + 1;
    numbers[base + VERSION] = version;
    if (changes.lastSeenAt > numbers[base + LAST_SEEN_AT]!) numbers[base + LAST_SEEN_AT] = changes.lastSeenAt;
    if (changes.csrfSecret !== undefined) this.#csrfSecrets[slot] = changes.csrfSecret;
    if (set !== null) {
      // A small record: folding now costs less than keeping and decoding a patch.
      const data = JSON.parse(this.#dataJson[slot]!) as Record<string, unknown>;
      applyDataChanges(data, { set, unset: changes.unset });
      this.#dataJson[slot] = JSON.stringify(data);
    } else if (patch !== null) {
      const patches = this.#patches[slot];
      if (patches) patches.push(patch);
      else this.#patches[slot] = [patch];
    }
    if (opts.expiresAt > numbers[base + EXPIRES_AT]!) this.#moveExpiry(slot, opts.expiresAt);
    return version;
  }

  async destroy(key: string): Promise<void> {
    this.destroySync(key);
  }

  /** `destroy` without a promise (see `SessionStore.destroySync`). */
  destroySync(key: string): void {
    assertStoreKey(key);
    this.#reclaimExpired();
    const slot = this.#slots.get(key);
    if (slot !== undefined) this.#remove(key, slot);
  }

  async listByUser(userId: string): Promise<UserSessionEntry[]> {
    assertUserId(userId);
    this.#reclaimExpired();
    const first = this.#byUser.get(userId);
    if (first === undefined) return [];
    const sessions: UserSessionEntry[] = [];
    // The list only ever holds live slots of this user (kept in step by #remove and set).
    let slot = first;
    do {
      sessions.push({ key: this.#keys[slot]!, record: this.#recordOf(slot) });
      slot = this.#userNext[slot]!;
    } while (slot !== first);
    return sessions;
  }

  /**
   * Calls `listener` for each eviction (a session removed to make room for a new one; not an
   * expiry, a destroy or `close()`) with the evicted store key and user, synchronously, once
   * the write that made room is complete. A listener that throws is ignored. Returns the
   * function that unsubscribes it.
   */
  addEvictionListener(listener: MemoryStoreEvictionListener): () => void {
    if (typeof listener !== 'function') throw optionError('an eviction listener must be a function', 'listener');
    // A wrapper per subscription: the same function added twice is two subscriptions.
    const subscription: MemoryStoreEvictionListener = (eviction) => listener(eviction);
    this.#evictionListeners = [...this.#evictionListeners, subscription];
    return () => {
      this.#evictionListeners = this.#evictionListeners.filter((each) => each !== subscription);
    };
  }

  /** Forgets every session and gives the memory back. The store stays usable. */
  async close(): Promise<void> {
    this.#slots.clear();
    this.#byUser.clear();
    this.#expiries.clear(true);
    this.#free = NONE;
    this.#fronts.fill(NONE);
    this.#backs.fill(NONE);
    this.#indexedSessions = 0;
    this.#keys = [];
    this.#dataJson = [];
    this.#patches = [];
    this.#userIds = [];
    this.#csrfSecrets = [];
    this.#numbers = new Float64Array(0);
    this.#flags = new Uint8Array(0);
    this.#previous = new Int32Array(0);
    this.#next = new Int32Array(0);
    this.#userPrevious = new Int32Array(0);
    this.#userNext = new Int32Array(0);
  }

  /** Counts for metrics and tests; does not reclaim expired sessions by itself. */
  stats(): MemoryStoreStats {
    return { sessions: this.#slots.size, users: this.#byUser.size, indexedSessions: this.#indexedSessions };
  }

  /** A fresh copy of the slot's record (the data parsed anew: a deep copy). */
  #recordOf(slot: number): StoredSession {
    const numbers = this.#numbers;
    const base = slot * STRIDE;
    const authenticatedAt = numbers[base + AUTHENTICATED_AT]!;
    const record: StoredSession = {
      version: numbers[base + VERSION]!,
      data: JSON.parse(this.#dataJson[slot]!) as Record<string, unknown>,
      createdAt: numbers[base + CREATED_AT]!,
      lastSeenAt: numbers[base + LAST_SEEN_AT]!,
      rotatedAt: numbers[base + ROTATED_AT]!,
      userId: this.#userIds[slot]!,
      authenticatedAt: Number.isNaN(authenticatedAt) ? null : authenticatedAt,
      zone: (this.#flags[slot]! & PRIVILEGED) === 0 ? 'normal' : 'privileged',
      csrfSecret: this.#csrfSecrets[slot]!,
    };
    const patches = this.#patches[slot];
    if (patches) {
      // Written by `updateSync` from validated changes: they always decode.
      // Only their data: the record's other fields moved at once (see `updateSync`).
      for (const changes of decodeSessionChangesList(patches) ?? []) applyDataChanges(record.data, changes);
      if (patches.length >= MAX_PATCHES) {
        this.#dataJson[slot] = JSON.stringify(record.data);
        this.#patches[slot] = null;
      }
    }
    return record;
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
    const expiries = this.#expiries;
    while (expiries.peekTime() <= now) {
      const slot = expiries.peekSlot();
      const generation = expiries.peekGeneration();
      expiries.pop();
      // A freed slot's generation is 0 and a reused one has a newer generation: both stale.
      if (this.#numbers[slot * STRIDE + GENERATION] !== generation) continue;
      if (this.#numbers[slot * STRIDE + EXPIRES_AT]! <= now) this.#remove(this.#keys[slot]!, slot);
      // Its expiry moved later since this item was pushed: schedule it at the real time now.
      else this.#queue(slot);
    }
    return now;
  }

  /**
   * Sets the slot's expiry. Moving it later needs nothing on the heap (the slot's earlier item
   * will find it still alive and re-queue it); moving it earlier queues a new item.
   */
  #moveExpiry(slot: number, expiresAt: number): void {
    const base = slot * STRIDE;
    this.#numbers[base + EXPIRES_AT] = expiresAt;
    if (expiresAt < this.#numbers[base + QUEUED_AT]!) this.#queue(slot);
  }

  #queue(slot: number): void {
    const numbers = this.#numbers;
    const base = slot * STRIDE;
    const generation = ++this.#generation;
    numbers[base + GENERATION] = generation;
    numbers[base + QUEUED_AT] = numbers[base + EXPIRES_AT]!;
    this.#expiries.push(numbers[base + EXPIRES_AT]!, slot, generation);
    if (this.#expiries.size > 2 * this.#slots.size + STALE_EXPIRY_SLACK) {
      // Too many stale items: one item per live slot, at its real expiry.
      this.#expiries.clear();
      for (const liveSlot of this.#slots.values()) {
        const liveBase = liveSlot * STRIDE;
        numbers[liveBase + QUEUED_AT] = numbers[liveBase + EXPIRES_AT]!;
        this.#expiries.append(numbers[liveBase + EXPIRES_AT]!, liveSlot, numbers[liveBase + GENERATION]!);
      }
      this.#expiries.heapify();
    }
  }

  /** A slot for a new session under `key` (free or newly grown; the caller made room). */
  #allocate(key: string): number {
    if (this.#free === NONE) this.#grow();
    const slot = this.#free;
    this.#free = this.#next[slot]!;
    this.#slots.set(key, slot);
    this.#keys[slot] = key;
    const base = slot * STRIDE;
    this.#numbers[base + QUEUED_AT] = Number.POSITIVE_INFINITY;
    this.#flags[slot] = 0;
    return slot;
  }

  /** Doubles the columns (up to maxSessions slots) and puts the new slots on the free list. */
  #grow(): void {
    const old = this.#flags.length;
    const capacity = Math.min(this.#maxSessions, Math.max(INITIAL_CAPACITY, old * 2));
    this.#numbers = grown(this.#numbers, capacity * STRIDE);
    this.#flags = grown(this.#flags, capacity);
    this.#previous = grown(this.#previous, capacity);
    this.#next = grown(this.#next, capacity);
    this.#userPrevious = grown(this.#userPrevious, capacity);
    this.#userNext = grown(this.#userNext, capacity);
    for (let slot = old; slot < capacity; slot++) {
      // Pushed in order, so the plain arrays stay packed (no holes, no dictionary mode).
      this.#keys.push('');
      this.#dataJson.push('');
      this.#patches.push(null);
      this.#userIds.push(null);
      this.#csrfSecrets.push(null);
    }
    // Lowest slot first off the free list.
    for (let slot = capacity - 1; slot >= old; slot--) {
      this.#next[slot] = this.#free;
      this.#free = slot;
    }
  }

  /**
   * Evicts one session so that a new one of `kind` fits (the store is full, so never empty): an
   * anonymous one while any is held, else a signed-in one for a signed-in newcomer; an anonymous
   * newcomer is refused instead (see the class comment).
   */
  #makeRoomFor(kind: SessionKind): MemoryStoreEviction {
    if (this.#fronts[ANONYMOUS] !== NONE) return this.#evictOne(ANONYMOUS);
    if (kind === AUTHENTICATED) return this.#evictOne(AUTHENTICATED);
    throw capacityError();
  }

  /**
   * Second chance (CLOCK) within one queue (not empty): from its front, an entry used since the
   * sweep last passed it loses its mark and goes to the back; the first one without a mark is
   * evicted. One pass at most clears every mark. Returns what the listeners are to be told.
   */
  #evictOne(kind: SessionKind): MemoryStoreEviction {
    for (;;) {
      const slot = this.#fronts[kind]!;
      if ((this.#flags[slot]! & REFERENCED) === 0) {
        const eviction: MemoryStoreEviction = { key: this.#keys[slot]!, userId: this.#userIds[slot]! };
        this.#remove(eviction.key, slot);
        return eviction;
      }
      this.#flags[slot]! &= ~REFERENCED;
      this.#dequeue(slot);
      this.#enqueue(slot, kind);
    }
  }

  #notifyEviction(eviction: MemoryStoreEviction): void {
    for (const listener of this.#evictionListeners) {
      try {
        listener(eviction);
      } catch {
        // An observer must not break the write that made room, nor stop the other listeners.
      }
    }
  }

  /**
   * Deletes the record, its place in the sweep queue and its index entry (its expiry item goes
   * stale), drops its strings and frees the slot.
   */
  #remove(key: string, slot: number): void {
    this.#slots.delete(key);
    this.#dequeue(slot);
    this.#unindex(slot);
    this.#keys[slot] = '';
    this.#dataJson[slot] = '';
    this.#patches[slot] = null;
    this.#csrfSecrets[slot] = null;
    this.#numbers[slot * STRIDE + GENERATION] = 0;
    this.#next[slot] = this.#free;
    this.#free = slot;
  }

  /** Adds the slot at the back of the `kind` queue. */
  #enqueue(slot: number, kind: SessionKind): void {
    const back = this.#backs[kind]!;
    this.#previous[slot] = back;
    this.#next[slot] = NONE;
    if (back === NONE) this.#fronts[kind] = slot;
    else this.#next[back] = slot;
    this.#backs[kind] = slot;
  }

  /** Takes the slot out of the queue its `#userIds` entry names. */
  #dequeue(slot: number): void {
    const kind = kindOf(this.#userIds[slot]!);
    const previous = this.#previous[slot]!;
    const next = this.#next[slot]!;
    if (previous === NONE) this.#fronts[kind] = next;
    else this.#next[previous] = next;
    if (next === NONE) this.#backs[kind] = previous;
    else this.#previous[next] = previous;
  }

  /** Adds the slot at the end of `userId`'s list (a slot holds no user before this). */
  #index(slot: number, userId: string | null): void {
    this.#userIds[slot] = userId;
    if (userId === null) return;
    this.#indexedSessions++;
    const first = this.#byUser.get(userId);
    if (first === undefined) {
      this.#userPrevious[slot] = slot;
      this.#userNext[slot] = slot;
      this.#byUser.set(userId, slot);
      return;
    }
    const last = this.#userPrevious[first]!;
    this.#userNext[last] = slot;
    this.#userPrevious[slot] = last;
    this.#userNext[slot] = first;
    this.#userPrevious[first] = slot;
  }

  /** Takes the slot out of its user's list; the slot then holds no user. */
  #unindex(slot: number): void {
    const userId = this.#userIds[slot]!;
    if (userId === null) return;
    this.#userIds[slot] = null;
    this.#indexedSessions--;
    const next = this.#userNext[slot]!;
    if (next === slot) {
      this.#byUser.delete(userId);
      return;
    }
    const previous = this.#userPrevious[slot]!;
    this.#userNext[previous] = next;
    this.#userPrevious[next] = previous;
    if (this.#byUser.get(userId) === slot) this.#byUser.set(userId, next);
  }
}
