// koa-session 7 with its koa-redis-like store (GET / SET … PX / DEL) over node-redis 6 instead
// of ioredis: the same server as koa-session.mjs, with the other Redis client.
process.env.KOA_SESSION_REDIS = 'node-redis';
await import('./koa-session.mjs');
