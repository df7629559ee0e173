// What every contender server shares: its settings from the environment, the Redis clients, the
// `ready <port>` handshake with the orchestrator, a clean exit on SIGTERM, and the bench-only
// helpers that fill a store with sessions (store-growth scenario).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient } from 'redis';

/** One secret for every contender (each library signs or seals its cookie with it). */
export const SECRET = 'bench-only-secret-never-use-it-in-production-0123456789';

/** A session's lifetime, the same for every contender: 12 hours (the spartan default `ttl`). */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** Keys the hot-session scenario writes: `hot_<n>`, one per request. */
export const HOT_KEY_PREFIX = 'hot_';

export const settings = {
  /** 0: let the OS pick, the orchestrator reads the port from the `ready` line. */
  port: Number(process.env.PORT ?? 0),
  /** `memory`, `redis` or `cookie` (client-side sessions); a contender picks its store by it. */
  store: process.env.STORE ?? 'memory',
  /** Key prefix of this server's Redis keys: unique per run and contender, deleted afterwards. */
  prefix: process.env.PREFIX ?? 'bench:',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  /** Room in bounded in-process stores, enough for the 1M-session growth scenario. */
  maxSessions: Number(process.env.MAX_SESSIONS ?? 1_200_000),
};

let client = null;
let nodeRedis = null;
let nodeRedisConnected = null;

/** The server's one ioredis client (lazily created, closed on exit). */
export function redisClient() {
  // Auto-pipelining (ioredis batches the commands issued in one event-loop tick into one socket
  // write) is on for every contender: it is what @spartan-sessions/store-redis turns on for a
  // client it creates and recommends for one it is given, and any user of the peers can set it
  // on their client too, so the comparison stays like for like. AUTO_PIPELINING=0 turns it off.
  client ??= new Redis(settings.redisUrl, {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    enableAutoPipelining: process.env.AUTO_PIPELINING !== '0',
  });
  return client;
}

/**
 * The server's one node-redis client (`redis` 6), connected: resolves once it is, so a server
 * awaits it before it announces itself ready (lazily created, destroyed on exit). node-redis
 * writes the commands issued in one event-loop tick in one go by itself: no option for that.
 */
export function nodeRedisClient() {
  if (nodeRedis === null) {
    nodeRedis = createClient({ url: settings.redisUrl });
    // What store-redis's README asks for: node-redis throws an 'error' event nobody listens to,
    // and a lost connection would end the server instead of answering 503 until it is back.
    nodeRedis.on('error', () => {});
  }
  nodeRedisConnected ??= nodeRedis.connect();
  return nodeRedisConnected;
}

/** Number of `hot_*` keys in a session's data. */
export function countHotKeys(data) {
  let count = 0;
  for (const key of Object.keys(data ?? {})) if (key.startsWith(HOT_KEY_PREFIX)) count++;
  return count;
}

/**
 * Tells the orchestrator the server is listening (`ready <port>` on stdout) and makes SIGTERM
 * close the Redis clients and exit.
 */
export function announce(port) {
  process.stdout.write(`ready ${port}\n`);
  const stop = () => {
    if (client !== null) client.disconnect();
    if (nodeRedis !== null) nodeRedis.destroy();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** A random id like the ones the libraries generate (used as fill keys). */
export function randomKey() {
  return randomBytes(32).toString('base64url');
}

/**
 * Runs `add(i)` for i in [from, to) with at most `concurrency` calls in flight: fast enough to
 * put a million sessions into Redis (ioredis and node-redis pipeline whatever is in flight).
 */
export async function fillInBatches(from, to, add, concurrency = 2000) {
  for (let start = from; start < to; start += concurrency) {
    const end = Math.min(to, start + concurrency);
    const batch = [];
    for (let i = start; i < end; i++) batch.push(add(i));
    await Promise.all(batch);
  }
}

/**
 * The bench-only fill endpoint's logic: `fillTo(n)` adds sessions until the store holds `n` of
 * them (on top of the ones real requests created). `add(i)` stores session number `i`.
 */
export function createFiller(add) {
  let filled = 0;
  let running = Promise.resolve();
  return function fillTo(target) {
    running = running.then(async () => {
      if (target > filled) {
        await fillInBatches(filled, target, add);
        filled = target;
      }
      return filled;
    });
    return running;
  };
}

/** A session record in spartan's `StoredSession` shape, for filling our stores. */
export function spartanRecord(i, now = Date.now()) {
  return {
    version: 1,
    data: { n: 0 },
    createdAt: now,
    lastSeenAt: now,
    rotatedAt: now,
    // Every filled session belongs to a user (4 sessions per user), so user indexes grow too.
    userId: `filler-${i >> 2}`,
    authenticatedAt: now,
    zone: 'normal',
    csrfSecret: null,
  };
}

/** An express-session / @fastify/session record as those libraries store it. */
export function expressSessionRecord(i, now = Date.now()) {
  return {
    cookie: {
      originalMaxAge: SESSION_TTL_MS,
      expires: new Date(now + SESSION_TTL_MS).toISOString(),
      httpOnly: true,
      path: '/',
      sameSite: 'lax',
    },
    n: 0,
    userId: `filler-${i >> 2}`,
  };
}
