import { SpartanError } from '../errors/errors.js';
import type { SessionZone, StoredSession } from '../ports.js';

/**
 * A session record as a request works with it: its metadata (one list of fields), the data it
 * changed, and the JSON it stores. Pure functions; `SessionContext` does the I/O.
 */

/** What a write stored, handed to the next write of the same session in this process. */
export interface WrittenRecord {
  version: number;
  meta: MetaState;
  /** The data as JSON (parsed by the receiver: no object is shared between requests). */
  dataJson: string;
}

/** The metadata fields of a record a request can change: all of it but the version and the data. */
export type MetaState = Omit<StoredSession, 'version' | 'data'>;

/** The metadata fields, once: the list comparisons and diffs walk. */
const META_FIELDS = [
  'createdAt',
  'lastSeenAt',
  'rotatedAt',
  'userId',
  'authenticatedAt',
  'zone',
  'csrfSecret',
] as const satisfies ReadonlyArray<keyof MetaState>;

/** Random wait after the `attempt`-th lost compare-and-set: up to 1, 2, 4 … 16 ms. */
export function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(16, 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/** The metadata of a session that starts now: no user, no CSRF secret. */
export function freshMeta(now: number, zone: SessionZone): MetaState {
  return {
    createdAt: now,
    lastSeenAt: now,
    rotatedAt: now,
    userId: null,
    authenticatedAt: null,
    zone,
    csrfSecret: null,
  };
}

/**
 * The session's data as JSON. Data that JSON cannot hold (a BigInt, a circular reference, a
 * throwing `toJSON`) is the application's mistake: a `SpartanError` with a safe message, never
 * the raw `TypeError`, whose message names the data's properties.
 */
export function serializeSessionData(data: Record<string, unknown>): string {
  try {
    return JSON.stringify(data);
  } catch {
    throw new SpartanError(
      'sessions/option-type-incorrect',
      'Session data must be JSON-serializable (no BigInt, no circular references)',
      { option: 'session data', reason: 'not-serializable' },
    );
  }
}

/** The `userId` field of an event about a session of `meta`, when it has a user. */
export function userOf(meta: MetaState): { userId?: string } {
  return meta.userId === null ? {} : { userId: meta.userId };
}

/**
 * A record's metadata (everything but its version and data). Written out field by field, as
 * `recordOf` is, rather than with object rest and spread: both run on every request, and a
 * literal keeps one hidden class and no runtime copy (docs/performance.md).
 */
export function metaOf(record: StoredSession): MetaState {
  return {
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    rotatedAt: record.rotatedAt,
    userId: record.userId,
    authenticatedAt: record.authenticatedAt,
    zone: record.zone,
    csrfSecret: record.csrfSecret,
  };
}

/** The record of `meta` and `data` at `version`. */
export function recordOf(data: Record<string, unknown>, meta: MetaState, version: number): StoredSession {
  return {
    version,
    data,
    createdAt: meta.createdAt,
    lastSeenAt: meta.lastSeenAt,
    rotatedAt: meta.rotatedAt,
    userId: meta.userId,
    authenticatedAt: meta.authenticatedAt,
    zone: meta.zone,
    csrfSecret: meta.csrfSecret,
  };
}

export function sameMeta(a: MetaState, b: MetaState): boolean {
  // lastSeenAt changes only through a touch, which has its own trigger.
  return META_FIELDS.every((field) => field === 'lastSeenAt' || a[field] === b[field]);
}

export function diffMeta(before: MetaState, after: MetaState): Partial<MetaState> {
  const changes: Partial<MetaState> = {};
  for (const field of META_FIELDS) {
    if (field !== 'lastSeenAt' && before[field] !== after[field]) {
      (changes as Record<string, unknown>)[field] = after[field];
    }
  }
  return changes;
}

export function snapshotKeys(data: Record<string, unknown>): Map<string, string> {
  const map = new Map<string, string>();
  for (const key of Object.keys(data)) map.set(key, JSON.stringify(data[key]) ?? 'undefined');
  return map;
}

export interface DataChanges {
  set: Map<string, unknown>;
  deleted: Set<string>;
}

export function diffData(snapshot: Map<string, string>, data: Record<string, unknown>): DataChanges {
  const changes: DataChanges = { set: new Map(), deleted: new Set() };
  for (const key of Object.keys(data)) {
    if (snapshot.get(key) !== (JSON.stringify(data[key]) ?? 'undefined')) changes.set.set(key, data[key]);
  }
  for (const key of snapshot.keys()) if (!(key in data)) changes.deleted.add(key);
  return changes;
}

export function applyChanges(base: Record<string, unknown>, changes: DataChanges): Record<string, unknown> {
  const next: Record<string, unknown> = { ...base };
  for (const [key, value] of changes.set) next[key] = value;
  for (const key of changes.deleted) delete next[key];
  return next;
}
