// @fastify/session 11 on connect-redis 11 over node-redis 6: what `npm install connect-redis
// redis @fastify/session` gives a Fastify app today. The same server as fastify-session.mjs,
// with the other Redis store.
process.env.FASTIFY_SESSION_REDIS = 'node-redis';
await import('./fastify-session.mjs');
