import type { NextFunction, Request, Response } from 'express';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spartan } from '../src/index.js';
import { Browser, listen, type Running, renderError, SESSION_COOKIE, setCookie } from './support/http.js';
import { describeMatrix } from './support/matrix.js';
import { SECRET } from './support/stores.js';

interface User {
  id: string;
  name: string;
}

const USERS: Record<string, User & { password: string }> = {
  alice: { id: 'u-1', name: 'alice', password: 'correct horse' },
};

describeMatrix('Passport 0.7 on the sessioner', ({ express }) => {
  let running: Running;
  let manager: ReturnType<typeof spartan>['manager'];

  beforeAll(async () => {
    const spartanApp = spartan({ secrets: SECRET });
    const { sessions } = spartanApp;
    manager = spartanApp.manager;
    // One Passport per app: the matrix runs two apps in one process.
    const passport = new Passport();
    passport.use(
      new LocalStrategy((username, password, done) => {
        const user = USERS[username];
        if (user === undefined || user.password !== password) return done(null, false);
        return done(null, { id: user.id, name: user.name });
      }),
    );
    passport.serializeUser((user, done) => done(null, (user as User).id));
    passport.deserializeUser((id: string, done) => {
      const user = Object.values(USERS).find((candidate) => candidate.id === id);
      done(null, user === undefined ? false : { id: user.id, name: user.name });
    });

    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(sessions.sessioner);
    app.use(passport.initialize());
    app.use(passport.session());
    app.get('/visit', (req, res) => {
      req.session.visited = true;
      res.json({ id: req.sessionID });
    });
    app.post('/login', passport.authenticate('local', { successRedirect: '/me', failureRedirect: '/login' }));
    app.post(
      '/login-keep',
      passport.authenticate('local', { successRedirect: '/me', failureRedirect: '/login', keepSessionInfo: true }),
    );
    app.get('/me', (req, res) => {
      res.json({ user: req.user ?? null, visited: req.session.visited ?? null });
    });
    app.get('/account', async (req, res) => {
      res.json({ userId: req.session.meta.userId, sessions: (await req.session.listUserSessions()).length });
    });
    app.post('/logout', (req, res, next) => {
      req.logout((error) => {
        if (error) return next(error);
        res.redirect('/');
      });
    });
    app.use((err: unknown, req: Request, res: Response, next: NextFunction) => renderError(err, req, res, next));
    running = await listen(app);
  });

  afterAll(() => running.close());

  it('logs in with a redirect, and the next request sees req.user', async () => {
    const browser = new Browser(running.url);
    const login = await browser.post('/login', { username: 'alice', password: 'correct horse' });
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/me');
    expect(setCookie(login, SESSION_COOKIE)).toBeDefined();
    const me = await browser.get('/me');
    expect((await me.json()).user).toEqual({ id: 'u-1', name: 'alice' });
  });

  it('changes the session id at login (Passport regenerates and saves), and the old cookie is worthless', async () => {
    const browser = new Browser(running.url);
    await browser.get('/visit');
    const before = browser.session!;
    await browser.post('/login', { username: 'alice', password: 'correct horse' });
    expect(browser.session).toBeDefined();
    expect(browser.session).not.toBe(before);
    // regenerate(): express-session semantics, the pre-login data is gone with the old id.
    expect(await (await browser.get('/me')).json()).toEqual({ user: { id: 'u-1', name: 'alice' }, visited: null });
    const attacker = new Browser(running.url);
    attacker.cookies.set(SESSION_COOKIE, before);
    expect((await (await attacker.get('/me')).json()).user).toBeNull();
  });

  it('refuses a wrong password with the failure redirect and no user', async () => {
    const browser = new Browser(running.url);
    const login = await browser.post('/login', { username: 'alice', password: 'wrong' });
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/login');
    expect((await (await browser.get('/me')).json()).user).toBeNull();
  });

  it('logs out with req.logout(cb): the next request has no user', async () => {
    const browser = new Browser(running.url);
    await browser.post('/login', { username: 'alice', password: 'correct horse' });
    const loggedIn = browser.session!;
    const logout = await browser.post('/logout');
    expect(logout.status).toBe(302);
    expect((await (await browser.get('/me')).json()).user).toBeNull();
    // Passport regenerates on logout too: the logged-in cookie no longer names a session.
    const replay = new Browser(running.url);
    replay.cookies.set(SESSION_COOKIE, loggedIn);
    expect((await (await replay.get('/me')).json()).user).toBeNull();
  });

  it('keepSessionInfo: true carries the pre-login data into the new session (new id all the same)', async () => {
    const browser = new Browser(running.url);
    await browser.get('/visit');
    const before = browser.session!;
    await browser.post('/login-keep', { username: 'alice', password: 'correct horse' });
    expect(browser.session).not.toBe(before);
    expect(await (await browser.get('/me')).json()).toEqual({ user: { id: 'u-1', name: 'alice' }, visited: true });
  });

  it('a Passport login authenticates the session as the serialized user: listUserSessions and revokeUser see it', async () => {
    await manager.revokeUser('u-1');
    const browser = new Browser(running.url);
    await browser.post('/login', { username: 'alice', password: 'correct horse' });
    const other = new Browser(running.url);
    await other.post('/login-keep', { username: 'alice', password: 'correct horse' });
    expect(await (await browser.get('/account')).json()).toEqual({ userId: 'u-1', sessions: 2 });
    // An administrator ends every session of the user: Passport's user is gone too.
    expect(await manager.revokeUser('u-1')).toBe(2);
    expect((await (await browser.get('/me')).json()).user).toBeNull();
    expect((await (await other.get('/me')).json()).user).toBeNull();
  });

  it("after Passport's logout the session has no user of ours either", async () => {
    const browser = new Browser(running.url);
    await browser.post('/login', { username: 'alice', password: 'correct horse' });
    await browser.post('/logout');
    await browser.get('/visit');
    expect(await (await browser.get('/account')).json()).toEqual({ userId: null, sessions: 0 });
  });
});
