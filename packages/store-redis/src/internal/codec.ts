import { type SessionZone, type StoredSession, validateStoredSession } from '@spartan-sessions/core';
import { applySessionChanges, decodeSessionChangesList } from '@spartan-sessions/core/store';

/**
 * The stored form of a session: one compact JSON array, because Redis memory per session is a
 * benchmark target and a short array carries no field names.
 *
 * ```
 * [version, indexedUntil, userId, createdAt, lastSeenAt, rotatedAt, zone, data, authenticatedAt?, csrfSecret?]
 * ```
 * - `version`, `indexedUntil` and `userId` come first so the compare-and-set script reads them
 *   with one pattern match (`^%[(%d+),(%d+),`) and one string comparison (the userId as this
 *   codec writes it, `JSON.stringify`) instead of decoding the whole record.
 * - `indexedUntil` is the store's own field, not the record's: the time (whole seconds) up to
 *   which the user's index is known to hold this session (`0` when it has no user). A write
 *   whose expiry it still covers skips the index (see `RedisStore.set`).
 * - `lastSeenAt`, `rotatedAt` and `authenticatedAt` are stored as milliseconds after
 *   `createdAt` (a few digits instead of thirteen); a time that does not survive that exactly
 *   (not an integer) is stored absolute, wrapped in a one-element array.
 * - `zone` is `0` (normal) or `1` (privileged).
 * - `userId` is `null` for an anonymous session. Trailing `null`s are left out.
 *
 * A stored value may carry patches after the record (`RedisStore.update`): `\n` + one patch of
 * core's `encodeSessionChanges` each, oldest first, with the head's version already moved past
 * them (see `decodeSessionValue`). Without patches it is exactly the record, as written by
 * earlier versions of this package.
 */
export type EncodedSession = [
  number,
  number,
  string | null,
  number,
  TimeField,
  TimeField,
  0 | 1,
  Record<string, unknown>,
  ...unknown[],
];
type TimeField = number | [number];

/** Position of `userId` in the encoded array (0-based; the Lua scripts use `USER_ID_INDEX + 1`). */
export const USER_ID_INDEX = 2;

function relative(time: number, base: number): TimeField {
  const delta = time - base;
  return Number.isSafeInteger(delta) && base + delta === time ? delta : [time];
}

function absolute(field: unknown, base: number): number | undefined {
  if (typeof field === 'number') return base + field;
  if (Array.isArray(field) && field.length === 1 && typeof field[0] === 'number') return field[0];
  return undefined;
}

/**
 * Serializes a (validated) record without its head (`[version,indexedUntil,`): what the
 * compare-and-set script appends to the head it settles. Throws a `TypeError` when `data` is
 * not JSON-serializable.
 */
export function encodeSessionBody(record: StoredSession): string {
  const base = record.createdAt;
  const tail: unknown[] = [
    record.authenticatedAt === null ? null : relative(record.authenticatedAt, base),
    record.csrfSecret,
  ];
  while (tail.length > 0 && tail[tail.length - 1] === null) tail.pop();
  const body: unknown[] = [
    record.userId,
    base,
    relative(record.lastSeenAt, base),
    relative(record.rotatedAt, base),
    record.zone === 'privileged' ? 1 : 0,
    record.data,
    ...tail,
  ];
  // `[a,b,…]` without its `[`: the script writes `[version,indexedUntil,` before it.
  return JSON.stringify(body).slice(1);
}

/** The whole stored value of a record (as the compare-and-set script writes it). */
export function encodeSession(record: StoredSession, indexedUntil = 0): string {
  return withHead(record.version, indexedUntil, encodeSessionBody(record));
}

/** A body (`encodeSessionBody`) with its head: the whole stored value. */
export function withHead(version: number, indexedUntil: number, body: string): string {
  return `[${version},${indexedUntil},${body}`;
}

/** What separates the record from each patch after it (JSON never holds a raw newline). */
export const PATCH_SEPARATOR = '\n';

/** The record part of a stored value: everything before its first patch. */
function basePart(value: string): string {
  const end = value.indexOf(PATCH_SEPARATOR);
  return end === -1 ? value : value.slice(0, end);
}

/** A stored value decoded: the merged record and how many patches it carried. */
export interface DecodedValue {
  record: StoredSession;
  /** Patches (`RedisStore.update`) after the record that were applied to it. */
  patches: number;
  /** Characters of the patches (separators included) against those of the record part. */
  patchLength: number;
  recordLength: number;
}

/**
 * Parses a stored value back into a record, or `undefined` when it is not one (a corrupt or
 * foreign value is treated as absent, never as an error).
 *
 * A value is the record as `encodeSession` writes it, followed by zero or more patches
 * (`RedisStore.update`), each `\n` + a patch of core's `encodeSessionChanges`: they are applied
 * in order. The version is the head's, which the update script already moved for each patch. A
 * corrupt patch makes the whole value "no session", as a corrupt record does.
 */
export function decodeSessionValue(value: string): DecodedValue | undefined {
  const end = value.indexOf(PATCH_SEPARATOR);
  const record = decodeRecord(end === -1 ? value : value.slice(0, end));
  if (record === undefined) return undefined;
  if (end === -1) return { record, patches: 0, patchLength: 0, recordLength: value.length };
  const changes = decodeSessionChangesList(value.slice(end + 1).split(PATCH_SEPARATOR));
  if (changes === undefined) return undefined;
  for (const each of changes) applySessionChanges(record, each);
  // A patch holds only JSON values, but one like `1e999` parses to a time no record may hold.
  return validateStoredSession(record)
    ? { record, patches: changes.length, patchLength: value.length - end, recordLength: end }
    : undefined;
}

/** The merged record of a stored value (`decodeSessionValue`), or `undefined` when it is none. */
export function decodeSession(value: string): StoredSession | undefined {
  return decodeSessionValue(value)?.record;
}

/** The record part of a value, without patches. */
function decodeRecord(value: string): StoredSession | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length < 8 || parsed.length > 10) return undefined;
  const [
    version,
    indexedUntil,
    userId,
    createdAt,
    lastSeen,
    rotated,
    zone,
    data,
    authenticated = null,
    csrfSecret = null,
  ] = parsed as unknown[];
  if (typeof indexedUntil !== 'number') return undefined;
  if (typeof createdAt !== 'number') return undefined;
  const lastSeenAt = absolute(lastSeen, createdAt);
  const rotatedAt = absolute(rotated, createdAt);
  const authenticatedAt = authenticated === null ? null : absolute(authenticated, createdAt);
  if (lastSeenAt === undefined || rotatedAt === undefined || authenticatedAt === undefined) return undefined;
  const zoneName: SessionZone | undefined = zone === 0 ? 'normal' : zone === 1 ? 'privileged' : undefined;
  if (zoneName === undefined) return undefined;
  const record = {
    version,
    data,
    createdAt,
    lastSeenAt,
    rotatedAt,
    userId,
    authenticatedAt,
    zone: zoneName,
    csrfSecret,
  };
  return validateStoredSession(record) ? record : undefined;
}

/**
 * The `userId` of a stored value without validating the rest (for index clean-up); read from
 * the record part only (patches never change it).
 */
export function userIdOf(value: string): string | null {
  try {
    const parsed: unknown = JSON.parse(basePart(value));
    const userId = Array.isArray(parsed) ? parsed[USER_ID_INDEX] : undefined;
    return typeof userId === 'string' ? userId : null;
  } catch {
    return null;
  }
}

/**
 * The two values a session key can hold besides a record (Redis Cluster rotation, see
 * `RedisStore.rotate`); neither starts with `[`, so every script and `decodeSession` read them
 * as "no session".
 *
 * - A **forward pointer**, `>` + the new key's length + `:` + the new key (core's key, without
 *   the prefix), left under an old key by a rotation: a `destroy` of the old key follows it and
 *   ends the new record too. While the rotation is under way the pointer also *carries* the old
 *   record's value after the key (`>22:<key>[3,…]`), so `listByUser` still sees the session in
 *   the moment when neither key holds a record; the rotation drops it once the new record is
 *   written. Only this module reads the length (the scripts compare whole prefixes).
 * - A **tombstone**, `!`, written by a `destroy` that followed a pointer to a key whose
 *   record was not written yet: a create-only write of that key then fails.
 */
export const TOMBSTONE = '!';

/** The forward pointer to `newKey` (without a carried record). */
export function pointerHead(newKey: string): string {
  return `>${newKey.length}:${newKey}`;
}

/** A forward pointer parsed: its target key and the carried old record (`null` once dropped). */
export interface ForwardPointer {
  target: string;
  carried: string | null;
}

/** The forward pointer a stored value is, or `undefined` when it is none (a record, a tombstone, …). */
export function parsePointer(value: string): ForwardPointer | undefined {
  if (value.charCodeAt(0) !== 62 /* > */) return undefined;
  const match = /^>(\d{1,4}):/.exec(value);
  if (match === null) return undefined;
  const start = match[0].length;
  const end = start + Number(match[1]);
  if (end > value.length || end === start) return undefined;
  return { target: value.slice(start, end), carried: end === value.length ? null : value.slice(end) };
}
