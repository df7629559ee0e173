// Ours on Express 5: @spartan-sessions/adapter-express with the default (secure) policy.
// STORE=memory: core's MemoryStore; STORE=redis: @spartan-sessions/store-redis over node-redis
// (over ioredis with SPARTAN_REDIS_CLIENT=ioredis, as express-spartan-ioredis.mjs sets it).
// The cookie is `__Host-spartan; Secure`: requests to 127.0.0.1 count as secure
// (`transport.localhostIsSecure`), as browsers treat it, so plain http works here.
import { spartan } from '@spartan-sessions/adapter-express';
import express from 'express';
import {
  announce,
  countHotKeys,
  createFiller,
  HOT_KEY_PREFIX,
  randomKey,
  SECRET,
  SESSION_TTL_MS,
  settings,
  spartanRecord,
} from './lib/common.mjs';
import { spartanStore } from './lib/spartan.mjs';

const store = await spartanStore();
const { sessions } = spartan({ secrets: SECRET, store });
const csrf = sessions.csrf({ cookie: false });
const fillTo = createFiller((i) => {
  const now = Date.now();
  return store.set(randomKey(), spartanRecord(i, now), { expiresAt: now + SESSION_TTL_MS, expectedVersion: null });
});

const app = express();
app.use(sessions.sessioner);
app.get('/login', async (req, res) => {
  req.session.n = 0;
  if (req.query.user) await req.session.authenticate(String(req.query.user));
  res.send('ok');
});
app.get('/hit', (req, res) => {
  req.session.n = (req.session.n ?? 0) + 1;
  res.send(String(req.session.n));
});
app.get('/new', (req, res) => {
  req.session.n = 1;
  res.send('1');
});
app.get('/form', csrf, (req, res) => res.send(req.csrfToken()));
app.post('/submit', csrf, (req, res) => {
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
