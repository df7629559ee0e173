/**
 * Persisting a request's session: a new record, a rotation (one atomic store step with the old
 * record), or a compare-and-set update that re-applies this request's own changes on a
 * conflict. Every write leaves `SessionState` describing what the store now holds.
 */
import { SpartanError } from '../errors/errors.js';
import type { StoredSession, StoredSessionChanges } from '../ports.js';
import { keyHashOf, type SessionIdentity } from './ids.js';
import { isPromiseLike, type Steps, settle } from './maybe.js';
import {
  advanceSnapshot,
  applyChanges,
  backoff,
  type DataChanges,
  diffData,
  diffMeta,
  type MetaState,
  metaOf,
  recordOf,
  sameMeta,
  snapshotOf,
  userOf,
  type WrittenRecord,
  weighsAtLeast,
} from './record.js';
import { cookieDataEntry, RESERVED_SESSION_KEYS, readData, replaceData } from './session.js';
import {
  dropStored,
  endOf,
  holdsAnything,
  resign,
  type SessionState,
  setCookie,
  writeCookieHeaders,
  wrote,
} from './state.js';

/** Stores what changed and writes the cookie headers the response must carry. */
export function* persist(state: SessionState): Steps<void> {
  const m = state.manager;
  const now = m.clock.now();
  // The keys this request changed (null: none): the session walked once, never serialized or
  // copied whole. Only a whole write (new record, rotation, compare-and-set) copies its data.
  const changes = diffData(state.snapshot, state.session, RESERVED_SESSION_KEYS, cookieDataEntry(state.session));
  const metaChanged = !sameMeta(state.meta, state.storedMeta);

  const holds = holdsAnything(state, changes);
  if (holds && (state.pendingId !== null || state.stored === null)) {
    // A rotation, or a lazy session that now holds something (after destroy() too).
    state.pendingId ??= m.codec.generateId();
    yield* writeNew(state, readData(state.session), changes, now);
  } else if (state.pendingId !== null && state.stored !== null) {
    // Rotated into an empty session (logout's regenerate): drop the old one, store nothing.
    yield* discardStored(state, 'regenerate');
  } else if (state.stored !== null && (changes !== null || metaChanged || state.touchDue)) {
    yield* writeUpdate(state, changes, now);
    // The write moved the session's end: a cookie whose end lags by a touch interval or more
    // is issued again, so a forgotten record past its cookie's end reads as expired.
    const stored = state.stored as SessionIdentity | null;
    if (stored !== null) {
      const end = endOf(m, state.meta);
      const moved = end.at - stored.end.at >= Math.max(m.timing.touchAfter, 1000);
      // Once the absolute end comes before the idle deadline the end stops moving: say so once.
      if (moved || end.reason !== stored.end.reason) state.resignCookie = true;
    }
  }
  if (state.stored === null) {
    // A lazy session that ends empty: nothing stored, and its provisional id is dropped.
    state.pendingId = null;
    state.rotation = null;
  } else if (state.resignCookie) {
    yield* resign(state, state.stored);
  }
  writeCookieHeaders(state);
}

/** Deletes the stored record (if any) and leaves an empty lazy session whose cookie is cleared. */
export function* discardStored(state: SessionState, reason: string): Steps<void> {
  const { stored } = state;
  const userId = state.storedMeta.userId;
  if (stored !== null) {
    yield* settle(state.manager.records.destroy(stored.key));
    state.manager.emit({
      type: 'destroyed',
      at: state.manager.clock.now(),
      keyHash: keyHashOf(stored.key),
      ...(userId !== null && { userId }),
      reason,
    });
  }
  dropStored(state);
}

/**
 * Stores the session under a new id: a new session's first write, or a rotation. A rotation
 * is one store operation with the old record (`SessionStore.rotate`): the new record comes to
 * exist only if the old one is still there, and the old one goes in the same step. If the old
 * record is gone (destroyed, revoked, expired, or rotated by a parallel request), this request
 * ends without a session and clears the cookie: a revoked session is never brought back.
 * The cookie is set only once the record is stored and `maxSessions` enforced.
 */
function* writeNew(
  state: SessionState,
  data: Record<string, unknown>,
  changes: DataChanges | null,
  now: number,
): Steps<void> {
  const m = state.manager;
  const previous = state.stored;
  const reason = state.rotation ?? 'rotate';
  const identity = yield* settle(
    m.codec.identifyNow(state.pendingId!, endOf(m, { ...state.meta, lastSeenAt: now, rotatedAt: now })),
  );
  if (previous === null) {
    const meta: MetaState = { ...state.meta, lastSeenAt: now, rotatedAt: now };
    const record = recordOf(data, meta, 1);
    const written = yield* settle(
      m.records.set(identity.key, record, { expiresAt: m.expiresAt(record), expectedVersion: null }),
    );
    if (!written) {
      // 256 random bits collided with a live session: never adopt it.
      throw new SpartanError('sessions/store-unavailable', undefined, { operation: 'set', reason: 'id-collision' });
    }
    state.stored = identity;
    wrote(state, 1, meta, advanceSnapshot(state.snapshot, changes));
    m.emit({ type: 'created', at: now, keyHash: keyHashOf(identity.key), ...userOf(meta) });
  } else {
    const written = yield* compareAndSet(state, data, changes, now, null, identity);
    // The old record was gone: compareAndSet dropped the session (the cookie is cleared).
    if (written === null || written === LOST) return;
    m.codec.forget(previous.cookieValue);
    m.emit({ type: 'rotated', at: now, keyHash: keyHashOf(identity.key), ...userOf(state.meta), reason });
  }
  state.pendingId = null;
  state.rotation = null;
  state.resignCookie = false;
  const userId = state.meta.userId;
  if (reason === 'authenticate' && userId !== null) {
    try {
      yield* settle(m.enforceMaxSessions(userId, identity.key));
    } catch (error) {
      yield* abandonNew(state, identity);
      throw error;
    }
  }
  setCookie(state, identity, state.meta);
}

/**
 * `maxSessions` could not be enforced (the store failed): the new record must not outlive the
 * failed request as a session over the limit, and the response must promise nothing. Removed
 * as far as the failing store allows (a record left behind has no cookie anywhere and expires
 * by itself); the response then carries only a clearing cookie.
 */
function* abandonNew(state: SessionState, identity: SessionIdentity): Steps<void> {
  try {
    yield* settle(state.manager.records.destroy(identity.key));
  } catch {
    // The store is failing: the original error is the one to report.
  }
  state.manager.emit({
    type: 'destroyed',
    at: state.manager.clock.now(),
    keyHash: keyHashOf(identity.key),
    ...userOf(state.meta),
    reason: 'max-sessions-unenforced',
  });
  dropStored(state);
  writeCookieHeaders(state);
}

/**
 * Writes the existing record. With a store that has `update` (a server-side delta save), the
 * request sends only the keys it set and deleted, which the store applies whatever the
 * record's version: requests of one session never conflict, and nothing re-reads or
 * re-encodes the whole record (see `saveChanges`). Changes a delta cannot carry (a user, a zone,
 * a removed CSRF secret: these come with rotations, which are whole writes anyway), a small
 * session (`DELTA_FROM_BYTES`) and stores without `update` write by compare-and-set.
 *
 * Compare-and-set: requests of one session in this process write one after the other: each
 * waits for the write ahead of it and rebases its own changes onto the record that write
 * stored, so a page's parallel requests cost one round trip each instead of racing (and backing
 * off) on every conflict. Only the record this process just wrote is handed on, never kept: the
 * store stays the only source of sessions. On a synchronous store no write is ever in flight,
 * so there is nothing to wait for.
 */
function* writeUpdate(state: SessionState, changes: DataChanges | null, now: number): Steps<void> {
  const m = state.manager;
  const key = state.stored!.key;
  if (m.records.update !== null && deltaCarries(state)) {
    // A large session, or one another request of this process is writing: a delta.
    if (m.writesInFlight.has(key) || weighsAtLeast(state.snapshot, DELTA_FROM_BYTES)) {
      yield* saveChanges(state, changes, now);
      return;
    }
    // A small one: whole (on a synchronous store, by the compare-and-set below).
    if (!m.records.synchronous) {
      yield* writeSmall(state, changes, now);
      return;
    }
  }
  const data = readData(state.session);
  if (m.records.synchronous) {
    yield* compareAndSet(state, data, changes, now, null, null);
    return;
  }
  const ahead = m.writesInFlight.get(key);
  let handOn!: (written: WrittenRecord | null) => void;
  const mine = new Promise<WrittenRecord | null>((resolve) => {
    handOn = resolve;
  });
  m.writesInFlight.set(key, mine);
  let written: StoredSession | null = null;
  try {
    const latest = ahead === undefined ? null : yield* settle(ahead);
    const result = yield* compareAndSet(state, data, changes, now, latest, null);
    written = result === LOST ? null : result;
  } finally {
    if (m.writesInFlight.get(key) === mine) {
      m.writesInFlight.delete(key);
      handOn(null);
    } else {
      // A request queued behind this one: it rebases onto a copy (JSON: no object is shared).
      handOn(written && { version: written.version, meta: metaOf(written), dataJson: JSON.stringify(written.data) });
    }
  }
}

/**
 * From about how many bytes of data a session is written by delta (with a store that has
 * `update`). A smaller record is written whole: that costs the store no more than a delta, and
 * a store that keeps deltas as a log after the record (Redis) would make every read of a small
 * session decode and fold patches instead of one small record.
 */
const DELTA_FROM_BYTES = 1024;

/**
 * A small session on a store with `update` that does I/O: written whole by one compare-and-set,
 * so the store keeps one small record (no log of deltas to decode on every read). Should it lose
 * (another request wrote first) or should another request of this process start writing
 * meanwhile (it sees this write in flight and sends a delta), it costs no re-read: the changes
 * go as a delta.
 */
function* writeSmall(state: SessionState, changes: DataChanges | null, now: number): Steps<void> {
  const m = state.manager;
  const key = state.stored!.key;
  const marker: Promise<WrittenRecord | null> = Promise.resolve(null);
  m.writesInFlight.set(key, marker);
  try {
    const written = yield* compareAndSet(state, readData(state.session), changes, now, null, null, true);
    if (written === LOST) yield* saveChanges(state, changes, now);
  } finally {
    if (m.writesInFlight.get(key) === marker) m.writesInFlight.delete(key);
  }
}

/** Whether the request's metadata changes fit a delta: none but `lastSeenAt` and a new CSRF secret. */
function deltaCarries(state: SessionState): boolean {
  if (sameMeta(state.meta, state.storedMeta)) return true;
  const changed = diffMeta(state.storedMeta, state.meta);
  for (const field in changed) if (field !== 'csrfSecret') return false;
  return state.meta.csrfSecret !== null;
}

/**
 * The delta save (`SessionStore.update`): this request's own keys set and deleted, its time,
 * and a CSRF secret it issued. Two requests writing the same key: the one the store applies
 * last wins, as with compare-and-set, whose rebase re-applies each request's own keys.
 */
function* saveChanges(state: SessionState, changes: DataChanges | null, now: number): Steps<void> {
  const m = state.manager;
  const identity = state.stored!;
  const meta: MetaState = { ...state.meta, lastSeenAt: now };
  const delta: { -readonly [K in keyof StoredSessionChanges]: StoredSessionChanges[K] } = {
    set: changes === null ? {} : changes.set,
    unset: changes === null ? [] : changes.unset,
    lastSeenAt: now,
  };
  if (meta.csrfSecret !== null && meta.csrfSecret !== state.storedMeta.csrfSecret) delta.csrfSecret = meta.csrfSecret;
  const updating = m.records.update!(identity.key, delta, { expiresAt: m.expiresAt(meta) });
  const version = isPromiseLike(updating) ? ((yield updating) as number | null) : updating;
  if (version === null) {
    // Destroyed, revoked, rotated or expired meanwhile: never resurrect it.
    dropStored(state);
    return;
  }
  wrote(state, version, meta, advanceSnapshot(state.snapshot, changes));
}

/** A compare-and-set told to report a lost race (`reportLoss`) instead of retrying it. */
const LOST: unique symbol = Symbol('lost');

/**
 * `meta` as a write at `now` stores it: `lastSeenAt` moved to `now`, and `rotatedAt` too for a
 * rotation.
 */
function stamped(meta: MetaState, now: number, rotation: boolean): MetaState {
  return rotation ? { ...meta, lastSeenAt: now, rotatedAt: now } : { ...meta, lastSeenAt: now };
}

/**
 * Compare-and-set of the existing record, starting from `latest` when it is newer than what
 * this request loaded. On a conflict (another request of this session wrote first), re-reads
 * it and re-applies only this request's own changes, so concurrent requests changing
 * different keys never lose each other's writes. Resolves the record it wrote (`null` when the
 * session was gone).
 *
 * No closures and no copies on the way of a write that wins at once: it runs on every
 * returning visitor's request that changes something.
 */
function* compareAndSet(
  state: SessionState,
  data: Record<string, unknown>,
  changes: DataChanges | null,
  now: number,
  latest: WrittenRecord | null,
  rotateTo: SessionIdentity | null,
  reportLoss = false,
): Steps<StoredSession | null | typeof LOST> {
  const m = state.manager;
  const identity = state.stored!;
  // A rotation stamps the new record.
  const rotation = rotateTo !== null;
  let baseData = data;
  let baseMeta = stamped(state.meta, now, rotation);
  let expectedVersion = state.version;
  if (latest !== null && latest.version > expectedVersion) {
    expectedVersion = latest.version;
    const base = rebased(
      state,
      changes,
      JSON.parse(latest.dataJson) as Record<string, unknown>,
      latest.meta,
      now,
      rotation,
    );
    if (base !== null) [baseData, baseMeta] = base;
  }
  for (let attempt = 1; attempt <= m.maxWriteAttempts; attempt++) {
    // A rotated record starts its own version count under its new key.
    const record = recordOf(baseData, baseMeta, rotation ? 1 : expectedVersion + 1);
    const options = { expiresAt: m.expiresAt(record), expectedVersion };
    const writing = rotation
      ? m.records.rotate(identity.key, rotateTo.key, record, options)
      : m.records.set(identity.key, record, options);
    const written = isPromiseLike(writing) ? ((yield writing) as boolean) : writing;
    if (written) {
      if (rotation) state.stored = rotateTo;
      if (baseData === data) {
        wrote(state, record.version, baseMeta, advanceSnapshot(state.snapshot, changes));
      } else {
        // Rebased: the session now holds what the store does, other requests' keys too.
        replaceData(state.session, baseData);
        wrote(state, record.version, baseMeta, snapshotOf(baseData));
      }
      return record;
    }
    if (reportLoss) return LOST;
    // Lost the race: back off a random moment before re-reading, so a crowd of requests on
    // one session (every connection of a page load, or several processes) spreads out
    // instead of colliding again on every round. On a synchronous (in-process) store the
    // re-read and the next write happen in this same tick, so nothing can come between them:
    // the retry wins at once, and waiting would only hold the response back.
    if (!m.records.synchronous) yield* settle(backoff(attempt));
    const current = yield* settle(m.records.get(identity.key));
    if (!current) {
      // Destroyed, revoked or rotated by another request meanwhile: never resurrect it.
      dropStored(state);
      return null;
    }
    if (rotation && current.version === expectedVersion) {
      // The old record is as it was, so the new key was taken: 256 random bits collided with a
      // live session. Never adopted, never retried under the same id.
      throw new SpartanError('sessions/store-unavailable', undefined, {
        operation: 'rotate',
        reason: 'id-collision',
      });
    }
    expectedVersion = current.version;
    const base = rebased(state, changes, current.data, metaOf(current), now, rotation);
    if (base !== null) [baseData, baseMeta] = base;
  }
  throw new SpartanError('sessions/store-unavailable', undefined, { operation: 'set', reason: 'write-contention' });
}

/**
 * What a compare-and-set that lost writes next: the latest stored data and metadata with this
 * request's own changes re-applied, or `null` to keep its own (`regenerate()` starts a new
 * session, so it merges nothing of what other requests wrote to the old one; only the expected
 * version moves on).
 */
function rebased(
  state: SessionState,
  changes: DataChanges | null,
  latestData: Record<string, unknown>,
  latestMeta: MetaState,
  now: number,
  rotation: boolean,
): [Record<string, unknown>, MetaState] | null {
  if (state.rotation === 'regenerate') return null;
  const metaChanges = diffMeta(state.storedMeta, state.meta);
  return [
    changes === null ? latestData : applyChanges(latestData, changes),
    stamped({ ...latestMeta, ...metaChanges }, now, rotation),
  ];
}
