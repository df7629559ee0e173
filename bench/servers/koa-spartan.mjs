// Ours on Koa 3 (+ @koa/router): @spartan-sessions/adapter-koa with the default (secure) policy.
// STORE=memory: core's MemoryStore; STORE=redis: @spartan-sessions/store-redis over node-redis
// (over ioredis with SPARTAN_REDIS_CLIENT=ioredis, as koa-spartan-ioredis.mjs sets it).
// The cookie is `__Host-spartan; Secure`: requests to 127.0.0.1 count as secure
// (`transport.localhostIsSecure`), as browsers treat it, so plain http works here.
import Router from '@koa/router';
import { spartan } from '@spartan-sessions/adapter-koa';
import Koa from 'koa';
import { announce, countHotKeys, HOT_KEY_PREFIX, SECRET, settings } from './lib/common.mjs';
import { spartanStore } from './lib/spartan.mjs';

const store = await spartanStore();
const { sessions } = spartan({ secrets: SECRET, store });
const csrf = sessions.csrf({ cookie: false });

const app = new Koa();
app.use(sessions.sessioner);
const router = new Router();
router.get('/login', async (ctx) => {
  ctx.session.n = 0;
  if (ctx.query.user) await ctx.session.authenticate(String(ctx.query.user));
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
router.get('/form', csrf, (ctx) => {
  ctx.body = ctx.csrfToken();
});
router.post('/submit', csrf, (ctx) => {
  ctx.session.n = (ctx.session.n ?? 0) + 1;
  ctx.body = String(ctx.session.n);
});
router.get('/hot', (ctx) => {
  ctx.session[HOT_KEY_PREFIX + ctx.query.k] = 1;
  ctx.body = 'ok';
});
router.get('/hot/count', (ctx) => {
  ctx.body = { keys: countHotKeys(ctx.session) };
});
app.use(router.routes());

const server = app.listen(settings.port, '127.0.0.1', () => announce(server.address().port));
