// Ours on Koa with @spartan-sessions/store-redis over ioredis (auto-pipelining on, the client
// of lib/common.mjs) instead of node-redis: the same server as koa-spartan.mjs, our second Redis
// row, for users of either client (see registry.mjs).
process.env.SPARTAN_REDIS_CLIENT = 'ioredis';
await import('./koa-spartan.mjs');
