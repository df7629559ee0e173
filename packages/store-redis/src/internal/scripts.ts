/**
 * The Lua scripts of the store. Each one but `ROTATE_SCRIPT` touches exactly one key, so each is
 * trivially single-slot in a Redis Cluster: a session key and its user's index live in different
 * slots (a session is found by its key alone), and the order of the separate calls is what keeps
 * them consistent (see `RedisStore`). `ROTATE_SCRIPT` changes two session keys in one step and
 * is used only where they live on one server (standalone, Sentinel); a Cluster rotates with
 * `ROTATE_BEGIN_SCRIPT`, a create-only `CAS_SCRIPT` and `ROTATE_SETTLE_SCRIPT` instead.
 * Registered with ioredis `defineCommand` (`KEY_COUNTS` says how many keys each takes): sent
 * once per connection with EVAL, then called by EVALSHA.
 *
 * Times: session expiries are milliseconds since the epoch; index scores are whole seconds
 * (rounded up, so a score is never earlier than the session's expiry) because a 10-digit
 * integer is stored more compactly in a sorted set than a 13-digit one.
 */

/**
 * Compare-and-set of one session, keeping its user's index ahead of it.
 * KEYS[1] session key; ARGV[1] the numbers, comma-separated (`casNumbers`): the record's
 * version, the expected version (empty for "must not exist"), the expiry (ms since epoch, > 0),
 * the whole second the record's index entry must reach (the expiry, rounded up) and the second
 * up to which the caller has just indexed it ('0' if it has not); ARGV[2] the encoded record
 * without its head (`encodeSessionBody`); ARGV[3] the record's userId as JSON (as the codec
 * writes it), '' for none. The numbers travel as one argument because each argument costs the
 * client its own serialization on every write (a returning visitor's request makes one).
 * Returns 1 when written, 0 on a conflict, -1 when the user's index must first be moved
 * forward (the caller does that, then calls again with the second it indexed up to).
 *
 * The stored head `[version,indexedUntil,` says how far the user's index is known to hold the
 * session: a write of the same user whose expiry that still covers needs no index write, so a
 * signed-in visitor's request costs one script, not two. "The same user" is a string comparison
 * of the stored userId right after the head with ARGV[3] (JSON.stringify is one-to-one on
 * strings): no decoding of the record, whatever its size. A value that does not start with that
 * head (corrupt or foreign, a forward pointer or a tombstone: see `codec.ts`) is no record to
 * replace; but a create (no expected version) fails on *any* value, because a fresh key holds
 * nothing: a tombstone must stop the create of a rotation whose old key was destroyed
 * meanwhile. `SET … PXAT` with a time in the past deletes the key. Numbers that do not match
 * the pattern are a caller's bug: the script fails with an error rather than writing.
 * A value with patches after its record (`UPDATE_SCRIPT`) has the same head, its version
 * counting the patches, and the userId still right after it; this write (as the rotation
 * scripts') replaces the whole value, patches included: its writer read the merged record at
 * that version.
 */
export const CAS_SCRIPT = `
local newVersion, expected, expiresAt, needed, given = string.match(ARGV[1], '^(%d+),(%d*),(%d+),(%d+),(%d+)$')
if not newVersion then return redis.error_reply('spartan-sessions: malformed compare-and-set numbers') end
local current = redis.call('GET', KEYS[1])
local version, indexed
if current then version, indexed = string.match(current, '^%[(%d+),(%d+),') end
if expected == '' then
  if current then return 0 end
elseif version ~= expected then
  return 0
end
local covered = 0
if ARGV[3] ~= '' then
  covered = tonumber(given)
  if covered < tonumber(needed) then
    covered = 0
    if indexed and tonumber(indexed) >= tonumber(needed) then
      local from = #version + #indexed + 4
      if string.sub(current, from, from + #ARGV[3]) == ARGV[3] .. ',' then covered = tonumber(indexed) end
    end
    if covered == 0 then return -1 end
  end
end
redis.call('SET', KEYS[1], '[' .. newVersion .. ',' .. string.format('%d', covered) .. ',' .. ARGV[2], 'PXAT', expiresAt)
return 1
`;

/**
 * ARGV[1] of `CAS_SCRIPT`: the record's version, the expected version (`null`: the key must
 * hold nothing), the expiry in ms, the index second it needs and the one just indexed up to.
 */
export function casNumbers(
  version: number,
  expectedVersion: number | null,
  expiresAt: number,
  neededSecond: number,
  indexedUntil: number,
): string {
  return `${version},${expectedVersion ?? ''},${expiresAt},${neededSecond},${indexedUntil}`;
}

/**
 * Adds (or moves forward) one session in a user's index and drops the entries of sessions
 * that have expired, so an index never grows with dead entries; the index key itself expires
 * one second after its last entry.
 * KEYS[1] user index (sorted set: member = session key, score = expiry in seconds);
 * ARGV[1] session key; ARGV[2] expiry in seconds. `GT`: a score only ever moves forward, so
 * racing writers of one session cannot pull its entry before its real expiry.
 */
export const INDEX_ADD_SCRIPT = `
local now = tonumber(redis.call('TIME')[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
if tonumber(ARGV[2]) >= now then
  redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('EXPIREAT', KEYS[1], tonumber(last[2]) + 1)
end
return 1
`;

/**
 * Drops expired entries of a user's index and returns the remaining members (session keys).
 * KEYS[1] user index.
 */
export const INDEX_LIST_SCRIPT = `
local now = tonumber(redis.call('TIME')[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;

/**
 * Rotation of a session id on one server (standalone, Sentinel): one atomic step.
 * KEYS[1] old session key; KEYS[2] new session key; ARGV[1] the version the old record must
 * have; ARGV[2] the new record's version; ARGV[3] the new record without its head
 * (`encodeSessionBody`); ARGV[4] its expiry (ms since epoch, > 0); ARGV[5] the second up to
 * which the caller has just indexed it under its user ('0' without a user).
 * When the old key holds a record at that version and the new key holds nothing at all,
 * deletes the old key and writes the new record (`PXAT`; a time in the past deletes it), and
 * returns the old value (the caller removes the old key from its user's index); else changes
 * nothing and returns 0.
 */
export const ROTATE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current or string.match(current, '^%[(%d+),%d+,') ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '[' .. ARGV[2] .. ',' .. ARGV[5] .. ',' .. ARGV[3], 'PXAT', ARGV[4])
return current
`;

/**
 * First step of a rotation in a Redis Cluster (the two keys live in different slots): takes the
 * old record. KEYS[1] old session key; ARGV[1] the version it must have; ARGV[2] the forward
 * pointer to the new key (`pointerHead`).
 * When the key holds a record at that version, replaces it, keeping its expiry, by the pointer
 * carrying the record (`ARGV[2] .. record`) and returns the record's value; else returns 0.
 * From here on the old key reads as absent everywhere, no other rotation or write of it
 * succeeds, and a `destroy` of it follows the pointer (see `RedisStore.rotate`).
 */
export const ROTATE_BEGIN_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current or string.match(current, '^%[(%d+),%d+,') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2] .. current, 'KEEPTTL')
return current
`;

/**
 * Last step of a rotation in a Redis Cluster, on the old key. KEYS[1] old session key;
 * ARGV[1] the forward pointer `ROTATE_BEGIN_SCRIPT` wrote (without the carried record);
 * ARGV[2] '0' when the new record was written: drop the carried record, leaving the bare
 * pointer; '1' when it was not: put the carried record back.
 * Acts only while the key still holds that pointer with a carried record (a `destroy` may have
 * taken it meanwhile); keeps the expiry. Returns 1 when it changed the key, else 0.
 */
export const ROTATE_SETTLE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current or #current <= #ARGV[1] or string.sub(current, 1, #ARGV[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '1' then
  redis.call('SET', KEYS[1], string.sub(current, #ARGV[1] + 1), 'KEEPTTL')
else
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
end
return 1
`;

/**
 * Ends whatever a forward pointer leads to (see `RedisStore.destroy`). KEYS[1] session key;
 * ARGV[1] how long the tombstone lasts (ms).
 * Replaces the value, whatever it is (nothing yet, a record, another pointer), by the tombstone
 * `!`, which reads as absent and makes a create of the key fail; returns the previous value
 * (nil when there was none), so the caller can tidy the index or follow the next pointer.
 */
export const TOMBSTONE_SCRIPT = `
local previous = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], '!', 'PX', ARGV[1])
return previous
`;

/**
 * Server-side delta save of one session (`RedisStore.update`): appends a patch to the record,
 * whatever its version.
 * KEYS[1] session key; ARGV[1] the patch (core's `encodeSessionChanges`); ARGV[2] the expiry
 * asked for (ms since epoch, > 0); ARGV[3] the whole second the user's index entry must reach
 * for it (rounded up); ARGV[4] the second up to which the caller has just indexed the session,
 * '0' if it has not; ARGV[5] the userId the caller indexed it under, as JSON ('' for none).
 * Returns the new version; 0 when the key holds no record (nothing, a forward pointer, a
 * tombstone, a foreign value: nothing is created or revived); -1 when the stored record has a
 * user whose index entry does not cover the expiry (the caller reads the userId, indexes the
 * session, then calls again with ARGV[4] and ARGV[5]).
 *
 * The new value is the old one with the version in its head moved by one, `indexedUntil` kept
 * or raised, and `\n` + the patch appended (a value is its record followed by its patches, see
 * `codec.ts`; JSON never holds a raw newline). Index coverage as in `CAS_SCRIPT`, for the user
 * stored right after the head (a userId is a JSON string there, an anonymous session `null`).
 * The expiry never moves earlier: Redis 6.2 has no `PEXPIREAT … GT` (7.0), so the current
 * expiry is `TIME` + `PTTL`; the value is written with `PXAT` when the new expiry is later,
 * else with `KEEPTTL`.
 */
export const UPDATE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local version, indexed = string.match(current, '^%[(%d+),(%d+),')
if not version then return 0 end
local from = #version + #indexed + 4
local covered = tonumber(indexed)
local needed = tonumber(ARGV[3])
if string.sub(current, from, from) == '"' and covered < needed then
  local given = tonumber(ARGV[4])
  if given < needed or ARGV[5] == '' or string.sub(current, from, from + #ARGV[5]) ~= ARGV[5] .. ',' then
    return -1
  end
  covered = given
end
local updated = tonumber(version) + 1
local value = '[' .. string.format('%d', updated) .. ',' .. string.format('%d', covered) .. ','
  .. string.sub(current, from) .. '\\n' .. ARGV[1]
local expiresAt = tonumber(ARGV[2])
local left = redis.call('PTTL', KEYS[1])
local later = false
if left >= 0 then
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  later = expiresAt > now + left
end
if later then
  redis.call('SET', KEYS[1], value, 'PXAT', ARGV[2])
else
  redis.call('SET', KEYS[1], value, 'KEEPTTL')
end
return updated
`;

/**
 * Folds a session's patches into its record (compaction, after a read that found many; see
 * `RedisStore.get`). KEYS[1] session key; ARGV[1] the version the reader saw; ARGV[2] how many
 * patches that value had; ARGV[3] the merged record without its head (`encodeSessionBody`).
 * Returns 1 when folded, else 0.
 *
 * Updates may have been appended since the read: "version − patch count" names the record a
 * patch log grows from (a compare-and-set or a rotation writes a version above every earlier
 * one, without patches; an update moves both by one; a fold of n patches raises it by n), so
 * when the current value's is the reader's and it still has at least the patches read, its
 * record and first ARGV[2] patches are exactly what ARGV[3] merges: they are replaced by it,
 * keeping the head's version and `indexedUntil`, the later patches and the expiry. Anything
 * else (a newer record, no record, a pointer) is left alone.
 */
export const FOLD_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local version, indexed = string.match(current, '^%[(%d+),(%d+),')
if not version then return 0 end
local seen = tonumber(ARGV[2])
local count, position, rest = 0, 1, nil
while true do
  local found = string.find(current, '\\n', position, true)
  if not found then break end
  count = count + 1
  if count == seen + 1 then rest = found end
  position = found + 1
end
if count < seen or tonumber(version) - count ~= tonumber(ARGV[1]) - seen then return 0 end
local kept = ''
if rest then kept = string.sub(current, rest) end
redis.call('SET', KEYS[1], '[' .. version .. ',' .. indexed .. ',' .. ARGV[3] .. kept, 'KEEPTTL')
return 1
`;

/** Names under which the scripts are defined on the client (namespaced: the client may be shared). */
export const COMMANDS = {
  cas: 'spartanSessionsCas',
  indexAdd: 'spartanSessionsIndexAdd',
  indexList: 'spartanSessionsIndexList',
  rotate: 'spartanSessionsRotate',
  rotateBegin: 'spartanSessionsRotateBegin',
  rotateSettle: 'spartanSessionsRotateSettle',
  tombstone: 'spartanSessionsTombstone',
  update: 'spartanSessionsUpdate',
  fold: 'spartanSessionsFold',
} as const;

export const SCRIPTS: Record<keyof typeof COMMANDS, string> = {
  cas: CAS_SCRIPT,
  indexAdd: INDEX_ADD_SCRIPT,
  indexList: INDEX_LIST_SCRIPT,
  rotate: ROTATE_SCRIPT,
  rotateBegin: ROTATE_BEGIN_SCRIPT,
  rotateSettle: ROTATE_SETTLE_SCRIPT,
  tombstone: TOMBSTONE_SCRIPT,
  update: UPDATE_SCRIPT,
  fold: FOLD_SCRIPT,
};

/** How many of each script's arguments are keys (`KEYS[…]`), for `defineCommand`. */
export const KEY_COUNTS: Record<keyof typeof COMMANDS, 1 | 2> = {
  cas: 1,
  indexAdd: 1,
  indexList: 1,
  rotate: 2,
  rotateBegin: 1,
  rotateSettle: 1,
  tombstone: 1,
  update: 1,
  fold: 1,
};
