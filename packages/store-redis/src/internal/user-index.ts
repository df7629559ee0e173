/**
 * Where a user's sessions are indexed. Users share a fixed set of bucket hashes,
 * `<prefix>i:<bucket>`, one field per user (`userId`), because a key of its own per user costs
 * about 150 bytes of Redis overhead (dictionary entry, expiry entry, object header, key name)
 * before it holds anything, while a field in a shared hash costs its own bytes only: a signed-in
 * user with one session adds about 50 bytes to a bucket.
 *
 * A field's value packs that user's entries, one per session, as
 * `<expiry in seconds, base 36>:<byte length of the session key, base 36>:<session key>`,
 * concatenated (the Lua scripts of `scripts.ts` read and write it; keys are length-prefixed
 * because a store key may hold any character).
 *
 * The number of buckets is part of the stored layout: a store looking for a user in another
 * bucket would not see that user's indexed sessions (and `revokeUser` would miss them).
 * 256 buckets keep each one small enough for Redis' compact encoding (up to
 * `hash-max-listpack-entries`, 128 by default) for the first tens of thousands of signed-in
 * users, spread over every master of a Cluster, and a bucket of a million-user site holds a
 * few thousand fields, which Redis reads and writes by field in constant time.
 */
export const USER_INDEX_BUCKETS = 256;

const UTF8 = new TextEncoder();

/** The bucket of a user: FNV-1a (32 bits) of the user id's UTF-8 bytes, modulo the bucket count. */
export function userIndexBucket(userId: string): number {
  let hash = 0x811c9dc5;
  for (const byte of UTF8.encode(userId)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash % USER_INDEX_BUCKETS;
}

/** One session of a user's index entry, as the scripts store it. */
export interface UserIndexEntry {
  key: string;
  /** Seconds since the epoch, rounded up: never earlier than the session's expiry. */
  expiresAt: number;
}

/**
 * Reads a user's field the way the Lua scripts do (for tests and administration tools);
 * `undefined` when it is not in that form.
 */
export function parseUserIndexEntries(value: Uint8Array | string): UserIndexEntry[] | undefined {
  const bytes = typeof value === 'string' ? UTF8.encode(value) : value;
  const text = new TextDecoder();
  const entries: UserIndexEntry[] = [];
  const colon = 0x3a;
  let i = 0;
  while (i < bytes.length) {
    const a = bytes.indexOf(colon, i);
    const b = a < 0 ? -1 : bytes.indexOf(colon, a + 1);
    if (b < 0) return undefined;
    const expiresAt = parseBase36(text.decode(bytes.subarray(i, a)));
    const length = parseBase36(text.decode(bytes.subarray(a + 1, b)));
    if (expiresAt === undefined || length === undefined || b + length >= bytes.length) return undefined;
    entries.push({ key: text.decode(bytes.subarray(b + 1, b + 1 + length)), expiresAt });
    i = b + 1 + length;
  }
  return entries;
}

function parseBase36(digits: string): number | undefined {
  return /^[0-9a-z]+$/.test(digits) ? Number.parseInt(digits, 36) : undefined;
}
