import { SpartanError } from '../errors/errors.js';
import type { StoredSession, StoreRotateOptions, StoreSetOptions } from '../ports.js';

/**
 * Argument checks shared by every `SessionStore` (memory, Redis, Mongo). Deliberately free of
 * zod: they run on every store call, and a store package should not need a schema library to
 * judge what it reads back from its backend.
 *
 * A failed check throws `sessions/store-unavailable` with `details.reason: 'invalid-argument'`:
 * core fails closed on a store error, so a bad argument must never be stored or read as "no
 * session". Messages and details name the argument and field, never a key or a data value
 * (keys are session-id hashes, data is the user's).
 */

const ZONES: ReadonlySet<unknown> = new Set(['normal', 'privileged']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isPositiveInteger = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;

/** The first field of `value` that breaks the `StoredSession` shape, with what it must be. */
function storedSessionProblem(value: unknown): { field: string; expected: string } | null {
  if (!isPlainObject(value)) return { field: 'record', expected: 'a plain object' };
  if (!isPositiveInteger(value.version)) return { field: 'version', expected: 'a positive integer' };
  if (!isPlainObject(value.data)) return { field: 'data', expected: 'a plain object' };
  for (const field of ['createdAt', 'lastSeenAt', 'rotatedAt'] as const) {
    if (!isFiniteNumber(value[field])) return { field, expected: 'a finite number' };
  }
  if (value.userId !== null && !(typeof value.userId === 'string' && value.userId.length > 0)) {
    return { field: 'userId', expected: 'a non-empty string or null' };
  }
  if (value.authenticatedAt !== null && !isFiniteNumber(value.authenticatedAt)) {
    return { field: 'authenticatedAt', expected: 'a finite number or null' };
  }
  if (!ZONES.has(value.zone)) return { field: 'zone', expected: '"normal" or "privileged"' };
  if (value.csrfSecret !== null && typeof value.csrfSecret !== 'string') {
    return { field: 'csrfSecret', expected: 'a string or null' };
  }
  return null;
}

function invalidArgument(argument: string, message: string, field?: string): SpartanError {
  return new SpartanError(
    'sessions/store-unavailable',
    `Invalid session store argument: ${message}`,
    field === undefined ? { reason: 'invalid-argument', argument } : { reason: 'invalid-argument', argument, field },
  );
}

/**
 * True when `value` has the shape of a `StoredSession`. Stores use it to judge a record read
 * back from their backend (a corrupt or foreign value is a store error, not a session).
 * Unknown extra properties are allowed (forward compatibility); `data` is checked to be a plain
 * object, not walked.
 */
export function validateStoredSession(value: unknown): value is StoredSession {
  return storedSessionProblem(value) === null;
}

/** Throws `sessions/store-unavailable` (reason `invalid-argument`) unless `value` is a `StoredSession`. */
export function assertStoredSession(value: unknown): asserts value is StoredSession {
  const problem = storedSessionProblem(value);
  if (problem !== null) {
    const path = problem.field === 'record' ? 'record' : `record.${problem.field}`;
    throw invalidArgument('record', `${path} must be ${problem.expected}`, problem.field);
  }
}

/** Throws unless `key` is a non-empty string. */
export function assertStoreKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw invalidArgument('key', 'key must be a non-empty string');
}

/** Throws unless `userId` is a non-empty string. */
export function assertUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) {
    throw invalidArgument('userId', 'userId must be a non-empty string');
  }
}

/** Throws unless `expiresAt` is a finite number (ms since epoch). */
export function assertExpiresAt(expiresAt: unknown): asserts expiresAt is number {
  if (!isFiniteNumber(expiresAt)) throw invalidArgument('expiresAt', 'expiresAt must be a finite number (ms)');
}

/** Throws unless `expectedVersion` is `null` or a non-negative integer. */
export function assertExpectedVersion(expectedVersion: unknown): asserts expectedVersion is number | null {
  if (expectedVersion !== null && !(Number.isSafeInteger(expectedVersion) && (expectedVersion as number) >= 0)) {
    throw invalidArgument('expectedVersion', 'expectedVersion must be null or a non-negative integer');
  }
}

/** Throws unless `opts` is a `StoreSetOptions` (an object with valid `expiresAt` and `expectedVersion`). */
export function assertStoreSetOptions(opts: unknown): asserts opts is StoreSetOptions {
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'opts must be an object');
  const { expiresAt, expectedVersion } = opts as Record<string, unknown>;
  assertExpiresAt(expiresAt);
  assertExpectedVersion(expectedVersion);
}

/** Throws unless `opts` is a `StoreRotateOptions` (valid `expiresAt`, `expectedVersion` a non-negative integer). */
export function assertStoreRotateOptions(opts: unknown): asserts opts is StoreRotateOptions {
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('opts', 'opts must be an object');
  const { expiresAt, expectedVersion } = opts as Record<string, unknown>;
  assertExpiresAt(expiresAt);
  if (expectedVersion === null)
    throw invalidArgument('expectedVersion', 'expectedVersion must be a non-negative integer');
  assertExpectedVersion(expectedVersion);
}

/** Throws unless `oldKey` and `newKey` are valid keys and differ. */
export function assertRotationKeys(oldKey: unknown, newKey: unknown): asserts oldKey is string {
  assertStoreKey(oldKey);
  assertStoreKey(newKey);
  if (oldKey === newKey) throw invalidArgument('key', 'a rotation needs a new key different from the old one');
}
