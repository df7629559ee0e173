// express-session 1.19 on Express 5, the way its README sets it up (resave and
// saveUninitialized off), with csrf-sync for the synchronizer-token CSRF rows.
// STORE=memory: express-session's MemoryStore; STORE=redis: connect-redis 7 over ioredis, or
// (express-express-session-node-redis.mjs) connect-redis 11 over node-redis 6, today's install.
import RedisStore from 'connect-redis';
import { RedisStore as CurrentRedisStore } from 'connect-redis-current';
import { csrfSync } from 'csrf-sync';
import express from 'express';
import session from 'express-session';
import {
  announce,
  countHotKeys,
  createFiller,
  expressSessionRecord,
  HOT_KEY_PREFIX,
  nodeRedisClient,
  randomKey,
  redisClient,
  SECRET,
  SESSION_TTL_MS,
  settings,
} from './lib/common.mjs';

// The shared clients of lib/common.mjs (closed on exit); node-redis's is connected before the
// server announces itself, and pipelines the commands of one tick by itself.
const store =
  settings.store !== 'redis'
    ? new session.MemoryStore()
    : process.env.EXPRESS_SESSION_REDIS === 'node-redis'
      ? new CurrentRedisStore({ client: await nodeRedisClient(), prefix: settings.prefix })
      : new RedisStore({ client: redisClient(), prefix: settings.prefix });
const { csrfSynchronisedProtection, generateToken } = csrfSync();
const fillTo = createFiller(
  (i) =>
    new Promise((resolve, reject) =>
      store.set(randomKey(), expressSessionRecord(i), (error) => (error ? reject(error) : resolve())),
    ),
);

const app = express();
app.use(
  session({
    secret: SECRET,
    store,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: SESSION_TTL_MS },
  }),
);
app.get('/login', (req, res, next) => {
  // Log-in as express-session's README does it: a new id, then the user in the session.
  req.session.regenerate((error) => {
    if (error) return next(error);
    req.session.n = 0;
    if (req.query.user) req.session.userId = String(req.query.user);
    res.send('ok');
  });
});
app.get('/hit', (req, res) => {
  req.session.n = (req.session.n ?? 0) + 1;
  res.send(String(req.session.n));
});
app.get('/new', (req, res) => {
  req.session.n = 1;
  res.send('1');
});
app.get('/form', (req, res) => res.send(generateToken(req)));
app.post('/submit', csrfSynchronisedProtection, (req, res) => {
  req.session.n = (req.session.n ?? 0) + 1;
  res.send(String(req.session.n));
});
app.get('/hot', (req, res) => {
  req.session[HOT_KEY_PREFIX + req.query.k] = 1;
  res.send('ok');
});
app.get('/hot/count', (req, res) => res.json({ keys: countHotKeys(req.session) }));
app.get('/_bench/fill', async (req, res) => res.json({ filled: await fillTo(Number(req.query.to)) }));

const server = app.listen(settings.port, '127.0.0.1', () => announce(server.address().port));
