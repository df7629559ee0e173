// iron-session 8 on Express 5: the whole session sealed in the cookie (no store, so STORE is
// ignored and it is listed as `cookie`). CSRF: a `csrf` secret kept in the sealed session.
import Tokens from 'csrf';
import express from 'express';
import { getIronSession } from 'iron-session';
import { announce, SECRET, SESSION_TTL_MS, settings } from './lib/common.mjs';

const options = {
  password: SECRET,
  cookieName: 'iron',
  ttl: SESSION_TTL_MS / 1000,
  cookieOptions: { secure: false, httpOnly: true, sameSite: 'lax' },
};
const tokens = new Tokens();
const sessionOf = (req, res) => getIronSession(req, res, options);

const app = express();
app.get('/login', async (req, res) => {
  const session = await sessionOf(req, res);
  session.n = 0;
  if (req.query.user) session.userId = String(req.query.user);
  await session.save();
  res.send('ok');
});
app.get('/hit', async (req, res) => {
  const session = await sessionOf(req, res);
  session.n = (session.n ?? 0) + 1;
  await session.save();
  res.send(String(session.n));
});
app.get('/new', async (req, res) => {
  const session = await sessionOf(req, res);
  session.n = 1;
  await session.save();
  res.send('1');
});
app.get('/form', async (req, res) => {
  const session = await sessionOf(req, res);
  if (!session.csrfSecret) {
    session.csrfSecret = tokens.secretSync();
    await session.save();
  }
  res.send(tokens.create(session.csrfSecret));
});
app.post('/submit', async (req, res) => {
  const session = await sessionOf(req, res);
  if (!session.csrfSecret || !tokens.verify(session.csrfSecret, String(req.headers['x-csrf-token']))) {
    res.status(403).send('invalid csrf token');
    return;
  }
  session.n = (session.n ?? 0) + 1;
  await session.save();
  res.send(String(session.n));
});

const server = app.listen(settings.port, '127.0.0.1', () => announce(server.address().port));
