import { SpartanError } from '../errors/errors.js';
import type { StoredSession, StoredSessionChanges, StoreUpdateOptions } from '../ports.js';

/**
 * What every store with `SessionStore.update` shares: the checks of its arguments, one compact
 * encoding of a request's changes (a *patch*) for stores that keep them as a log after the
 * record until they fold them in, and the one way a patch is applied to a record.
 */

function invalidArgument(argument: string, message: string, field?: string): SpartanError {
  return new SpartanError(
    'sessions/store-unavailable',
    `Invalid session store argument: ${message}`,
    field === undefined ? { reason: 'invalid-argument', argument } : { reason: 'invalid-argument', argument, field },
  );
}

/**
 * Sets `key` of `target` as an own data property: for `__proto__` too, which an assignment
 * would take as a change of prototype (`JSON.parse` makes it an own property; so does this).
 */
export function setDataKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Throws `sessions/store-unavailable` (reason `invalid-argument`) unless `value` is a `StoredSessionChanges`. */
export function assertStoredSessionChanges(value: unknown): asserts value is StoredSessionChanges {
  if (!isPlainObject(value)) throw invalidArgument('changes', 'changes must be a plain object');
  const { set, unset, lastSeenAt, csrfSecret } = value;
  if (!isPlainObject(set)) throw invalidArgument('changes', 'changes.set must be a plain object', 'set');
  if (!Array.isArray(unset) || !unset.every((key) => typeof key === 'string')) {
    throw invalidArgument('changes', 'changes.unset must be an array of strings', 'unset');
  }
  for (const key of unset as string[]) {
    if (Object.hasOwn(set, key)) throw invalidArgument('changes', 'a key is both set and unset', 'unset');
  }
  if (typeof lastSeenAt !== 'number' || !Number.isFinite(lastSeenAt)) {
    throw invalidArgument('changes', 'changes.lastSeenAt must be a finite number (ms)', 'lastSeenAt');
  }
  if (csrfSecret !== undefined && (typeof csrfSecret !== 'string' || csrfSecret.length === 0)) {
    throw invalidArgument('changes', 'changes.csrfSecret must be a non-empty string when given', 'csrfSecret');
  }
}

/** Throws unless `opts` is a `StoreUpdateOptions` (an object with a finite `expiresAt`). */
export function assertStoreUpdateOptions(opts: unknown): asserts opts is StoreUpdateOptions {
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'opts must be an object');
  const { expiresAt } = opts as Record<string, unknown>;
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
    throw invalidArgument('expiresAt', 'expiresAt must be a finite number (ms)');
  }
}

/**
 * The patch of `changes`, one JSON array: `[set, unset, lastSeenAt]`, or
 * `[set, unset, lastSeenAt, csrfSecret]`. Throws `invalid-argument` when a value of
 * `changes.set` is not JSON-serializable (the message never names the data).
 */
export function encodeSessionChanges(changes: StoredSessionChanges): string {
  const patch: unknown[] = [changes.set, changes.unset, changes.lastSeenAt];
  if (changes.csrfSecret !== undefined) patch.push(changes.csrfSecret);
  try {
    return JSON.stringify(patch);
  } catch {
    throw invalidArgument('changes', 'changes.set must be JSON-serializable (no BigInt, no cycles)', 'set');
  }
}

/**
 * A copy of `set` as JSON would carry it: primitives as they are (a non-finite number becomes
 * `null`), objects and arrays deep-copied through JSON, keys whose value JSON drops (undefined,
 * a function, a symbol) left out. Throws `invalid-argument` for a BigInt or a cycle. Cheaper
 * than a JSON round trip of the whole object when most values are primitives.
 */
export function copyJsonValues(set: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(set)) {
    let value = set[key];
    switch (typeof value) {
      case 'string':
      case 'boolean':
        break;
      case 'number':
        if (!Number.isFinite(value)) value = null;
        break;
      case 'object':
        if (value === null) break;
        try {
          const json = JSON.stringify(value);
          if (json === undefined) continue;
          value = JSON.parse(json);
        } catch {
          throw invalidArgument('changes', 'changes.set must be JSON-serializable (no BigInt, no cycles)', 'set');
        }
        break;
      case 'bigint':
        throw invalidArgument('changes', 'changes.set must be JSON-serializable (no BigInt, no cycles)', 'set');
      default:
        continue;
    }
    setDataKey(copy, key, value);
  }
  return copy;
}

/** A patch parsed back (`encodeSessionChanges`), or `undefined` when it is not one. */
export function decodeSessionChanges(patch: string): StoredSessionChanges | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(patch);
  } catch {
    return undefined;
  }
  return changesOf(parsed);
}

/**
 * Patches parsed in one `JSON.parse` (cheaper than one call each when a log holds many), or
 * `undefined` when any of them is not one.
 */
export function decodeSessionChangesList(patches: readonly string[]): StoredSessionChanges[] | undefined {
  if (patches.length === 0) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(`[${patches.join(',')}]`);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== patches.length) return undefined;
  const list: StoredSessionChanges[] = [];
  for (const each of parsed) {
    const changes = changesOf(each);
    if (changes === undefined) return undefined;
    list.push(changes);
  }
  return list;
}

function changesOf(parsed: unknown): StoredSessionChanges | undefined {
  if (!Array.isArray(parsed) || parsed.length < 3 || parsed.length > 4) return undefined;
  const [set, unset, lastSeenAt, csrfSecret] = parsed as unknown[];
  if (!isPlainObject(set) || !Array.isArray(unset) || typeof lastSeenAt !== 'number') return undefined;
  if (!unset.every((key) => typeof key === 'string')) return undefined;
  if (csrfSecret !== undefined && typeof csrfSecret !== 'string') return undefined;
  return csrfSecret === undefined
    ? { set, unset: unset as string[], lastSeenAt }
    : { set, unset: unset as string[], lastSeenAt, csrfSecret };
}

/**
 * Applies `changes` to `record` in place (its data, `lastSeenAt` and `csrfSecret`; the version
 * is the store's to move). Values are taken as they are: pass parsed copies, never objects a
 * caller still holds. A key named `__proto__` is set as an own property, as `JSON.parse` makes it.
 */
export function applySessionChanges(record: StoredSession, changes: StoredSessionChanges): void {
  applyDataChanges(record.data, changes);
  if (changes.lastSeenAt > record.lastSeenAt) record.lastSeenAt = changes.lastSeenAt;
  if (changes.csrfSecret !== undefined) record.csrfSecret = changes.csrfSecret;
}

/** The data part of `applySessionChanges`: the keys set and deleted, nothing else. */
export function applyDataChanges(
  data: Record<string, unknown>,
  changes: Pick<StoredSessionChanges, 'set' | 'unset'>,
): void {
  for (const key of Object.keys(changes.set)) setDataKey(data, key, changes.set[key]);
  for (const key of changes.unset) delete data[key];
}
