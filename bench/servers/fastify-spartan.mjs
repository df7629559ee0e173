// Ours on Fastify 5: @spartan-sessions/adapter-fastify with the default (secure) policy.
// STORE=memory: core's MemoryStore; STORE=redis: @spartan-sessions/store-redis over node-redis
// (over ioredis with SPARTAN_REDIS_CLIENT=ioredis, as fastify-spartan-ioredis.mjs sets it).
// The cookie is `__Host-spartan; Secure`: requests to 127.0.0.1 count as secure
// (`transport.localhostIsSecure`), as browsers treat it, so plain http works here.
import { spartan } from '@spartan-sessions/adapter-fastify';
import Fastify from 'fastify';
import { announce, countHotKeys, HOT_KEY_PREFIX, SECRET, settings } from './lib/common.mjs';
import { spartanStore } from './lib/spartan.mjs';

const store = await spartanStore();
const { sessions } = spartan({ secrets: SECRET, store });
const csrf = sessions.csrf({ cookie: false });

const app = Fastify({ logger: false });
await app.register(sessions.sessioner);
app.get('/login', async (request) => {
  request.session.n = 0;
  if (request.query.user) await request.session.authenticate(String(request.query.user));
  return 'ok';
});
app.get('/hit', async (request) => {
  request.session.n = (request.session.n ?? 0) + 1;
  return String(request.session.n);
});
app.get('/new', async (request) => {
  request.session.n = 1;
  return '1';
});
app.get('/form', { preHandler: csrf }, async (_request, reply) => reply.csrfToken());
app.post('/submit', { preHandler: csrf }, async (request) => {
  request.session.n = (request.session.n ?? 0) + 1;
  return String(request.session.n);
});
app.get('/hot', async (request) => {
  request.session[HOT_KEY_PREFIX + request.query.k] = 1;
  return 'ok';
});
app.get('/hot/count', async (request) => ({ keys: countHotKeys(request.session) }));

await app.listen({ port: settings.port, host: '127.0.0.1' });
announce(app.server.address().port);
