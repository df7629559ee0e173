import { createFakeClock, type FakeClock } from '@spartan-sessions/core/testing';
import type { NextFunction, Request, Response } from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spartan } from '../src/index.js';
import { Browser, listen, type Running, rawRequest, renderError, SESSION_COOKIE, setCookie } from './support/http.js';
import { describeMatrix } from './support/matrix.js';
import { SECRET } from './support/stores.js';

const policy = { config: { privileged: { paths: ['/admin'], exclude: ['/admin/reauth'] } } };

describeMatrix('privileged areas', ({ express }) => {
  let running: Running;
  let clock: FakeClock;

  beforeAll(async () => {
    clock = createFakeClock();
    const { sessions } = spartan({ policy, secrets: SECRET, clock });
    const app = express();
    app.use(sessions.sessioner);
    app.get('/home', (req, res) => {
      req.session.visits = Number(req.session.visits ?? 0) + 1;
      res.json({ zone: req.session.meta.zone });
    });
    app.get('/login', async (req, res) => {
      await req.session.authenticate('alice');
      res.send('welcome');
    });
    // A mounted router: the sessioner must see `/admin/...`, not the path inside the router.
    const admin = express.Router();
    admin.get('/', (req, res) => {
      res.json({ zone: req.session.meta.zone, user: req.session.meta.userId });
    });
    admin.get('/reauth', (_req, res) => {
      res.send('please sign in again');
    });
    admin.post('/reauth', async (req, res) => {
      await req.session.reauthenticate();
      res.redirect('/admin');
    });
    app.use('/admin', admin);
    app.use((err: unknown, req: Request, res: Response, next: NextFunction) => renderError(err, req, res, next));
    running = await listen(app);
  });

  afterAll(() => running.close());

  it('refuses /admin without authentication: 401 reauthentication-required through next(err)', async () => {
    const browser = new Browser(running.url);
    const response = await browser.get('/admin');
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'sessions/reauthentication-required', status: 401 });
    await browser.get('/home');
    const withSession = await browser.get('/admin');
    expect(withSession.status).toBe(401);
  });

  it('lets a recent authentication in, rotating the cookie on entering and on leaving', async () => {
    const browser = new Browser(running.url);
    await browser.get('/login');
    const outside = browser.session!;
    const enter = await browser.get('/admin');
    expect(enter.status).toBe(200);
    expect(await enter.json()).toEqual({ zone: 'privileged', user: 'alice' });
    const inside = setCookie(enter, SESSION_COOKIE)?.value;
    expect(inside).toBeTruthy();
    expect(inside).not.toBe(outside);
    const leave = await browser.get('/home');
    expect(await leave.json()).toEqual({ zone: 'normal' });
    const after = setCookie(leave, SESSION_COOKIE)?.value;
    expect(after).toBeTruthy();
    expect(after).not.toBe(inside);
  });

  it('refuses /admin once reauthAfter has passed since the authentication', async () => {
    const browser = new Browser(running.url);
    await browser.get('/login');
    expect((await browser.get('/admin')).status).toBe(200);
    await browser.get('/home');
    clock.advance(601 * 1000);
    const response = await browser.get('/admin');
    expect(response.status).toBe(401);
    expect((await response.json()).error).toBe('sessions/reauthentication-required');
  });

  it('keeps the excluded /admin/reauth reachable, and reauthenticate() opens /admin again', async () => {
    const browser = new Browser(running.url);
    await browser.get('/login');
    clock.advance(601 * 1000);
    expect((await browser.get('/admin')).status).toBe(401);
    const page = await browser.get('/admin/reauth');
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('please sign in again');
    const reauth = await browser.post('/admin/reauth');
    expect(reauth.status).toBe(302);
    expect((await browser.get('/admin')).status).toBe(200);
  });

  it('judges an absolute-form request target (GET http://host/admin) by the path Express routes on', async () => {
    const response = await rawRequest(running.url, { path: `${running.url}/admin` });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body).error).toBe('sessions/reauthentication-required');
  });

  // Express routes case-insensitively by default, so GET /ADMIN reaches the /admin router; core
  // folds case (and percent-escapes) when matching privileged prefixes.
  it('treats /ADMIN as privileged, since Express routes it to the /admin router', async () => {
    const response = await new Browser(running.url).get('/ADMIN');
    expect(response.status).toBe(401);
  });
});
