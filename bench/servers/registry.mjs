// Every contender the harness runs. Adding one (say our Fastify adapter) is a server file in
// this folder plus one line below; the orchestrator, the tables and the targets pick it up.
//
// - framework: rows are grouped by it; the `bare` contender is every row's baseline.
// - role: 'bare' (no session), 'peer' (a library users pick today) or 'ours'.
// - stores: the STORE values it runs with: 'memory' (server-side, in process), 'redis',
//   'cookie' (the session itself lives in the cookie), 'none' (bare).
// - storeNames: how a store is named in the tables (e.g. connect-redis for express-session).
// - hot: false when the hot-session scenario cannot apply (cookie sessions: the state is the
//   client's, so parallel writes to one session do not exist on the server).
// - growth: runs the store-growth scenario (the server has the bench-only /_bench/fill route).
// - redisBytes: measured in the Redis-bytes-per-session scenario.
// - targets: false for a second row of ours that the tables show but the targets skip:
//   our Redis rows run on node-redis (the `redis` package, as connect-redis 11 does today), and
//   each framework has a second one on ioredis (`<framework>-spartan-ioredis.mjs`, the same
//   server with the other client) so users of either client see their figure; targets, growth
//   and Redis bytes (a layout that does not depend on the client) use the node-redis row.
//   Each peer library with a Redis store has two rows too, one per client (connect-redis 7 on
//   ioredis and connect-redis 11 on node-redis for express-session and @fastify/session; the
//   same koa-redis-like store on either client for koa-session), so a framework's best peer on
//   Redis ("× best peer", the faster peer row) is also measured on the client our targeted row
//   uses. A library's Redis bytes are measured on one of its rows only (`redisBytes`, the ioredis
//   one), for the same reason as ours.
export const contenders = [
  { framework: 'express', name: 'express (bare)', role: 'bare', file: 'express-bare.mjs', stores: ['none'] },
  {
    framework: 'express',
    name: 'express-session',
    role: 'peer',
    file: 'express-express-session.mjs',
    stores: ['memory', 'redis'],
    storeNames: { memory: 'MemoryStore', redis: 'connect-redis 7 / ioredis' },
    growth: true,
    redisBytes: true,
  },
  {
    framework: 'express',
    name: 'express-session',
    role: 'peer',
    file: 'express-express-session-node-redis.mjs',
    stores: ['redis'],
    storeNames: { redis: 'connect-redis 11 / node-redis' },
  },
  {
    framework: 'express',
    name: 'iron-session',
    role: 'peer',
    file: 'express-iron-session.mjs',
    stores: ['cookie'],
    hot: false,
  },
  {
    framework: 'express',
    name: 'spartan-sessions',
    role: 'ours',
    file: 'express-spartan.mjs',
    stores: ['memory', 'redis'],
    storeNames: { memory: 'MemoryStore', redis: 'store-redis / node-redis' },
    growth: true,
    redisBytes: true,
  },
  {
    framework: 'express',
    name: 'spartan-sessions',
    role: 'ours',
    file: 'express-spartan-ioredis.mjs',
    stores: ['redis'],
    storeNames: { redis: 'store-redis / ioredis' },
    targets: false,
  },
  { framework: 'fastify', name: 'fastify (bare)', role: 'bare', file: 'fastify-bare.mjs', stores: ['none'] },
  {
    framework: 'fastify',
    name: '@fastify/session',
    role: 'peer',
    file: 'fastify-session.mjs',
    stores: ['memory', 'redis'],
    storeNames: { memory: 'MemoryStore', redis: 'connect-redis 7 / ioredis' },
    redisBytes: true,
  },
  {
    framework: 'fastify',
    name: '@fastify/session',
    role: 'peer',
    file: 'fastify-session-node-redis.mjs',
    stores: ['redis'],
    storeNames: { redis: 'connect-redis 11 / node-redis' },
  },
  {
    framework: 'fastify',
    name: 'spartan-sessions',
    role: 'ours',
    file: 'fastify-spartan.mjs',
    stores: ['memory', 'redis'],
    storeNames: { memory: 'MemoryStore', redis: 'store-redis / node-redis' },
  },
  {
    framework: 'fastify',
    name: 'spartan-sessions',
    role: 'ours',
    file: 'fastify-spartan-ioredis.mjs',
    stores: ['redis'],
    storeNames: { redis: 'store-redis / ioredis' },
    targets: false,
  },
  { framework: 'koa', name: 'koa (bare)', role: 'bare', file: 'koa-bare.mjs', stores: ['none'] },
  {
    framework: 'koa',
    name: 'koa-session',
    role: 'peer',
    file: 'koa-session.mjs',
    stores: ['cookie', 'memory', 'redis'],
    storeNames: { cookie: 'cookie (default)', memory: 'Map store', redis: 'ioredis store' },
    hot: true,
    redisBytes: true,
  },
  {
    framework: 'koa',
    name: 'koa-session',
    role: 'peer',
    file: 'koa-session-node-redis.mjs',
    stores: ['redis'],
    storeNames: { redis: 'node-redis store' },
    hot: true,
  },
  {
    framework: 'koa',
    name: 'spartan-sessions',
    role: 'ours',
    file: 'koa-spartan.mjs',
    stores: ['memory', 'redis'],
    storeNames: { memory: 'MemoryStore', redis: 'store-redis / node-redis' },
  },
  {
    framework: 'koa',
    name: 'spartan-sessions',
    role: 'ours',
    file: 'koa-spartan-ioredis.mjs',
    stores: ['redis'],
    storeNames: { redis: 'store-redis / ioredis' },
    targets: false,
  },
];

/** One runnable row: a contender with one of its stores. */
export function variantsOf(list = contenders) {
  return list.flatMap((contender) =>
    contender.stores.map((store) => ({
      ...contender,
      store,
      storeName: contender.storeNames?.[store] ?? store,
      key: `${contender.file.replace(/\.mjs$/, '')}@${store}`,
      hot: contender.role !== 'bare' && store !== 'cookie' && contender.hot !== false,
    })),
  );
}
