// express-session 1.19 on connect-redis 11 over node-redis 6: what `npm install connect-redis
// redis express-session` gives an Express app today (issue 19). The same server as
// express-express-session.mjs, with the other Redis store.
process.env.EXPRESS_SESSION_REDIS = 'node-redis';
await import('./express-express-session.mjs');
