// Revocation, in a child process pinned to the servers' core. Input: JSON spec in argv[2]
// ({ others, counts, repeats, prefix, redisUrl, stores }). For each store it fills `others`
// sessions (4 per user), then gives one user 1, 10, 1000 sessions and times taking all of
// them away:
// - ours: `manager.revokeUser(userId)` (per-user index: cost follows the user's sessions);
// - express-session (MemoryStore, connect-redis): no per-user index, so the only way is the
//   store's `all()` (a full scan) then `destroy()` of the matches.
// Output: `result [...]` rows { contender, store, userSessions, others, ms: [...], revoked }.
import { performance } from 'node:perf_hooks';
import { MemoryStore, SessionManager } from '@spartan-sessions/core';
import { nodeCrypto } from '@spartan-sessions/core/node';
import { RedisStore } from '@spartan-sessions/store-redis';
import RedisSessionStore from 'connect-redis';
import session from 'express-session';
import { Redis } from 'ioredis';
import {
  expressSessionRecord,
  fillInBatches,
  randomKey,
  SECRET,
  SESSION_TTL_MS,
  spartanRecord,
} from '../servers/lib/common.mjs';

const spec = JSON.parse(process.argv[2]);
const rows = [];
const progress = (line) => process.stdout.write(`${line}\n`);

async function ours(storeKind, client) {
  const store =
    storeKind === 'redis'
      ? new RedisStore({ client, prefix: `${spec.prefix}ours:` })
      : new MemoryStore({ maxSessions: spec.others + 20_000 });
  const manager = new SessionManager({ secrets: SECRET, store, crypto: nodeCrypto });
  const put = (userId, i) => {
    const now = Date.now();
    const record = spartanRecord(i, now);
    if (userId !== null) record.userId = userId;
    return store.set(randomKey(), record, { expiresAt: now + SESSION_TTL_MS, expectedVersion: null });
  };
  const started = performance.now();
  await fillInBatches(0, spec.others, (i) => put(null, i));
  progress(`    spartan-sessions (${storeKind}): ${spec.others} sessions filled in ${elapsed(started)} s`);
  for (const count of spec.counts) {
    const ms = [];
    let revoked = 0;
    for (let repeat = 0; repeat < spec.repeats; repeat++) {
      const userId = `target-${count}-${repeat}`;
      await fillInBatches(0, count, (i) => put(userId, i));
      const t0 = performance.now();
      revoked = await manager.revokeUser(userId);
      ms.push(performance.now() - t0);
      if (revoked !== count) throw new Error(`revokeUser revoked ${revoked} of ${count} sessions`);
    }
    rows.push({
      contender: 'spartan-sessions',
      store: storeKind,
      method: 'manager.revokeUser()',
      userSessions: count,
      others: spec.others,
      ms,
      revoked,
    });
  }
}

async function expressSession(storeKind, client) {
  const store =
    storeKind === 'redis' ? new RedisSessionStore({ client, prefix: `${spec.prefix}es:` }) : new session.MemoryStore();
  const call = (method, ...args) =>
    new Promise((resolve, reject) =>
      store[method](...args, (error, value) => (error ? reject(error) : resolve(value))),
    );
  const put = (userId, i) => {
    const record = expressSessionRecord(i);
    if (userId !== null) record.userId = userId;
    return call('set', randomKey(), record);
  };
  const started = performance.now();
  await fillInBatches(0, spec.others, (i) => put(null, i));
  progress(`    express-session (${storeKind}): ${spec.others} sessions filled in ${elapsed(started)} s`);
  for (const count of spec.counts) {
    // A full scan costs the same whatever the user: one measurement per count is enough.
    const userId = `target-${count}`;
    await fillInBatches(0, count, (i) => put(userId, i));
    const t0 = performance.now();
    const all = await call('all');
    // MemoryStore: { sid: session }; connect-redis: [session with .id].
    const entries = Array.isArray(all) ? all.map((s) => [s.id, s]) : Object.entries(all);
    const mine = entries.filter(([, s]) => s.userId === userId);
    await Promise.all(mine.map(([sid]) => call('destroy', sid)));
    const ms = performance.now() - t0;
    if (mine.length !== count) throw new Error(`the scan found ${mine.length} of ${count} sessions`);
    rows.push({
      contender: 'express-session',
      store: storeKind,
      method: 'store.all() + destroy() (no user index)',
      userSessions: count,
      others: spec.others,
      ms: [ms],
      revoked: mine.length,
    });
  }
}

function elapsed(since) {
  return ((performance.now() - since) / 1000).toFixed(1);
}

for (const storeKind of spec.stores) {
  const client = storeKind === 'redis' ? new Redis(spec.redisUrl) : null;
  try {
    await ours(storeKind, client);
    await expressSession(storeKind, client);
  } finally {
    client?.disconnect();
  }
}
process.stdout.write(`result ${JSON.stringify(rows)}\n`);
