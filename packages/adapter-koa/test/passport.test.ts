/**
 * koa-passport with a local strategy, unchanged: its login calls `ctx.session.regenerate(cb)`
 * and `save(cb)` (passport 0.6), its logout `save(cb)` then `regenerate(cb)`.
 */
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { DefaultState } from 'koa';
import passport from 'koa-passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { afterEach, expect, it } from 'vitest';
import { spartan } from '../src/index.js';
import { Browser, listen, type Running, SECRET } from './support/http.js';
import { describeMatrix } from './support/matrix.js';

interface User {
  id: string;
  name: string;
}

/** What koa-passport adds to the context. */
interface PassportContext {
  login(user: User): Promise<void>;
  logout(): Promise<void>;
  isAuthenticated(): boolean;
}

const USERS: Record<string, User & { password: string }> = {
  alice: { id: 'alice', name: 'Alice', password: 'correct horse' },
};

passport.use(
  new LocalStrategy((username, password, done) => {
    const user = USERS[username];
    done(null, user !== undefined && user.password === password ? { id: user.id, name: user.name } : false);
  }),
);
passport.serializeUser<User>((user, done) => done(null, user.id));
passport.deserializeUser<User>((id, done) => {
  const user = USERS[id];
  done(null, user === undefined ? false : { id: user.id, name: user.name });
});

describeMatrix('koa-passport login and logout', ({ Koa }) => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
  });

  async function start(): Promise<Browser> {
    const { sessions } = spartan({ secrets: SECRET });
    const app = new Koa<DefaultState & { user?: User }, PassportContext>();
    app.use(bodyParser());
    app.use(sessions.sessioner);
    app.use(passport.initialize());
    app.use(passport.session());
    const router = new Router<DefaultState & { user?: User }, PassportContext>();
    router.post('/login', passport.authenticate('local', { successRedirect: '/me', failureRedirect: '/login' }));
    router.get('/me', (ctx) => {
      ctx.body = {
        authenticated: ctx.isAuthenticated(),
        user: ctx.state.user?.name ?? null,
        passport: ctx.session.passport ?? null,
        id: ctx.session.id,
        // The Passport login authenticated the session as the serialized user (core's passport option).
        userId: ctx.session.meta.userId,
      };
    });
    router.post('/logout', async (ctx) => {
      await ctx.logout();
      ctx.redirect('/me');
    });
    app.use(router.routes());
    running = await listen(app);
    return new Browser(running.url);
  }

  interface Me {
    authenticated: boolean;
    userId: string | null;
    user: string | null;
    passport: unknown;
    id: string;
  }

  it('logs in with a new session id, keeps the user across requests, and logs out with another id', async () => {
    const browser = await start();
    const refused = await browser.post('/login', { username: 'alice', password: 'wrong' });
    expect(refused.status).toBe(302);
    expect(refused.headers.get('location')).toBe('/login');
    expect(((await (await browser.get('/me')).json()) as Me).authenticated).toBe(false);

    const anonymousId = browser.session;
    const login = await browser.post('/login', { username: 'alice', password: 'correct horse' });
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/me');
    expect(browser.session).toBeTruthy();
    expect(browser.session).not.toBe(anonymousId);
    const me = (await (await browser.get('/me')).json()) as Me;
    expect(me).toMatchObject({ authenticated: true, user: 'Alice', passport: { user: 'alice' }, userId: 'alice' });

    const loggedIn = browser.session;
    const logout = await browser.post('/logout');
    expect(logout.status).toBe(302);
    expect(browser.session).not.toBe(loggedIn);
    const after = (await (await browser.get('/me')).json()) as Me;
    expect(after).toMatchObject({ authenticated: false, user: null, userId: null });
  });
});
