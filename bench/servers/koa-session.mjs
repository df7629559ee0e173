// koa-session 7 on Koa 3 (+ @koa/router). koa-session ships no server-side store:
// STORE=cookie is its default (the session itself in a signed cookie); STORE=memory an
// in-process Map of JSON strings with expiry (what express-session's MemoryStore does);
// STORE=redis a store as koa-redis writes it (GET / SET … PX / DEL) over ioredis, or
// (koa-session-node-redis.mjs) the same store over node-redis 6. CSRF: a `csrf` secret in the
// session, which is what koa-csrf does.
import Router from '@koa/router';
import Tokens from 'csrf';
import Koa from 'koa';
import session from 'koa-session';
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

function memoryStore() {
  const records = new Map();
  return {
    async get(key) {
      const entry = records.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= Date.now()) {
        records.delete(key);
        return undefined;
      }
      return JSON.parse(entry.json);
    },
    async set(key, value, maxAge) {
      records.set(key, { json: JSON.stringify(value), expiresAt: Date.now() + maxAge });
    },
    async destroy(key) {
      records.delete(key);
    },
  };
}

// The same three commands on either client; only the SET's expiry is spelled differently.
function redisStore(client, prefix, setWithExpiry) {
  return {
    async get(key) {
      const json = await client.get(prefix + key);
      return json === null ? undefined : JSON.parse(json);
    },
    async set(key, value, maxAge) {
      await setWithExpiry(prefix + key, JSON.stringify(value), maxAge);
    },
    async destroy(key) {
      await client.del(prefix + key);
    },
  };
}

// The shared clients of lib/common.mjs (closed on exit); node-redis's is connected before the
// server announces itself.
async function redis() {
  if (process.env.KOA_SESSION_REDIS === 'node-redis') {
    const client = await nodeRedisClient();
    return redisStore(client, settings.prefix, (key, json, ms) =>
      client.set(key, json, { expiration: { type: 'PX', value: ms } }),
    );
  }
  const client = redisClient();
  return redisStore(client, settings.prefix, (key, json, ms) => client.set(key, json, 'PX', ms));
}
const stores = { memory: memoryStore, redis };
const tokens = new Tokens();
const app = new Koa();
app.keys = [SECRET];
app.use(
  session(
    {
      maxAge: SESSION_TTL_MS,
      httpOnly: true,
      signed: true,
      secure: false,
      sameSite: 'lax',
      ...(stores[settings.store] ? { store: await stores[settings.store]() } : {}),
    },
    app,
  ),
);
const router = new Router();
router.get('/login', (ctx) => {
  ctx.session.n = 0;
  if (ctx.query.user) ctx.session.userId = String(ctx.query.user);
  ctx.body = 'ok';
});
router.get('/hit', (ctx) => {
  ctx.session.n = (ctx.session.n ?? 0) + 1;
  ctx.body = String(ctx.session.n);
});
router.get('/new', (ctx) => {
  ctx.session.n = 1;
  ctx.body = '1';
});
router.get('/form', (ctx) => {
  ctx.session.csrfSecret ??= tokens.secretSync();
  ctx.body = tokens.create(ctx.session.csrfSecret);
});
router.post('/submit', (ctx) => {
  const secret = ctx.session.csrfSecret;
  if (!secret || !tokens.verify(secret, String(ctx.get('x-csrf-token')))) {
    ctx.status = 403;
    ctx.body = 'invalid csrf token';
    return;
  }
  ctx.session.n = (ctx.session.n ?? 0) + 1;
  ctx.body = String(ctx.session.n);
});
router.get('/hot', (ctx) => {
  ctx.session[HOT_KEY_PREFIX + ctx.query.k] = 1;
  ctx.body = 'ok';
});
router.get('/hot/count', (ctx) => {
  ctx.body = { keys: countHotKeys(ctx.session.toJSON()) };
});
app.use(router.routes());

const server = app.listen(settings.port, '127.0.0.1', () => announce(server.address().port));
