import { describe, expect, it } from 'vitest';
import { isCleared, type KitResponse } from './browser.js';
import { applicationError, type ErrorBody, get, type KitContext, type SessionView } from './fixture.js';

/** What a response answered when the store failed must not hold: a live session cookie. */
function expectNoLiveSessionCookie(response: KitResponse, name: string): void {
  const cookie = response.cookie(name);
  if (cookie !== undefined) expect(isCleared(cookie), cookie.line).toBe(true);
}

/** Store failures (fail closed, SPEC §5), application errors (SPEC §7), transport (SPEC §3). */
export function describeFailures({ kind, start }: KitContext): void {
  const modes = kind.canHang ? (['reject', 'hang'] as const) : (['reject'] as const);

  describe.each(modes)('a store whose calls %s', (mode) => {
    // A short store timeout bounds the hanging store (the kit never sleeps: core's deadline fires).
    const startApp = () => start({ storeTimeout: 100 });

    it('answers a returning visitor 503 sessions/store-unavailable, never "no session"', async () => {
      const app = await startApp();
      const browser = app.browser();
      await browser.get('/set?kept=1');
      const cookie = browser.session;
      app.store.mode = mode;
      const response = await browser.get('/read');
      expect(response.status).toBe(503);
      expect(response.json<ErrorBody>().error).toBe('sessions/store-unavailable');
      expectNoLiveSessionCookie(response, '__Host-spartan');
      app.store.mode = 'healthy';
      // The session survived the outage.
      expect(browser.session).toBe(cookie);
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ kept: '1' });
    });

    it("answers 503 when the commit fails: not the handler's 200, no live session cookie", async () => {
      const app = await startApp();
      const browser = app.browser();
      app.store.mode = mode;
      const response = await browser.get('/set?lost=1');
      expect(response.status).toBe(503);
      expect(response.json<ErrorBody>().error).toBe('sessions/store-unavailable');
      expectNoLiveSessionCookie(response, '__Host-spartan');
      expect(browser.session).toBeUndefined();
    });

    it('answers 503 when a rotation fails, and the browser keeps its working cookie', async () => {
      const app = await startApp();
      const browser = app.browser();
      await browser.get('/set?kept=1');
      const cookie = browser.session;
      app.store.mode = mode;
      const response = await browser.get('/login?user=alice');
      expect(response.status).toBe(503);
      expectNoLiveSessionCookie(response, '__Host-spartan');
      app.store.mode = 'healthy';
      expect(browser.session).toBe(cookie);
      expect((await browser.get('/read')).json<SessionView>()).toMatchObject({ data: { kept: '1' }, userId: null });
    });

    it('never sends the redirect of a request whose session could not be saved', async () => {
      const app = await start({
        storeTimeout: 100,
        routes: [
          get('/set-and-redirect', (request) => {
            request.session.redirected = true;
            return { redirect: '/elsewhere' };
          }),
        ],
      });
      app.store.mode = mode;
      const response = await app.browser().get('/set-and-redirect');
      expect(response.status).toBe(503);
      expect(response.headers.get('location')).toBeNull();
      expect(response.json<ErrorBody>().error).toBe('sessions/store-unavailable');
      expectNoLiveSessionCookie(response, '__Host-spartan');
    });

    it('serves again once the store is back', async () => {
      const app = await startApp();
      const browser = app.browser();
      app.store.mode = mode;
      expect((await browser.get('/set?x=1')).status).toBe(503);
      app.store.mode = 'healthy';
      expect((await browser.get('/set?x=2')).status).toBe(200);
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ x: '2' });
    });
  });

  describe('application errors', () => {
    it("an error after the session changed still carries the session's Set-Cookie, and the new cookie works", async () => {
      const app = await start();
      const browser = app.browser();
      await browser.get('/set?cart=3');
      const old = browser.session!;
      const response = await browser.get('/login-then-fail?user=alice');
      expect(response.status).toBe(409);
      expect(response.json<ErrorBody>().error).toBe('app/conflict');
      const issued = response.cookie('__Host-spartan');
      expect(issued?.value).toBeTruthy();
      expect(issued!.value).not.toBe(old);
      expect((await browser.get('/read')).json<SessionView>()).toMatchObject({ data: { cart: '3' }, userId: 'alice' });
    });

    it('an error thrown by a handler that created the session still commits it', async () => {
      const app = await start({
        routes: [
          get('/set-then-fail', (request) => {
            request.session.attempted = true;
            throw applicationError();
          }),
        ],
      });
      const browser = app.browser();
      const response = await browser.get('/set-then-fail');
      expect(response.status).toBe(409);
      expect(response.cookie('__Host-spartan')?.value).toBeTruthy();
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ attempted: true });
    });
  });

  describe('transport', () => {
    it('refuses the Secure session cookie over plain http when 127.0.0.1 is not taken as secure: session/insecure-connection', async () => {
      const app = await start({ policy: { config: { transport: { localhostIsSecure: false } } } });
      const browser = app.browser();
      const response = await browser.get('/set?x=1');
      expect(response.status).toBe(500);
      expect(response.json<ErrorBody>().error).toBe('session/insecure-connection');
      expect(response.cookie('__Host-spartan')).toBeUndefined();
      // Not trusted without transport.trustProxy.
      const forwarded = await browser.get('/set?x=1', { 'x-forwarded-proto': 'https' });
      expect(forwarded.json<ErrorBody>().error).toBe('session/insecure-connection');
    });

    it('honours X-Forwarded-Proto: https with transport.trustProxy', async () => {
      const app = await start({ policy: { config: { transport: { localhostIsSecure: false, trustProxy: true } } } });
      const browser = app.browser();
      const response = await browser.get('/set?x=1', { 'x-forwarded-proto': 'https' });
      expect(response.status).toBe(200);
      expect(response.cookie('__Host-spartan')?.attributes.has('secure')).toBe(true);
      const plain = await app.browser().get('/set?x=1', { 'x-forwarded-proto': 'http' });
      expect(plain.json<ErrorBody>().error).toBe('session/insecure-connection');
    });
  });
}
