import { describe, expect, it } from 'vitest';
import { isCleared } from './browser.js';
import { get, type KitContext, type SessionView } from './fixture.js';

const SECOND = 1000;
const TTL = 43_200 * SECOND;

/** The raw id inside a session cookie value (`<id>.<tag>`). */
const idOf = (cookieValue: string): string => cookieValue.slice(0, cookieValue.indexOf('.'));

/** Cookies, lazy creation, the data round trip, the session verbs, expiry and renewal. */
export function describeSessions({ start }: KitContext): void {
  describe('the session cookie', () => {
    it('is not set, and nothing is stored, until the session holds data', async () => {
      const app = await start();
      const browser = app.browser();
      for (const path of ['/noop', '/read']) {
        const response = await browser.get(path);
        expect(response.status).toBe(200);
        expect(response.setCookies).toEqual([]);
      }
      expect(app.store.writes).toBe(0);
      expect(app.store.size).toBe(0);
    });

    it('carries the policy attributes: __Host- prefix, HttpOnly, Secure, SameSite=Lax, Path=/, no Domain, Expires at creation + ttl, with Cache-Control: no-store', async () => {
      const app = await start();
      const response = await app.browser().get('/set?theme=dark');
      expect(response.status).toBe(200);
      const cookie = response.cookie('__Host-spartan');
      expect(cookie).toBeDefined();
      // 256 random bits in base64url, then what signs it.
      const { id } = response.json<SessionView>();
      expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(cookie!.value.startsWith(`${id}.`)).toBe(true);
      expect(cookie!.attributes.has('httponly')).toBe(true);
      expect(cookie!.attributes.has('secure')).toBe(true);
      expect(cookie!.attributes.get('samesite')).toBe('Lax');
      expect(cookie!.attributes.get('path')).toBe('/');
      expect(cookie!.attributes.has('domain')).toBe(false);
      // The cookie dies with the session: its absolute lifetime from now.
      expect(Date.parse(cookie!.attributes.get('expires')!)).toBe(Math.floor((app.clock.now() + TTL) / 1000) * 1000);
      if (cookie!.attributes.has('max-age')) expect(cookie!.attributes.get('max-age')).toBe(String(TTL / SECOND));
      expect(response.headers.get('cache-control')).toMatch(/\bno-store\b/);
      expect(app.store.size).toBe(1);
    });

    it("follows the policy's name, SameSite and ttl", async () => {
      const app = await start({
        policy: { config: { name: 'app', cookies: { sameSite: 'strict' }, duration: { ttl: 3600, idle: 600 } } },
      });
      const response = await app.browser().get('/set?theme=dark');
      const cookie = response.cookie('__Host-app');
      expect(cookie?.value).toBeTruthy();
      expect(response.cookie('__Host-spartan')).toBeUndefined();
      expect(cookie!.attributes.get('samesite')).toBe('Strict');
      expect(Date.parse(cookie!.attributes.get('expires')!)).toBe(
        Math.floor((app.clock.now() + 3600 * SECOND) / 1000) * 1000,
      );
    });
  });

  describe('data', () => {
    it('round-trips: a returning visitor keeps it, with no Set-Cookie, no Cache-Control and no store write when nothing changed', async () => {
      const app = await start();
      const browser = app.browser();
      await browser.get('/set?theme=dark');
      app.store.resetCalls();
      const response = await browser.get('/read');
      expect(response.json<SessionView>().data).toEqual({ theme: 'dark' });
      expect(response.setCookies).toEqual([]);
      expect(response.headers.get('cache-control')).toBeNull();
      expect(app.store.writes).toBe(0);
    });

    it('round-trips JSON values set from a JSON body', async () => {
      const app = await start();
      const browser = app.browser();
      const sent = { prefs: { lang: 'fr', sizes: [1, 2] }, count: 3, yes: true, nothing: null, text: 'Grüße 🌍' };
      expect((await browser.postJson('/set', sent)).status).toBe(200);
      expect((await browser.get('/read')).json<SessionView>().data).toEqual(sent);
    });

    it('writes a changed session without re-sending the cookie', async () => {
      const app = await start();
      const browser = app.browser();
      await browser.get('/set?step=1');
      app.store.resetCalls();
      const response = await browser.get('/set?step=2');
      expect(response.setCookies).toEqual([]);
      expect(app.store.writes).toBe(1);
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ step: '2' });
    });

    it('keeps both writes of two concurrent requests that change different keys', async () => {
      const app = await start();
      const browser = app.browser();
      await browser.get('/set?base=0');
      const [left, right] = await Promise.all([browser.get('/set?left=1'), browser.get('/set?right=2')]);
      expect([left.status, right.status]).toEqual([200, 200]);
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ base: '0', left: '1', right: '2' });
    });

    it('grants nothing through a JSON body holding "__proto__" merged into the session', async () => {
      const app = await start();
      const browser = app.browser();
      const response = await browser.postJson('/set', '{"__proto__":{"isAdmin":true},"theme":"dark"}');
      // A framework may refuse such a body outright (400); if it is served, nothing leaks.
      expect([200, 400]).toContain(response.status);
      if (response.status === 200) expect(response.json<SessionView>().data).not.toHaveProperty('isAdmin');
      const read = await browser.get('/read');
      expect(read.json<SessionView>().data).not.toHaveProperty('isAdmin');
      expect(read.body).not.toMatch(/isAdmin/);
    });

    it('commits the session before a redirect goes out', async () => {
      const app = await start({
        routes: [
          get('/set-and-redirect', (request) => {
            request.session.redirected = true;
            return { redirect: '/read' };
          }),
        ],
      });
      const browser = app.browser();
      const response = await browser.get('/set-and-redirect');
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/read');
      expect(response.cookie('__Host-spartan')?.value).toBeTruthy();
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ redirected: true });
    });

    it('exposes the session id: the same as session.id, and the new one after regenerate()', async () => {
      const app = await start({
        routes: [
          get('/ids', async (request) => {
            request.session.x = 1;
            const before = { exposed: request.sessionId(), id: request.session.id };
            await request.session.regenerate();
            request.session.y = 2;
            return { json: { before, after: { exposed: request.sessionId(), id: request.session.id } } };
          }),
        ],
      });
      const browser = app.browser();
      const { before, after } = (await browser.get('/ids')).json<{
        before: { exposed: string; id: string };
        after: { exposed: string; id: string };
      }>();
      expect(before.exposed).toBe(before.id);
      expect(after.exposed).toBe(after.id);
      expect(after.id).not.toBe(before.id);
      expect(idOf(browser.session!)).toBe(after.id);
    });

    it('save() writes before the reply, reload() drops the unsaved changes', async () => {
      const app = await start({
        routes: ({ store }) => [
          get('/save', async (request) => {
            request.session.saved = 'yes';
            await request.session.save();
            return { json: { writes: store.writes } };
          }),
          get('/reload', async (request) => {
            request.session.scratch = 'unsaved';
            await request.session.reload();
            return { json: { data: { ...request.session } } };
          }),
        ],
      });
      const browser = app.browser();
      const saved = await browser.get('/save');
      expect(saved.json()).toEqual({ writes: 1 });
      expect(saved.cookie('__Host-spartan')?.value).toBeTruthy();
      expect(app.store.writes).toBe(1);
      expect((await browser.get('/reload')).json()).toEqual({ data: { saved: 'yes' } });
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ saved: 'yes' });
    });
  });

  describe('the session verbs', () => {
    it('regenerate(): a new id, empty data, and the old cookie loads nothing', async () => {
      const app = await start();
      const browser = app.browser();
      await browser.get('/set?before=1');
      const old = browser.session!;
      const response = await browser.get('/regenerate');
      expect(response.json<SessionView>().data).toEqual({ fresh: true });
      expect(browser.session).toBeTruthy();
      expect(browser.session).not.toBe(old);
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ fresh: true });
      const stale = app.browser();
      stale.session = old;
      expect((await stale.get('/read')).json<SessionView>().data).toEqual({});
    });

    it('rotate(): a new id, the data kept, and the old cookie loads nothing', async () => {
      const app = await start();
      const browser = app.browser();
      await browser.get('/set?cart=3');
      const old = browser.session!;
      const response = await browser.get('/rotate');
      expect(response.json<SessionView>().data).toEqual({ cart: '3' });
      expect(browser.session).toBeTruthy();
      expect(browser.session).not.toBe(old);
      expect(response.json<SessionView>().id).toBe(idOf(browser.session!));
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ cart: '3' });
      const stale = app.browser();
      stale.session = old;
      expect((await stale.get('/read')).json<SessionView>().data).toEqual({});
    });

    it('authenticate(userId): a new id, the data kept, userId and authentication time recorded, the old cookie loads nothing', async () => {
      const app = await start();
      const browser = app.browser();
      await browser.get('/set?cart=3');
      const old = browser.session!;
      const response = await browser.get('/login?user=alice');
      expect(response.json<SessionView>()).toMatchObject({
        data: { cart: '3' },
        userId: 'alice',
        authenticatedAt: app.clock.now(),
      });
      expect(browser.session).toBeTruthy();
      expect(browser.session).not.toBe(old);
      expect((await browser.get('/read')).json<SessionView>()).toMatchObject({ userId: 'alice' });
      const stale = app.browser();
      stale.session = old;
      expect((await stale.get('/read')).json<SessionView>()).toMatchObject({ data: {}, userId: null });
    });

    it('authenticate(userId) on a new visitor creates the session at once', async () => {
      const app = await start();
      const browser = app.browser();
      const response = await browser.get('/login?user=bob');
      expect(response.cookie('__Host-spartan')?.value).toBeTruthy();
      expect((await browser.get('/read')).json<SessionView>().userId).toBe('bob');
      expect(await app.store.inner.listByUser('bob')).toHaveLength(1);
    });

    it('destroy(): the cookie cleared with its own attributes, Clear-Site-Data "cache", Cache-Control: no-store; the old cookie loads nothing', async () => {
      const app = await start();
      const browser = app.browser();
      await browser.get('/login?user=alice');
      const old = browser.session!;
      const response = await browser.get('/destroy');
      const cleared = response.cookie('__Host-spartan');
      expect(cleared?.value).toBe('');
      expect(isCleared(cleared!)).toBe(true);
      expect(cleared!.attributes.get('max-age')).toBe('0');
      expect(cleared!.attributes.get('expires')).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
      expect(cleared!.attributes.get('path')).toBe('/');
      expect(cleared!.attributes.has('secure')).toBe(true);
      expect(cleared!.attributes.has('httponly')).toBe(true);
      expect(cleared!.attributes.get('samesite')).toBe('Lax');
      expect(response.headers.get('clear-site-data')).toBe('"cache"');
      expect(response.headers.get('cache-control')).toMatch(/\bno-store\b/);
      expect(browser.session).toBeUndefined();
      expect(await app.store.inner.listByUser('alice')).toEqual([]);
      expect(app.events.map((event) => event.type)).toContain('destroyed');
      const stale = app.browser();
      stale.session = old;
      expect((await stale.get('/read')).json<SessionView>()).toMatchObject({ data: {}, userId: null });
    });

    it("destroy() sends the policy's Clear-Site-Data directives, and none when the list is empty", async () => {
      const all = await start({ policy: { config: { logout: { clearSiteData: ['cache', 'cookies', 'storage'] } } } });
      const browser = all.browser();
      await browser.get('/set?x=1');
      expect((await browser.get('/destroy')).headers.get('clear-site-data')).toBe('"cache", "cookies", "storage"');
      const none = await start({ policy: { config: { logout: { clearSiteData: [] } } } });
      const other = none.browser();
      await other.get('/set?x=1');
      const response = await other.get('/destroy');
      expect(response.cookie('__Host-spartan')?.attributes.get('max-age')).toBe('0');
      expect(response.headers.get('clear-site-data')).toBeNull();
    });
  });

  describe('expiry and renewal (fake clock)', () => {
    it('ends a session idle for longer than duration.idle: an expired event (reason idle), no data, a new id for new data', async () => {
      const app = await start();
      const browser = app.browser();
      await browser.get('/set?old=1');
      const before = browser.session!;
      app.clock.advance(1801 * SECOND);
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({});
      expect(app.events.filter((event) => event.type === 'expired').map((event) => event.reason)).toEqual(['idle']);
      expect(app.events.map((event) => event.type)).not.toContain('fixation-rejected');
      await browser.get('/set?new=1');
      expect(browser.session).toBeTruthy();
      expect(browser.session).not.toBe(before);
    });

    it('keeps a session in use alive past duration.idle: each request pushes the idle time forward', async () => {
      const app = await start();
      const browser = app.browser();
      await browser.get('/set?kept=1');
      for (let i = 0; i < 3; i++) {
        app.clock.advance(1000 * SECOND);
        expect((await browser.get('/read')).json<SessionView>().data).toEqual({ kept: '1' });
      }
    });

    it('ends a session past duration.ttl however active: an expired event, reason ttl', async () => {
      const app = await start({ policy: { config: { duration: { ttl: 600, idle: 300, renewal: 0 } } } });
      const browser = app.browser();
      await browser.get('/set?kept=1');
      app.clock.advance(250 * SECOND);
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ kept: '1' });
      app.clock.advance(250 * SECOND);
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ kept: '1' });
      app.clock.advance(101 * SECOND);
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({});
      expect(app.events.filter((event) => event.type === 'expired').map((event) => event.reason)).toEqual(['ttl']);
    });

    it('writes an unchanged session at most once per duration.touchAfter', async () => {
      const app = await start();
      const browser = app.browser();
      await browser.get('/set?kept=1');
      app.store.resetCalls();
      app.clock.advance(30 * SECOND);
      await browser.get('/read');
      expect(app.store.writes).toBe(0);
      app.clock.advance(31 * SECOND);
      await browser.get('/read');
      expect(app.store.writes).toBe(1);
      await browser.get('/read');
      expect(app.store.writes).toBe(1);
    });

    it('rotates the id once duration.renewal has passed: a new cookie, the data kept, the old cookie loads nothing', async () => {
      const app = await start({ policy: { config: { duration: { renewal: 300 } } } });
      const browser = app.browser();
      await browser.get('/set?kept=1');
      const old = browser.session!;
      app.clock.advance(299 * SECOND);
      expect((await browser.get('/read')).json<SessionView>().id).toBe(idOf(old));
      expect(app.events.map((event) => event.type)).not.toContain('rotated');
      app.clock.advance(2 * SECOND);
      const renewed = await browser.get('/read');
      expect(renewed.json<SessionView>().data).toEqual({ kept: '1' });
      expect(renewed.cookie('__Host-spartan')?.value).toBeTruthy();
      expect(idOf(browser.session!)).not.toBe(idOf(old));
      expect(renewed.json<SessionView>().id).toBe(idOf(browser.session!));
      expect(app.events.map((event) => event.type)).toContain('rotated');
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ kept: '1' });
      const stale = app.browser();
      stale.session = old;
      expect((await stale.get('/read')).json<SessionView>().data).toEqual({});
    });
  });

  describe('cookies the store does not know or that were tampered with', () => {
    it('never adopts a well-signed id its store does not know: a fixation-rejected event, no data, a new id issued', async () => {
      // Two apps with one secret and two stores: the first one's cookie is well-signed for the
      // second, which has never seen it (what a fixation attacker plants).
      const planter = await start();
      const victimApp = await start();
      const attacker = planter.browser();
      await attacker.get('/set?planted=1');
      const planted = attacker.session!;
      const victim = victimApp.browser();
      victim.session = planted;
      const read = await victim.get('/read');
      expect(read.status).toBe(200);
      expect(read.json<SessionView>().data).toEqual({});
      expect(victimApp.events.map((event) => event.type)).toContain('fixation-rejected');
      victim.session = planted;
      const written = await victim.get('/set?mine=1');
      const issued = written.cookie('__Host-spartan');
      expect(issued?.value).toBeTruthy();
      expect(issued!.value).not.toBe(planted);
      expect(idOf(issued!.value)).not.toBe(idOf(planted));
    });

    it('treats a forged tag, garbage and an oversized cookie as no session, without asking the store', async () => {
      const app = await start();
      const browser = app.browser();
      await browser.get('/set?secret=1');
      const real = browser.session!;
      const last = real.at(-1) === 'A' ? 'B' : 'A';
      const forgeries = [real.slice(0, -1) + last, 'garbage', `${idOf(real)}.${'A'.repeat(43)}`, 'x'.repeat(5000)];
      for (const forged of forgeries) {
        app.store.resetCalls();
        const before = app.events.length;
        const visitor = app.browser();
        visitor.session = forged;
        const response = await visitor.get('/read');
        expect(response.status).toBe(200);
        expect(response.json<SessionView>().data).toEqual({});
        expect(app.store.total).toBe(0);
        expect(app.events.slice(before).map((event) => event.type)).toEqual(['tamper-rejected']);
      }
      // The real cookie still works.
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ secret: '1' });
    });
  });

  describe('events', () => {
    it('emits created for a new session, and no event ever carries the raw id', async () => {
      const app = await start();
      const browser = app.browser();
      await browser.get('/set?x=1');
      const created = app.events.filter((event) => event.type === 'created');
      expect(created).toHaveLength(1);
      expect(created[0]!.keyHash).toMatch(/^[A-Za-z0-9_-]{4,}$/);
      const ids = [idOf(browser.session!)];
      await browser.get('/login?user=alice');
      ids.push(idOf(browser.session!));
      await browser.get('/destroy');
      const logged = JSON.stringify(app.events);
      for (const id of ids) {
        expect(logged).not.toContain(id);
        expect(logged).not.toContain(id.slice(0, 16));
      }
    });

    it('a throwing onEvent breaks no request', async () => {
      const app = await start({ throwingOnEvent: true });
      const browser = app.browser();
      const set = await browser.get('/set?x=1');
      expect(set.status).toBe(200);
      expect(set.cookie('__Host-spartan')?.value).toBeTruthy();
      expect((await browser.get('/login?user=alice')).status).toBe(200);
      expect((await browser.get('/read')).json<SessionView>()).toMatchObject({ data: { x: '1' }, userId: 'alice' });
      expect(app.events.map((event) => event.type)).toEqual(expect.arrayContaining(['created', 'rotated']));
    });
  });
}
