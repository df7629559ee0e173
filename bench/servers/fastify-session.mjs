// @fastify/session 11 (+ @fastify/cookie) on Fastify 5, saveUninitialized off as for
// express-session. STORE=memory: its built-in store; STORE=redis: connect-redis 7 over ioredis,
// or (fastify-session-node-redis.mjs) connect-redis 11 over node-redis 6, today's install
// (@fastify/session takes express-session stores). CSRF: a `csrf` secret in the session, which
// is what @fastify/csrf-protection does with `sessionPlugin: '@fastify/session'`.
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import RedisStore from 'connect-redis';
import { RedisStore as CurrentRedisStore } from 'connect-redis-current';
import Tokens from 'csrf';
import Fastify from 'fastify';
import {
  announce,
  countHotKeys,
  HOT_KEY_PREFIX,
  nodeRedisClient,
  redisClient,
  SECRET,
  SESSION_TTL_MS,
  settings,
} from './lib/common.mjs';

// The shared clients of lib/common.mjs (closed on exit); node-redis's is connected before the
// server announces itself.
const store =
  settings.store !== 'redis'
    ? undefined
    : process.env.FASTIFY_SESSION_REDIS === 'node-redis'
      ? new CurrentRedisStore({ client: await nodeRedisClient(), prefix: settings.prefix })
      : new RedisStore({ client: redisClient(), prefix: settings.prefix });
const tokens = new Tokens();
const app = Fastify({ logger: false });
app.register(fastifyCookie);
app.register(fastifySession, {
  secret: SECRET,
  saveUninitialized: false,
  cookie: { secure: false, httpOnly: true, sameSite: 'lax', maxAge: SESSION_TTL_MS },
  ...(store ? { store } : {}),
});
app.get('/login', async (request) => {
  await request.session.regenerate();
  request.session.set('n', 0);
  if (request.query.user) request.session.set('userId', String(request.query.user));
  return 'ok';
});
app.get('/hit', async (request) => {
  const n = (request.session.get('n') ?? 0) + 1;
  request.session.set('n', n);
  return String(n);
});
app.get('/new', async (request) => {
  request.session.set('n', 1);
  return '1';
});
app.get('/form', async (request) => {
  let secret = request.session.get('_csrf');
  if (!secret) {
    secret = tokens.secretSync();
    request.session.set('_csrf', secret);
  }
  return tokens.create(secret);
});
app.post('/submit', async (request, reply) => {
  const secret = request.session.get('_csrf');
  if (!secret || !tokens.verify(secret, String(request.headers['x-csrf-token']))) {
    return reply.code(403).send('invalid csrf token');
  }
  const n = (request.session.get('n') ?? 0) + 1;
  request.session.set('n', n);
  return String(n);
});
app.get('/hot', async (request) => {
  request.session.set(HOT_KEY_PREFIX + request.query.k, 1);
  return 'ok';
});
app.get('/hot/count', async (request) => ({ keys: countHotKeys(request.session) }));

await app.listen({ port: settings.port, host: '127.0.0.1' });
announce(app.server.address().port);
