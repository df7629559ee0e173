import { Readable } from 'node:stream';
import { createFakeClock, type FakeClock } from '@spartan-sessions/core/testing';
import type { NextFunction, Request, Response } from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SpartanExpress, spartan } from '../src/index.js';
import { Browser, listen, type Running, renderError, SESSION_COOKIE, setCookie } from './support/http.js';
import { describeStoreMatrix } from './support/matrix.js';
import { type ProbeStore, SECRET } from './support/stores.js';

const data = (req: Request) => ({ ...req.session });

describeStoreMatrix('sessioner', ({ express, makeStore }) => {
  let running: Running;
  let clock: FakeClock;
  let store: ProbeStore;
  let spartanExpress: SpartanExpress;

  beforeAll(async () => {
    clock = createFakeClock();
    store = makeStore(clock);
    spartanExpress = spartan({ secrets: SECRET, store, clock });
    const { sessions } = spartanExpress;
    const app = express();
    app.use(sessions.sessioner);
    app.get('/noop', (_req, res) => {
      res.send('ok');
    });
    app.get('/read', (req, res) => {
      res.json({ data: data(req), id: req.sessionID });
    });
    app.get('/set', (req, res) => {
      for (const [key, value] of Object.entries(req.query)) req.session[key] = value;
      res.json({ data: data(req) });
    });
    app.get('/regenerate', async (req, res) => {
      await req.session.regenerate();
      req.session.fresh = true;
      res.json({ data: data(req) });
    });
    app.get('/authenticate', async (req, res) => {
      await req.session.authenticate('alice');
      res.json({ data: data(req), userId: req.session.meta.userId });
    });
    app.get('/destroy', async (req, res) => {
      await req.session.destroy();
      res.send('bye');
    });
    app.get('/ids', async (req, res) => {
      req.session.x = 1;
      const before = { sessionID: req.sessionID, id: req.session.id };
      await req.session.regenerate();
      res.json({ before, after: req.sessionID });
    });
    app.get('/cb/save', (req, res, next) => {
      req.session.saved = 'yes';
      req.session.save((error) => {
        if (error) return next(error);
        // Saved before the response: the store already holds it.
        res.json({ writes: store.writes });
      });
    });
    app.get('/cb/regenerate', (req, res, next) => {
      req.session.regenerate((error) => {
        if (error) return next(error);
        req.session.regenerated = true;
        res.json({ data: data(req) });
      });
    });
    app.get('/cb/destroy', (req, res, next) => {
      req.session.destroy((error) => {
        if (error) return next(error);
        res.send('destroyed');
      });
    });
    app.get('/cb/reload', (req, res, next) => {
      req.session.scratch = 'unsaved';
      req.session.reload((error) => {
        if (error) return next(error);
        res.json({ data: data(req) });
      });
    });
    app.get('/stream', (req, res) => {
      req.session.streamed = true;
      res.setHeader('content-type', 'text/plain');
      res.write('first ');
      setTimeout(() => res.end('last'), 5);
    });
    app.get('/write-head', (req, res) => {
      req.session.head = true;
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.end('created');
    });
    app.get('/pipe', (req, res) => {
      req.session.piped = true;
      res.setHeader('content-type', 'text/plain');
      Readable.from(['a', 'b', 'c'].map((part) => part.repeat(20_000))).pipe(res);
    });
    app.get('/redirect', (req, res) => {
      req.session.redirected = true;
      res.redirect('/read');
    });
    const mounted = express.Router();
    mounted.get('/where', (req, res) => {
      req.session.mounted = req.originalUrl;
      res.json({ data: data(req) });
    });
    app.use('/sub', mounted);
    app.use((err: unknown, req: Request, res: Response, next: NextFunction) => renderError(err, req, res, next));
    running = await listen(app);
  });

  afterAll(() => running.close());

  beforeEach(() => {
    store.writes = 0;
  });

  it('gives a new visitor no cookie until the session holds data', async () => {
    const browser = new Browser(running.url);
    for (const path of ['/noop', '/read']) {
      const response = await browser.get(path);
      expect(response.status).toBe(200);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    expect(store.writes).toBe(0);
  });

  it('sets a __Host- session cookie with the policy attributes and Cache-Control: no-store once data is stored', async () => {
    const browser = new Browser(running.url);
    const response = await browser.get('/set?theme=dark');
    expect(response.status).toBe(200);
    const cookie = setCookie(response, SESSION_COOKIE);
    expect(cookie).toBeDefined();
    expect(cookie!.value).not.toBe('');
    expect(cookie!.attributes.has('httponly')).toBe(true);
    expect(cookie!.attributes.has('secure')).toBe(true);
    expect(cookie!.attributes.get('samesite')).toBe('Lax');
    expect(cookie!.attributes.get('path')).toBe('/');
    expect(cookie!.attributes.has('domain')).toBe(false);
    // The cookie dies with the session: its absolute lifetime (ttl, 12 h) from now.
    expect(Date.parse(cookie!.attributes.get('expires')!)).toBe(Math.floor((clock.now() + 43_200_000) / 1000) * 1000);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(store.writes).toBe(1);
  });

  it('keeps a returning visitor its data, with no Set-Cookie and no store write when nothing changed', async () => {
    const browser = new Browser(running.url);
    await browser.get('/set?theme=dark');
    store.writes = 0;
    const response = await browser.get('/read');
    expect(await response.json()).toMatchObject({ data: { theme: 'dark' } });
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get('cache-control')).toBeNull();
    expect(store.writes).toBe(0);
  });

  it('writes a changed session without re-sending the cookie', async () => {
    const browser = new Browser(running.url);
    await browser.get('/set?step=1');
    store.writes = 0;
    const response = await browser.get('/set?step=2');
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(store.writes).toBe(1);
    expect(await (await browser.get('/read')).json()).toMatchObject({ data: { step: '2' } });
  });

  it('answers a tampered cookie with a fresh empty session, not an error', async () => {
    const browser = new Browser(running.url);
    await browser.get('/set?secret=1');
    const value = browser.session!;
    const last = value.at(-1) === 'A' ? 'B' : 'A';
    browser.cookies.set(SESSION_COOKIE, value.slice(0, -1) + last);
    const response = await browser.get('/read');
    expect(response.status).toBe(200);
    expect((await response.json()).data).toEqual({});
  });

  it('never adopts a well-signed id the store does not know (fixation): a new id is issued', async () => {
    const browser = new Browser(running.url);
    await browser.get('/authenticate');
    const known = browser.session!;
    // The record is gone (revoked), the cookie is still well-signed.
    expect(await spartanExpress.manager.revokeUser('alice')).toBe(1);
    const empty = await browser.get('/read');
    expect((await empty.json()).data).toEqual({});
    browser.cookies.set(SESSION_COOKIE, known);
    const response = await browser.get('/set?again=1');
    const issued = setCookie(response, SESSION_COOKIE);
    expect(issued?.value).toBeTruthy();
    expect(issued!.value).not.toBe(known);
  });

  it('starts a new session once the old one expired (idle time passed)', async () => {
    const browser = new Browser(running.url);
    await browser.get('/set?old=1');
    const before = browser.session!;
    clock.advance(1801 * 1000);
    const response = await browser.get('/read');
    expect((await response.json()).data).toEqual({});
    await browser.get('/set?new=1');
    expect(browser.session).toBeDefined();
    expect(browser.session).not.toBe(before);
  });

  it('gives regenerate() a new id, empty data, and the old cookie no longer loads anything', async () => {
    const browser = new Browser(running.url);
    await browser.get('/set?before=1');
    const old = browser.session!;
    const response = await browser.get('/regenerate');
    expect((await response.json()).data).toEqual({ fresh: true });
    expect(browser.session).toBeDefined();
    expect(browser.session).not.toBe(old);
    expect((await (await browser.get('/read')).json()).data).toEqual({ fresh: true });
    const stale = new Browser(running.url);
    stale.cookies.set(SESSION_COOKIE, old);
    expect((await (await stale.get('/read')).json()).data).toEqual({});
  });

  it('gives authenticate() a new id with the data kept, and the old cookie no longer loads it', async () => {
    const browser = new Browser(running.url);
    await browser.get('/set?cart=3');
    const old = browser.session!;
    const response = await browser.get('/authenticate');
    expect(await response.json()).toEqual({ data: { cart: '3' }, userId: 'alice' });
    expect(browser.session).not.toBe(old);
    const stale = new Browser(running.url);
    stale.cookies.set(SESSION_COOKIE, old);
    expect((await (await stale.get('/read')).json()).data).toEqual({});
  });

  it('clears the cookie (Max-Age=0, Expires in 1970) and sends Clear-Site-Data on destroy()', async () => {
    const browser = new Browser(running.url);
    await browser.get('/set?doomed=1');
    const old = browser.session!;
    const response = await browser.get('/destroy');
    const cleared = setCookie(response, SESSION_COOKIE);
    expect(cleared?.value).toBe('');
    expect(cleared!.attributes.get('max-age')).toBe('0');
    expect(cleared!.attributes.get('expires')).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
    expect(response.headers.get('clear-site-data')).toBe('"cache"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const stale = new Browser(running.url);
    stale.cookies.set(SESSION_COOKIE, old);
    expect((await (await stale.get('/read')).json()).data).toEqual({});
  });

  it('exposes req.sessionID as the current id, following a regenerate()', async () => {
    const browser = new Browser(running.url);
    const body = await (await browser.get('/ids')).json();
    expect(body.before.sessionID).toBe(body.before.id);
    expect(typeof body.after).toBe('string');
    expect(body.after).not.toBe(body.before.id);
  });

  describe('node-style callbacks', () => {
    it('save(cb) writes the session before the callback runs', async () => {
      const browser = new Browser(running.url);
      const response = await browser.get('/cb/save');
      expect(await response.json()).toEqual({ writes: 1 });
      expect(setCookie(response, SESSION_COOKIE)).toBeDefined();
      expect((await (await browser.get('/read')).json()).data).toEqual({ saved: 'yes' });
    });

    it('regenerate(cb) calls back with a new, empty session', async () => {
      const browser = new Browser(running.url);
      await browser.get('/set?before=1');
      const old = browser.session;
      expect((await (await browser.get('/cb/regenerate')).json()).data).toEqual({ regenerated: true });
      expect(browser.session).not.toBe(old);
    });

    it('destroy(cb) calls back once the session is gone and clears the cookie', async () => {
      const browser = new Browser(running.url);
      await browser.get('/set?before=1');
      const response = await browser.get('/cb/destroy');
      expect(await response.text()).toBe('destroyed');
      expect(setCookie(response, SESSION_COOKIE)?.attributes.get('max-age')).toBe('0');
      expect(browser.session).toBeUndefined();
    });

    it('reload(cb) drops the unsaved changes of the request', async () => {
      const browser = new Browser(running.url);
      await browser.get('/set?kept=1');
      expect((await (await browser.get('/cb/reload')).json()).data).toEqual({ kept: '1' });
    });
  });

  describe('committing before the response goes out', () => {
    it('commits a streamed response before its first byte', async () => {
      const browser = new Browser(running.url);
      const response = await browser.get('/stream');
      expect(await response.text()).toBe('first last');
      expect(setCookie(response, SESSION_COOKIE)).toBeDefined();
      expect((await (await browser.get('/read')).json()).data).toEqual({ streamed: true });
    });

    it('commits before an explicit writeHead(), keeping its status and headers', async () => {
      const browser = new Browser(running.url);
      const response = await browser.get('/write-head');
      expect(response.status).toBe(201);
      expect(response.headers.get('content-type')).toBe('text/plain');
      expect(await response.text()).toBe('created');
      expect(setCookie(response, SESSION_COOKIE)).toBeDefined();
    });

    it('commits before a piped stream and delivers all of it', async () => {
      const browser = new Browser(running.url);
      const response = await browser.get('/pipe');
      const body = await response.text();
      expect(body).toBe(['a', 'b', 'c'].map((part) => part.repeat(20_000)).join(''));
      expect(setCookie(response, SESSION_COOKIE)).toBeDefined();
      expect((await (await browser.get('/read')).json()).data).toEqual({ piped: true });
    });

    it('commits before a redirect', async () => {
      const browser = new Browser(running.url);
      const response = await browser.get('/redirect');
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/read');
      expect(setCookie(response, SESSION_COOKIE)).toBeDefined();
      expect((await (await browser.get('/read')).json()).data).toEqual({ redirected: true });
    });

    it('sees the full request path in a mounted router', async () => {
      const browser = new Browser(running.url);
      const response = await browser.get('/sub/where?q=1');
      expect((await response.json()).data).toEqual({ mounted: '/sub/where?q=1' });
    });
  });
});
