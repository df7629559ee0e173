import { SpartanError } from '../errors/errors.js';
import type { SessionZone, StoredSession } from '../ports.js';
import { applyDataChanges, setDataKey } from '../store/changes.js';

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
  if (a === b) return true;
  // lastSeenAt changes only through a touch, which has its own trigger. A loop, not `every`:
  // this runs on every request, and a callback is one more closure each time.
  for (const field of META_FIELDS) if (field !== 'lastSeenAt' && a[field] !== b[field]) return false;
  return true;
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

/**
 * An object or array value of the data as it was loaded or last written: its JSON, because
 * handlers change such values in place (Passport does), so only a copy can tell "before".
 */
class Frozen {
  constructor(readonly json: string) {}
}

/**
 * The data as last read from or written to the store, key by key: a primitive as it is, an
 * object or array as its JSON. Comparing a request's data to it costs one `JSON.stringify` per
 * object-valued key and none per primitive, and yields the keys the request changed (what
 * `SessionStore.update` sends) without a whole-session serialization.
 */
export type DataSnapshot = Map<string, unknown>;

/**
 * Data that JSON cannot hold (a BigInt, a circular reference, a throwing `toJSON`) is the
 * application's mistake: a `SpartanError` with a safe message, never the raw `TypeError`, whose
 * message names the data's properties.
 */
function notSerializable(): SpartanError {
  return new SpartanError(
    'sessions/option-type-incorrect',
    'Session data must be JSON-serializable (no BigInt, no circular references)',
    { option: 'session data', reason: 'not-serializable' },
  );
}

/**
 * What JSON keeps of one value: `undefined` for what it drops (`undefined`, functions, symbols,
 * a `toJSON` that returns nothing), a `Frozen` JSON for an object, the primitive itself else.
 */
function frozenOf(value: unknown): unknown {
  switch (typeof value) {
    case 'object': {
      if (value === null) return null;
      let json: string | undefined;
      try {
        json = JSON.stringify(value);
      } catch {
        throw notSerializable();
      }
      return json === undefined ? undefined : new Frozen(json);
    }
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      throw notSerializable();
    default:
      return value;
  }
}

/** The snapshot of `data` (see `DataSnapshot`). */
export function snapshotOf(data: Record<string, unknown>): DataSnapshot {
  const snapshot: DataSnapshot = new Map();
  for (const key of Object.keys(data)) {
    const frozen = frozenOf(data[key]);
    if (frozen !== undefined) snapshot.set(key, frozen);
  }
  return snapshot;
}

function same(before: unknown, after: unknown): boolean {
  if (after instanceof Frozen) return before instanceof Frozen && before.json === after.json;
  // NaN is stored as null: a NaN set again is a change, harmlessly.
  return before === after;
}

/** The keys a request set (with their values) and deleted, against its snapshot. */
export interface DataChanges {
  /** A key named `__proto__` is an own property here, as `JSON.parse` makes it. */
  readonly set: Record<string, unknown>;
  readonly unset: string[];
  /**
   * The snapshot entries of the keys set, to advance the snapshot once they are stored: key,
   * entry, key, entry… (a flat array: a `Map` per request cost more than the pairs it holds).
   */
  readonly frozen: unknown[];
}

/**
 * One walk of `diffData`: what it has found so far. An object of its own rather than variables
 * captured by a callback, which would cost a closure and its context on every request.
 */
class DataDiff {
  changes: DataChanges | null = null;
  /** Keys of the snapshot met in the data. */
  seen = 0;
  /** Keys the data holds with a value JSON drops (undefined, a function): absent, like unheld keys. */
  dropped: Set<string> | null = null;

  constructor(readonly snapshot: DataSnapshot) {}

  compare(key: string, value: unknown): void {
    const frozen = frozenOf(value);
    if (frozen === undefined) {
      this.dropped ??= new Set();
      this.dropped.add(key);
      return;
    }
    const had = this.snapshot.has(key);
    if (had) this.seen++;
    if (had && same(this.snapshot.get(key), frozen)) return;
    const changes = this.open();
    setDataKey(changes.set, key, value);
    changes.frozen.push(key, frozen);
  }

  open(): DataChanges {
    this.changes ??= { set: {}, unset: [], frozen: [] };
    return this.changes;
  }
}

/**
 * What the data changed against `snapshot`, or `null` when nothing did. The data is the own
 * enumerable properties of `source` except `skip`, plus `extra` when given (a key `source`
 * cannot hold): the session object itself is walked, never copied. Throws
 * `sessions/option-type-incorrect` (never the raw `TypeError`, whose message names the data's
 * properties) when a value cannot be JSON.
 */
export function diffData(
  snapshot: DataSnapshot,
  source: Readonly<Record<string, unknown>>,
  skip: ReadonlySet<string> = NO_KEYS,
  extra: readonly [string, unknown] | null = null,
): DataChanges | null {
  const diff = new DataDiff(snapshot);
  for (const key of Object.keys(source)) if (!skip.has(key)) diff.compare(key, source[key]);
  if (extra !== null) diff.compare(extra[0], extra[1]);
  if (diff.seen < snapshot.size) {
    // Compared above (and not dropped): every other key of the snapshot was deleted.
    for (const key of snapshot.keys()) {
      const compared = (extra !== null && key === extra[0]) || (Object.hasOwn(source, key) && !skip.has(key));
      if (compared && !diff.dropped?.has(key)) continue;
      diff.open().unset.push(key);
    }
  }
  return diff.changes;
}

const NO_KEYS: ReadonlySet<string> = new Set();

/**
 * Whether the data `snapshot` pictures reaches about `bytes` of JSON (an estimate: keys, object
 * JSON and string lengths, 8 per other primitive), counted only until it does.
 */
export function weighsAtLeast(snapshot: DataSnapshot, bytes: number): boolean {
  let total = 0;
  for (const [key, value] of snapshot) {
    total +=
      key.length + (value instanceof Frozen ? value.json.length : typeof value === 'string' ? value.length + 2 : 8);
    if (total >= bytes) return true;
  }
  return false;
}

/**
 * Whether the data after `changes` holds a key other than `ignored` (`holdsAnything`'s question),
 * answered from the snapshot and the changes without walking the data.
 */
export function holdsKeys(snapshot: DataSnapshot, changes: DataChanges | null, ignored: string): boolean {
  if (changes !== null) for (const key in changes.set) if (key !== ignored) return true;
  const unset = changes === null || changes.unset.length === 0 ? null : new Set(changes.unset);
  for (const key of snapshot.keys()) if (key !== ignored && !unset?.has(key)) return true;
  return false;
}

/** The snapshot after `changes` were stored (changed in place). */
export function advanceSnapshot(snapshot: DataSnapshot, changes: DataChanges | null): DataSnapshot {
  if (changes === null) return snapshot;
  const { frozen } = changes;
  for (let i = 0; i < frozen.length; i += 2) snapshot.set(frozen[i] as string, frozen[i + 1]);
  for (const key of changes.unset) snapshot.delete(key);
  return snapshot;
}

/** `base` with `changes` applied (a new object; `base` is left as it is). */
export function applyChanges(base: Record<string, unknown>, changes: DataChanges): Record<string, unknown> {
  const next: Record<string, unknown> = { ...base };
  applyDataChanges(next, changes);
  return next;
}
