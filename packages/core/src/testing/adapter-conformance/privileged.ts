import { describe, expect, it } from 'vitest';
import type { UserSessionEntry } from '../../ports.js';
import type { Browser } from './browser.js';
import { type ErrorBody, type KitContext, post, type RunningApp, type SessionView } from './fixture.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const ADMIN = { config: { privileged: { paths: ['/admin'], exclude: ['/admin/reauth'] } } };

/** Privileged areas (SPEC §3, §5), and refused requests that must change nothing (SPEC §5). */
export function describePrivileged({ start }: KitContext): void {
  describe('privileged areas', () => {
    it('refuses the area without an authentication: 401 sessions/reauthentication-required', async () => {
      const app = await start({ policy: ADMIN });
      const browser = app.browser();
      const response = await browser.get('/admin');
      expect(response.status).toBe(401);
      expect(response.json<ErrorBody>().error).toBe('sessions/reauthentication-required');
      await browser.get('/set?anonymous=1');
      const withSession = await browser.get('/admin');
      expect(withSession.status).toBe(401);
      expect(withSession.json<ErrorBody>().error).toBe('sessions/reauthentication-required');
    });

    it('rotates the id on entering the area and again on leaving it', async () => {
      const app = await start({ policy: ADMIN });
      await expectZoneRotation(app, app.browser());
    });

    it('refuses the area once reauthAfter has passed; the excluded path stays open; reauthenticate() opens the area again', async () => {
      const app = await start({ policy: ADMIN });
      const browser = app.browser();
      await browser.get('/login?user=alice');
      expect((await browser.get('/admin')).status).toBe(200);
      await browser.get('/home');
      app.clock.advance(601 * SECOND);
      const refused = await browser.get('/admin');
      expect(refused.status).toBe(401);
      expect(refused.json<ErrorBody>().error).toBe('sessions/reauthentication-required');
      const page = await browser.get('/admin/reauth');
      expect(page.status).toBe(200);
      expect(page.body).toBe('please sign in again');
      const before = browser.session;
      const reauth = await browser.post('/admin/reauth');
      expect(reauth.status).toBe(200);
      expect(reauth.json<SessionView>().authenticatedAt).toBe(app.clock.now());
      expect(browser.session).not.toBe(before);
      const admitted = await browser.get('/admin');
      expect(admitted.status).toBe(200);
      expect(admitted.json<SessionView>()).toMatchObject({ zone: 'privileged', userId: 'alice' });
    });

    it('applies privileged.idle inside the area: an idle privileged session expires sooner', async () => {
      const app = await start({ policy: ADMIN });
      const browser = app.browser();
      await browser.get('/login?user=alice');
      expect((await browser.get('/admin')).status).toBe(200);
      app.clock.advance(299 * SECOND);
      expect((await browser.get('/admin')).status).toBe(200);
      app.clock.advance(301 * SECOND);
      const response = await browser.get('/admin');
      expect(response.status).toBe(401);
      expect(app.events.filter((event) => event.type === 'expired').map((event) => event.reason)).toEqual(['idle']);
      expect((await browser.get('/read')).json<SessionView>().userId).toBeNull();
    });

    it('matches privileged paths against the full path of an app mounted under a prefix', async () => {
      const app = await start({
        prefix: '/app',
        policy: { config: { privileged: { paths: ['/app/admin'], exclude: ['/app/admin/reauth'] } } },
      });
      const browser = app.browser();
      const refused = await browser.get('/admin');
      expect(refused.status).toBe(401);
      expect(refused.json<ErrorBody>().error).toBe('sessions/reauthentication-required');
      expect((await browser.get('/admin/reauth')).status).toBe(200);
      await expectZoneRotation(app, browser);
    });

    it('does not take a path inside the prefix for the full path', async () => {
      const app = await start({ prefix: '/app', policy: ADMIN });
      const browser = app.browser();
      const response = await browser.get('/admin');
      expect(response.status).toBe(200);
      expect(response.json<SessionView>().zone).toBe('normal');
    });
  });

  describe('a refused request changes no session state (SPEC §5)', () => {
    const policy = { config: { duration: { renewal: 300 }, privileged: { paths: ['/admin'], reauthAfter: 600 } } };
    const routes = [
      post('/note', (request) => {
        request.session.note = String(request.body.note);
        return { text: 'noted' };
      }),
    ];

    async function signedIn(app: RunningApp, user: string): Promise<Browser> {
      const browser = app.browser();
      const { token } = (await browser.get('/form')).json<{ token: string }>();
      expect((await browser.post('/login', { user, _csrf: token })).status).toBe(200);
      return browser;
    }

    async function stored(app: RunningApp, user: string): Promise<UserSessionEntry> {
      const entries = await app.store.inner.listByUser(user);
      expect(entries).toHaveLength(1);
      return entries[0]!;
    }

    it('a forged POST into the privileged area (403): no rotation, no zone change, no write, no cookie', async () => {
      const app = await start({ policy, csrf: 'session', routes });
      const browser = await signedIn(app, 'ann');
      const before = await stored(app, 'ann');
      const writes = app.store.writes;
      const cookie = browser.session;
      const forged = await browser.post(
        '/admin/do',
        {},
        { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      );
      expect(forged.status).toBe(403);
      expect(forged.json<ErrorBody>().error).toBe('sessions/cross-origin-request');
      expect(forged.cookie('__Host-spartan')).toBeUndefined();
      expect(app.store.writes).toBe(writes);
      expect(await stored(app, 'ann')).toEqual(before);
      expect(browser.session).toBe(cookie);
      expect((await browser.get('/read')).json<SessionView>()).toMatchObject({ userId: 'ann', zone: 'normal' });
    });

    it('a POST without a token (403) neither writes its change nor carries out a renewal that is due', async () => {
      const app = await start({ policy, csrf: 'session', routes });
      const browser = await signedIn(app, 'ben');
      const before = await stored(app, 'ben');
      const writes = app.store.writes;
      app.clock.advance(6 * MINUTE);
      const refused = await browser.post('/note', { note: 'forged' });
      expect(refused.status).toBe(403);
      expect(refused.json<ErrorBody>().error).toBe('sessions/csrf-invalid');
      expect(refused.cookie('__Host-spartan')).toBeUndefined();
      expect(app.store.writes).toBe(writes);
      expect(await stored(app, 'ben')).toEqual(before);
      // The next request that is served renews as usual.
      const served = await browser.get('/read');
      expect(served.json<SessionView>()).toMatchObject({ userId: 'ben' });
      expect(served.json<SessionView>().data).not.toHaveProperty('note');
      expect(served.cookie('__Host-spartan')?.value).toBeTruthy();
      expect((await stored(app, 'ben')).key).not.toBe(before.key);
    });

    it('a stale sign-in refused at the privileged area (401): session, zone and cookie as they were', async () => {
      const app = await start({ policy, csrf: 'session', routes });
      const browser = await signedIn(app, 'cid');
      const before = await stored(app, 'cid');
      const writes = app.store.writes;
      app.clock.advance(11 * MINUTE);
      const refused = await browser.get('/admin');
      expect(refused.status).toBe(401);
      expect(refused.cookie('__Host-spartan')).toBeUndefined();
      expect(app.store.writes).toBe(writes);
      expect(await stored(app, 'cid')).toEqual(before);
      expect((await browser.get('/read')).json<SessionView>()).toMatchObject({ userId: 'cid', zone: 'normal' });
    });
  });
}

/** Signs in, enters `/admin` (new id, zone privileged), leaves to `/home` (new id, zone normal). */
async function expectZoneRotation(app: RunningApp, browser: Browser): Promise<void> {
  await browser.get('/login?user=alice');
  const outside = browser.session!;
  const enter = await browser.get('/admin');
  expect(enter.status).toBe(200);
  expect(enter.json<SessionView>()).toMatchObject({ zone: 'privileged', userId: 'alice' });
  const inside = enter.cookie('__Host-spartan')?.value;
  expect(inside).toBeTruthy();
  expect(inside).not.toBe(outside);
  const stay = await browser.get('/admin');
  expect(stay.setCookies).toEqual([]);
  const leave = await browser.get('/home');
  expect(leave.json<SessionView>()).toMatchObject({ zone: 'normal', userId: 'alice' });
  const after = leave.cookie('__Host-spartan')?.value;
  expect(after).toBeTruthy();
  expect(after).not.toBe(inside);
  // Signing a new visitor in creates the session; entering and leaving rotate it.
  expect(app.events.filter((event) => event.type === 'rotated')).toHaveLength(2);
  // The ids left behind load nothing.
  for (const old of [outside, inside!]) {
    const stale = app.browser();
    stale.session = old;
    expect((await stale.get('/read')).json<SessionView>().userId).toBeNull();
  }
}
