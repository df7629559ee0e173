import { type SessionZone, type StoredSession, validateStoredSession } from '@spartan-sessions/core';

/**
 * The stored form of a session: one compact JSON array, because Redis memory per session is a
 * benchmark target and a short array carries no field names.
 *
 * ```
 * [version, createdAt, data, userId?, authenticatedAt?, lastSeenAt?, rotatedAt?, zone?, csrfSecret?]
 * ```
 * - `version` comes first so the compare-and-set script reads it with one pattern match
 *   (`^%[(%d+),`) instead of decoding the whole record.
 * - `createdAt` is a base-36 string when it is a whole, non-negative number of milliseconds
 *   (`"mk1d2xts"`: 10 characters instead of 13), else a plain number.
 * - `authenticatedAt`, `lastSeenAt` and `rotatedAt` are stored as milliseconds after `createdAt`
 *   (a few digits instead of thirteen); a time that does not survive that exactly (not an
 *   integer) is stored absolute, wrapped in a one-element array.
 * - `zone` is `0` (normal) or `1` (privileged).
 * - Trailing fields that hold their default are left out: `null` for `userId`,
 *   `authenticatedAt` and `csrfSecret`, `0` (that is, `createdAt`) for `lastSeenAt` and
 *   `rotatedAt`, `0` for `zone`. A new signed-in session is `[1,"mk1d2xts",{…},"u1",0]`.
 * - `userId` is the 4th element: the touch script reads it with `cjson` to keep the user index
 *   in step.
 *
 * Every size matters at the margin: Redis keeps a value of up to 44 bytes in the same
 * allocation as its object header, and rounds allocations up to 16-byte steps (jemalloc).
 */
type TimeField = number | [number];
type CreatedAtField = string | number;
export type EncodedSession = [number, CreatedAtField, Record<string, unknown>, ...unknown[]];

/** Position of `userId` in the encoded array (0-based; the Lua scripts use `USER_ID_INDEX + 1`). */
export const USER_ID_INDEX = 3;

/** What a left-out trailing field stands for, by position (the first three are never left out). */
const TRAILING_DEFAULTS: readonly unknown[] = [undefined, undefined, undefined, null, null, 0, 0, 0, null];
const MIN_FIELDS = 3;
const MAX_FIELDS = TRAILING_DEFAULTS.length;
/** Canonical base 36 of a safe integer: no leading zeros, at most 11 digits (2^53 has 11). */
const BASE36 = /^(?:0|[1-9a-z][0-9a-z]{0,10})$/;

function encodeCreatedAt(time: number): CreatedAtField {
  return Number.isSafeInteger(time) && time >= 0 ? time.toString(36) : time;
}

function decodeCreatedAt(field: unknown): number | undefined {
  if (typeof field === 'number') return field;
  if (typeof field !== 'string' || !BASE36.test(field)) return undefined;
  const time = Number.parseInt(field, 36);
  // The round trip refuses what parseInt would round (beyond 2^53) instead of misreading it.
  return Number.isSafeInteger(time) && time.toString(36) === field ? time : undefined;
}

function relative(time: number, base: number): TimeField {
  const delta = time - base;
  return Number.isSafeInteger(delta) && base + delta === time ? delta : [time];
}

function absolute(field: unknown, base: number): number | undefined {
  if (typeof field === 'number') return base + field;
  if (Array.isArray(field) && field.length === 1 && typeof field[0] === 'number') return field[0];
  return undefined;
}

/** Serializes a (validated) record. Throws a `TypeError` when `data` is not JSON-serializable. */
export function encodeSession(record: StoredSession): string {
  const base = record.createdAt;
  const encoded: unknown[] = [
    record.version,
    encodeCreatedAt(base),
    record.data,
    record.userId,
    record.authenticatedAt === null ? null : relative(record.authenticatedAt, base),
    relative(record.lastSeenAt, base),
    relative(record.rotatedAt, base),
    record.zone === 'privileged' ? 1 : 0,
    record.csrfSecret,
  ];
  while (encoded.length > MIN_FIELDS && encoded[encoded.length - 1] === TRAILING_DEFAULTS[encoded.length - 1]) {
    encoded.pop();
  }
  return JSON.stringify(encoded);
}

/**
 * Parses a stored value back into a record, or `undefined` when it is not one (a corrupt or
 * foreign value is treated as absent, never as an error).
 */
export function decodeSession(value: string): StoredSession | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length < MIN_FIELDS || parsed.length > MAX_FIELDS) return undefined;
  const [
    version,
    created,
    data,
    userId = null,
    authenticated = null,
    lastSeen = 0,
    rotated = 0,
    zone = 0,
    csrfSecret = null,
  ] = parsed as unknown[];
  const createdAt = decodeCreatedAt(created);
  if (createdAt === undefined) return undefined;
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

/** The `userId` of a stored value without validating the rest (for index clean-up). */
export function userIdOf(value: string): string | null {
  try {
    const parsed: unknown = JSON.parse(value);
    const userId = Array.isArray(parsed) ? parsed[USER_ID_INDEX] : undefined;
    return typeof userId === 'string' ? userId : null;
  } catch {
    return null;
  }
}
