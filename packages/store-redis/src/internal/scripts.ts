import { USER_ID_INDEX } from './codec.js';

/**
 * The Lua scripts of the store. Each one touches exactly one key, so each is trivially
 * single-slot in a Redis Cluster: a session key and its user's index bucket live in different
 * slots (a session is found by its key alone), and the order of the separate calls is what
 * keeps them consistent (see `RedisStore`). Registered with ioredis `defineCommand`: sent once
 * per connection with EVAL, then called by EVALSHA.
 *
 * Times: session expiries are milliseconds since the epoch; user index entries hold whole
 * seconds (rounded up, so an entry never expires before its session), in base 36.
 */

/**
 * Compare-and-set of one session.
 * KEYS[1] session key; ARGV[1] encoded record; ARGV[2] expected version, '' for "must not
 * exist"; ARGV[3] expiry (ms since epoch, > 0); ARGV[4] '1' to answer a conflict with the
 * current value. Returns 1 when written; on a conflict 0, or {0, current value} with ARGV[4]
 * '1' when there is a record (`setOrGet`: the loser rebases without a GET of its own).
 * A value that does not start with a version (corrupt or foreign) counts as absent, as `get`
 * treats it. `SET … PXAT` with a time in the past deletes the key.
 */
export const CAS_SCRIPT = `
local current = redis.call('GET', KEYS[1])
local version = current and string.match(current, '^%[(%d+),')
if (ARGV[2] == '' and version) or (ARGV[2] ~= '' and version ~= ARGV[2]) then
  if ARGV[4] == '1' and version then return {0, current} end
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[3])
return 1
`;

/**
 * Moves the expiry of one session.
 * KEYS[1] session key; ARGV[1] expiry (ms since epoch); ARGV[2] '1' .. userId when the caller
 * has already indexed the session under that user with this expiry, else '0'.
 * Returns 0 when absent (no-op), 1 when done, or {userId} when the session belongs to a user
 * whose index must first be moved forward (the caller does that, then calls again), so that
 * a session never outlives its index entry.
 */
export const TOUCH_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, record = pcall(cjson.decode, current)
if not ok or type(record) ~= 'table' then return 0 end
local userId = record[${USER_ID_INDEX + 1}]
if type(userId) == 'string' and ARGV[2] ~= '1' .. userId then return {userId} end
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1
`;

/**
 * What the user index scripts share. A bucket is a hash (see `user-index.ts`): field = user id,
 * value = that user's entries, each `<expiry s, base 36>:<key length in bytes, base 36>:<key>`,
 * latest expiry first (so a sweep tells an expired user from the first number alone).
 */
const USER_INDEX_PRELUDE = `
local DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'
local function base36(n)
  local digits = ''
  repeat
    local digit = n % 36
    digits = string.sub(DIGITS, digit + 1, digit + 1) .. digits
    n = (n - digit) / 36
  until n == 0
  return digits
end

-- A user's entries as a list of {key, expiry}, or nil when the value is not in that form.
local function unpack_entries(value)
  local entries, i, n = {}, 1, #value
  while i <= n do
    local a = string.find(value, ':', i, true)
    local b = a and string.find(value, ':', a + 1, true)
    if not b then return nil end
    local expiry = tonumber(string.sub(value, i, a - 1), 36)
    local length = tonumber(string.sub(value, a + 1, b - 1), 36)
    if not expiry or not length or b + length > n then return nil end
    entries[#entries + 1] = {string.sub(value, b + 1, b + length), expiry}
    i = b + length + 1
  end
  return entries
end

-- The entries that have not expired at now (seconds) and are not for the key drop, and
-- whether any was left out.
local function prune(entries, now, drop)
  local kept = {}
  for j = 1, #entries do
    if entries[j][2] >= now and entries[j][1] ~= drop then kept[#kept + 1] = entries[j] end
  end
  return kept, #kept < #entries
end

local function later_first(a, b) return a[2] > b[2] end

-- Writes a user's entries back (latest expiry first), or deletes the field once none is left
-- (Redis deletes the bucket with its last field). Returns the latest expiry (0 when none).
local function store_entries(bucket, user, entries)
  if #entries == 0 then
    redis.call('HDEL', bucket, user)
    return 0
  end
  table.sort(entries, later_first)
  local parts = {}
  for j = 1, #entries do
    parts[j] = base36(entries[j][2]) .. ':' .. base36(#entries[j][1]) .. ':' .. entries[j][1]
  end
  redis.call('HSET', bucket, user, table.concat(parts))
  return entries[1][2]
end

-- The user's entries; nil when the field cannot be read: the call then fails (closed) rather
-- than hide that user's sessions.
local function read_entries(bucket, user)
  local value = redis.call('HGET', bucket, user)
  if not value then return {} end
  return unpack_entries(value)
end
local CORRUPT = 'ERR spartan-sessions: unreadable user index entry'
`;

/**
 * Other users of a bucket looked at each time a session is added to it; those whose every
 * entry has expired are dropped. Every entry added is one that will expire, so with this many
 * picked at random per addition, at most about 1/8 of a bucket's fields can be expired users,
 * whatever its users do (and a bucket no one adds to expires as a whole).
 */
const SWEEP_SAMPLE = 8;

/**
 * Adds (or moves forward) one session in its user's index and drops that user's expired
 * entries. A new entry also looks at a few other users of the bucket picked at random and
 * drops those who have nothing but expired entries (users who never came back), so a bucket in
 * constant use does not keep them; the bucket itself expires one second after the latest entry
 * it was given.
 * KEYS[1] bucket; ARGV[1] user id; ARGV[2] session key; ARGV[3] expiry in seconds. An entry's
 * expiry only ever moves forward, so racing writers of one session cannot pull it before the
 * session's real expiry. Returns 1 when the index changed, 0 when it already held the entry.
 */
export const INDEX_ADD_SCRIPT = `${USER_INDEX_PRELUDE}
local time = redis.call('TIME')
local now = tonumber(time[1])
local expiry = tonumber(ARGV[3])
local entries = read_entries(KEYS[1], ARGV[1])
if not entries then return redis.error_reply(CORRUPT) end
local changed, found = false, false
for j = 1, #entries do
  if entries[j][1] == ARGV[2] then
    found = true
    if expiry > entries[j][2] then
      entries[j][2] = expiry
      changed = true
    end
  end
end
local added = not found and expiry >= now
if added then
  entries[#entries + 1] = {ARGV[2], expiry}
  changed = true
end
local kept, pruned = prune(entries, now, nil)
if not changed and not pruned then return 0 end
local latest = store_entries(KEYS[1], ARGV[1], kept)

if added then
  local sample = redis.call('HRANDFIELD', KEYS[1], ${SWEEP_SAMPLE}, 'WITHVALUES')
  for j = 1, #sample, 2 do
    local head = string.match(sample[j + 1], '^([0-9a-z]+):')
    local first = head and tonumber(head, 36)
    if first and first < now and sample[j] ~= ARGV[1] then
      local other = unpack_entries(sample[j + 1])
      if other and #prune(other, now, nil) == 0 then redis.call('HDEL', KEYS[1], sample[j]) end
    end
  end
end

if latest > 0 then
  local ttl = redis.call('PTTL', KEYS[1])
  local now_ms = now * 1000 + math.floor(tonumber(time[2]) / 1000)
  if ttl == -1 or (ttl >= 0 and now_ms + ttl < (latest + 1) * 1000) then
    redis.call('EXPIREAT', KEYS[1], latest + 1)
  end
end
return 1
`;

/**
 * Drops a user's expired entries and returns the remaining session keys.
 * KEYS[1] bucket; ARGV[1] user id.
 */
export const INDEX_LIST_SCRIPT = `${USER_INDEX_PRELUDE}
local now = tonumber(redis.call('TIME')[1])
local entries = read_entries(KEYS[1], ARGV[1])
if not entries then return redis.error_reply(CORRUPT) end
local kept, pruned = prune(entries, now, nil)
if pruned then store_entries(KEYS[1], ARGV[1], kept) end
local keys = {}
for j = 1, #kept do keys[j] = kept[j][1] end
return keys
`;

/**
 * Removes one session from its user's index (and that user's expired entries).
 * KEYS[1] bucket; ARGV[1] user id; ARGV[2] session key.
 */
export const INDEX_REMOVE_SCRIPT = `${USER_INDEX_PRELUDE}
local now = tonumber(redis.call('TIME')[1])
local entries = read_entries(KEYS[1], ARGV[1])
if not entries then return redis.error_reply(CORRUPT) end
local kept, pruned = prune(entries, now, ARGV[2])
if pruned then store_entries(KEYS[1], ARGV[1], kept) end
return 1
`;

/** Names under which the scripts are defined on the client (namespaced: the client may be shared). */
export const COMMANDS = {
  cas: 'spartanSessionsCas',
  touch: 'spartanSessionsTouch',
  indexAdd: 'spartanSessionsIndexAdd',
  indexList: 'spartanSessionsIndexList',
  indexRemove: 'spartanSessionsIndexRemove',
} as const;

export const SCRIPTS: Record<keyof typeof COMMANDS, string> = {
  cas: CAS_SCRIPT,
  touch: TOUCH_SCRIPT,
  indexAdd: INDEX_ADD_SCRIPT,
  indexList: INDEX_LIST_SCRIPT,
  indexRemove: INDEX_REMOVE_SCRIPT,
};
