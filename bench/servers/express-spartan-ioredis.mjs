// Ours on Express with @spartan-sessions/store-redis over ioredis (auto-pipelining on, the client
// of lib/common.mjs) instead of node-redis: the same server as express-spartan.mjs, our second Redis
// row, for users of either client (see registry.mjs).
process.env.SPARTAN_REDIS_CLIENT = 'ioredis';
await import('./express-spartan.mjs');
