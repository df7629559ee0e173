import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spartan } from '../src/index.js';
import { Browser, listen, type Running, SESSION_COOKIE, setCookie } from './support/http.js';
import { SECRET } from './support/stores.js';

// The express-session "remember me" lines, unchanged: req.session.cookie.maxAge (ms) and
// req.session.cookie.expires = false, inside a regenerate() callback as login code writes them.
const DAY = 86_400_000;
const TTL_SECONDS = 7 * 24 * 3600;

describe('req.session.cookie: remember me as express-session apps write it', () => {
  let running: Running;

  beforeAll(async () => {
    const { sessions } = spartan({
      secrets: SECRET,
      policy: { config: { duration: { ttl: TTL_SECONDS, idle: TTL_SECONDS } } },
    });
    const app = express();
    app.use(express.urlencoded({ extended: false }), sessions.sessioner);
    app.post('/login', (req, res, next) => {
      req.session.regenerate((error) => {
        if (error) return next(error);
        req.session.user = 'alice';
        if (req.body.remember === 'on') req.session.cookie.maxAge = 30 * DAY;
        else req.session.cookie.expires = false;
        res.json({ maxAge: req.session.cookie.maxAge });
      });
    });
    app.get('/me', (req, res) => {
      res.json({ user: req.session.user ?? null, maxAge: req.session.cookie.maxAge });
    });
    running = await listen(app);
  });

  afterAll(() => running.close());

  it('"remember me" ticked: a persistent cookie, capped at the policy ttl (30 days asked, 7 allowed)', async () => {
    const browser = new Browser(running.url);
    const before = Date.now();
    const login = await browser.post('/login', { remember: 'on' });
    // Milliseconds until the cookie expires (a moment after the session began: the real clock).
    const { maxAge } = (await login.json()) as { maxAge: number };
    expect(maxAge).toBeLessThanOrEqual(TTL_SECONDS * 1000);
    expect(maxAge).toBeGreaterThan(TTL_SECONDS * 1000 - 60_000);
    const expires = Date.parse(setCookie(login, SESSION_COOKIE)?.attributes.get('expires') ?? '');
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + TTL_SECONDS * 1000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + TTL_SECONDS * 1000);
    const me = await browser.get('/me');
    const body = (await me.json()) as { user: string; maxAge: number };
    expect(body.user).toBe('alice');
    expect(body.maxAge).toBeGreaterThan(TTL_SECONDS * 1000 - 60_000);
  });

  it('"remember me" not ticked: a browser-session cookie (no Expires), and the session still works', async () => {
    const browser = new Browser(running.url);
    const login = await browser.post('/login', {});
    expect(await login.json()).toEqual({ maxAge: null });
    const cookie = setCookie(login, SESSION_COOKIE);
    expect(cookie).toBeDefined();
    expect(cookie?.attributes.has('expires')).toBe(false);
    expect(cookie?.attributes.has('max-age')).toBe(false);
    const me = await browser.get('/me');
    expect(await me.json()).toEqual({ user: 'alice', maxAge: null });
  });
});
