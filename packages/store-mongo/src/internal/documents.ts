import type { SessionZone, StoredSession } from '@spartan-sessions/core';
import { validateStoredSession } from '@spartan-sessions/core/store';

/**
 * How a session is laid out in its MongoDB document, and every filter and update the store sends,
 * as pure functions (test/semantics.test.ts runs them through mingo, an implementation of
 * MongoDB's query and update language).
 *
 * A session document:
 * - `_id`: core's key (a hash of the session id; the store never sees a raw id);
 * - `version`: the compare-and-set token;
 * - `data`: the session data as one JSON string. Session data may hold keys MongoDB refuses or
 *   misreads as field names (`$where`, `a.b`, `__proto__`); inside a string nothing is a field
 *   name, and JSON keeps every JavaScript number and string exactly (a lone surrogate too, which
 *   BSON would replace);
 * - `createdAt`, `lastSeenAt`, `rotatedAt`, `authenticatedAt`: ms since the epoch, BSON doubles
 *   (exact for any finite number); `zone`, `csrfSecret`;
 * - `userId`: present only for a signed-in session, so the sparse `userId` index holds no
 *   anonymous sessions;
 * - `expiresAt`: a BSON Date (whole ms, rounded down: a session never outlives its end), read by
 *   the TTL index and compared by the store with its own clock on every read.
 *
 * Two other kinds of document, left by a rotation (see `MongoStore.rotate`):
 * - a **moved** record: the old record with `movedTo` = the new key, while and after its session
 *   moves on. It reads as absent and no write matches it; a `destroy` of it follows `movedTo`;
 * - a **tombstone**: `{ _id, tombstone: true, expiresAt }` under a new key whose rotation's old
 *   record was destroyed first: it reads as absent and makes the rotation's create fail.
 */
export interface SessionDocument {
  _id: string;
  expiresAt: Date;
  version?: number;
  data?: string;
  createdAt?: number;
  lastSeenAt?: number;
  rotatedAt?: number;
  userId?: string;
  authenticatedAt?: number | null;
  zone?: SessionZone;
  csrfSecret?: string | null;
  movedTo?: string;
  tombstone?: true;
}

/** What the store writes for a record: a full document without `_id` (a replacement). */
export type SessionReplacement = Omit<SessionDocument, '_id'>;

/** A filter the store sends (MongoDB query language over `SessionDocument`). */
export type SessionFilter = Record<string, unknown>;

/** Thrown by `toReplacement` when `record.data` cannot be written as JSON (a BigInt, a cycle). */
export class UnserializableData extends Error {
  override readonly name = 'UnserializableData';
}

/** The document body for `record`, expiring at `expiresAt` (ms; rounded down to a whole ms). */
export function toReplacement(record: StoredSession, expiresAt: number): SessionReplacement {
  let data: string;
  try {
    data = JSON.stringify(record.data);
  } catch {
    throw new UnserializableData('record.data must be JSON-serializable');
  }
  const replacement: SessionReplacement = {
    version: record.version,
    data,
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    rotatedAt: record.rotatedAt,
    authenticatedAt: record.authenticatedAt,
    zone: record.zone,
    csrfSecret: record.csrfSecret,
    expiresAt: new Date(Math.floor(expiresAt)),
  };
  if (record.userId !== null) replacement.userId = record.userId;
  return replacement;
}

/**
 * The record a document holds, or `undefined` when it holds none: a moved record, a tombstone,
 * or a document that is not a session (corrupt, foreign) — all read as absent.
 */
export function fromDocument(document: unknown): StoredSession | undefined {
  if (typeof document !== 'object' || document === null) return undefined;
  const stored = document as Partial<SessionDocument>;
  if (stored.movedTo !== undefined || stored.tombstone !== undefined || typeof stored.data !== 'string') {
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(stored.data);
  } catch {
    return undefined;
  }
  const record = {
    version: stored.version,
    data,
    createdAt: stored.createdAt,
    lastSeenAt: stored.lastSeenAt,
    rotatedAt: stored.rotatedAt,
    userId: stored.userId ?? null,
    authenticatedAt: stored.authenticatedAt ?? null,
    zone: stored.zone,
    csrfSecret: stored.csrfSecret ?? null,
  };
  return validateStoredSession(record) ? record : undefined;
}

/** Whether `document`'s expiry has passed at `now` (ms, the store's clock). */
export function isExpired(document: Pick<SessionDocument, 'expiresAt'>, now: number): boolean {
  return !(document.expiresAt instanceof Date) || document.expiresAt.getTime() <= now;
}

/** The store's clock as the BSON Date its filters compare `expiresAt` with. */
export function dateOf(now: number): Date {
  return new Date(Math.floor(now));
}

/**
 * Create-only: matches a document under `key` only when it has expired by the store's clock (the
 * TTL monitor has not removed it yet). Sent as a replace with `upsert`: an absent key is
 * inserted, an expired document replaced, and a live one (a record, a moved record, a tombstone)
 * makes the upsert's insert fail with duplicate key E11000 — "exists", `false`.
 */
export function createFilter(key: string, now: number): SessionFilter {
  return { _id: key, expiresAt: { $lte: dateOf(now) } };
}

/** Compare-and-set: the live record under `key` at `version` (not a moved record, not a tombstone). */
export function versionFilter(key: string, version: number, now: number): SessionFilter {
  return { _id: key, version, expiresAt: { $gt: dateOf(now) }, movedTo: { $exists: false } };
}

/** Anything live under `key` (a record, a moved record, a tombstone). */
export function liveFilter(key: string, now: number): SessionFilter {
  return { _id: key, expiresAt: { $gt: dateOf(now) } };
}

/** One incarnation of a document: what `get` deletes when it finds it expired. */
export function incarnationFilter(document: Pick<SessionDocument, '_id' | 'expiresAt'>): SessionFilter {
  return { _id: document._id, expiresAt: document.expiresAt };
}

/** Rotation, step 1 (begin): marks the old record as moving to `newKey`. Use with `versionFilter`. */
export function beginRotationUpdate(newKey: string): { $set: { movedTo: string } } {
  return { $set: { movedTo: newKey } };
}

/** Rotation, undo of step 1 when the create failed: the old record under `oldKey`, still marked for `newKey`. */
export function movedFilter(oldKey: string, newKey: string): SessionFilter {
  return { _id: oldKey, movedTo: newKey };
}

/** Rotation, undo of step 1: the record is no longer moving. Use with `movedFilter`. */
export function restoreUpdate(): { $unset: { movedTo: '' } } {
  return { $unset: { movedTo: '' } };
}

/** A tombstone under a new key, for `tombstoneMs` from `now`. */
export function tombstoneReplacement(now: number, tombstoneMs: number): SessionReplacement {
  return { tombstone: true, expiresAt: dateOf(now + tombstoneMs) };
}

/** The documents of `userId` that have not expired (records and moved records). */
export function userFilter(userId: string, now: number): SessionFilter {
  return { userId, expiresAt: { $gt: dateOf(now) } };
}

/** The documents under any of `keys` (what moved records of a listing lead to). */
export function keysFilter(keys: readonly string[]): SessionFilter {
  return { _id: { $in: [...keys] } };
}

/** The indexes the store creates (unless told not to): see the README. */
export const INDEXES = [
  // The TTL monitor removes a document once `expiresAt` has passed (about once a minute).
  { key: { expiresAt: 1 }, name: 'spartan_expiresAt_ttl', expireAfterSeconds: 0 },
  // `listByUser`; sparse: anonymous sessions have no `userId` and take no room in it.
  { key: { userId: 1 }, name: 'spartan_userId', sparse: true },
] as const;
