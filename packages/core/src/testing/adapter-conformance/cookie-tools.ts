import { describe, expect, it } from 'vitest';
import type { MakeCookieParams } from '../../cookie/cookie-tools.js';
import { type ErrorBody, get, type KitContext, type SessionView } from './fixture.js';
import type { KitRoute } from './types.js';

/** A route answering with what `cookieMaker(params)` made (its error goes to the error path). */
const make = (path: string, params: MakeCookieParams): KitRoute =>
  get(path, async (request) => ({ json: await request.cookieMaker(params) }));

const ROUTES: KitRoute[] = [
  make('/make', {
    name: 'theme',
    value: 'dark',
    options: { maxAge: 60, httpOnly: false, secure: false, sameSite: 'none' },
  }),
  get('/make-with-session', async (request) => {
    request.session.user = 'kept';
    await request.cookieMaker({ name: 'theme', value: 'light' });
    return { json: { ok: true } };
  }),
  make('/seal', { name: 'prefs', value: { lang: 'fr', sizes: [1, 2] }, options: { sealed: true } }),
  make('/encoded', { name: 'note', value: 'a b;c%' }),
  get('/read-cookies', async (request) => {
    const reader = request.cookieReader();
    return {
      json: {
        prefs: (await reader.sealed('prefs')) ?? null,
        role: (await reader.sealed('role')) ?? null,
        csrf: (await reader.sealed('spartan.csrf')) ?? null,
        note: reader.get('note') ?? null,
      },
    };
  }),
  make('/make-without-value', { name: 'theme' }),
  make('/make-without-name', { value: 'dark' }),
  get('/monster-without-name', (request) => ({ json: request.cookieMonster({}) })),
  make('/too-large', { name: 'big', value: 'x'.repeat(5000) }),
  make('/bad-path', { name: 'theme', value: 'dark', options: { path: '/a b,c' } }),
  make('/bad-domain', { name: 'theme', value: 'dark', options: { domain: 'a b,c' } }),
  get('/monster', (request) => ({ json: request.cookieMonster({ name: 'theme' }) })),
  make('/make-on-path', { name: 'scoped', value: 'v', options: { path: '/account' } }),
  get('/monster-on-path', (request) => ({
    json: request.cookieMonster({ name: 'scoped', options: { path: '/account' } }),
  })),
  get('/read-scoped', (request) => ({ json: { scoped: request.cookieReader().get('scoped') ?? null } })),
  make('/make-for-domain', { name: 'shared', value: 'v', options: { domain: 'example.com' } }),
];

/** cookieMaker, cookieMonster, cookieReader (SPEC §7). */
export function describeCookieTools({ start }: KitContext): void {
  describe('cookieMaker, cookieMonster, cookieReader', () => {
    it("forces the policy's HttpOnly, Secure and SameSite over the options, and adds the __Host- prefix", async () => {
      const app = await start({ routes: ROUTES });
      const response = await app.browser().get('/make');
      expect(response.status).toBe(200);
      expect(response.headers.getSetCookie()).toEqual([
        '__Host-theme=dark; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax',
      ]);
      expect(response.json()).toMatchObject({ name: '__Host-theme', value: 'dark' });
    });

    it('sets its cookie beside the session cookie of the same response', async () => {
      const app = await start({ routes: ROUTES });
      const browser = app.browser();
      const response = await browser.get('/make-with-session');
      expect(response.setCookies.map((cookie) => cookie.name).sort()).toEqual(['__Host-spartan', '__Host-theme']);
      expect((await browser.get('/read')).json<SessionView>().data).toEqual({ user: 'kept' });
    });

    it('seals a value that cookieReader().sealed reads back, and reads a forged one as null', async () => {
      const app = await start({ routes: ROUTES });
      const browser = app.browser();
      const sealed = (await browser.get('/seal')).cookie('__Host-prefs');
      expect(sealed?.value).toMatch(/^Fe26\.2\*/);
      // Encrypted: the plaintext is not in the cookie.
      expect(decodeURIComponent(sealed!.value)).not.toContain('lang');
      expect((await browser.get('/read-cookies')).json()).toMatchObject({ prefs: { lang: 'fr', sizes: [1, 2] } });
      browser.cookies.set('__Host-prefs', `${sealed!.value.slice(0, -2)}xx`);
      expect((await browser.get('/read-cookies')).json()).toMatchObject({ prefs: null });
    });

    it('binds a sealed value to its name: copied under another name it reads as null', async () => {
      const app = await start({ routes: ROUTES });
      const browser = app.browser();
      const prefs = (await browser.get('/seal')).cookie('__Host-prefs')!.value;
      browser.cookies.set('__Host-role', prefs);
      expect((await browser.get('/read-cookies')).json()).toMatchObject({
        prefs: { lang: 'fr', sizes: [1, 2] },
        role: null,
      });
    });

    it('never reads the double-submit CSRF cookie through cookieReader().sealed, nor accepts it under another name', async () => {
      const app = await start({ routes: ROUTES, csrf: 'cookie' });
      const browser = app.browser();
      await browser.get('/form');
      const csrf = browser.cookies.get('__Host-spartan.csrf');
      expect(csrf).toMatch(/^Fe26\.2\*/);
      browser.cookies.set('__Host-prefs', csrf!);
      expect((await browser.get('/read-cookies')).json()).toMatchObject({ csrf: null, prefs: null });
    });

    it('percent-encodes a value where needed, and cookieReader().get decodes it', async () => {
      const app = await start({ routes: ROUTES });
      const browser = app.browser();
      expect((await browser.get('/encoded')).cookie('__Host-note')?.value).toBe('a%20b%3Bc%25');
      expect((await browser.get('/read-cookies')).json()).toMatchObject({ note: 'a b;c%' });
    });

    it("refuses a missing name or value with session/missing-params, through the framework's error path", async () => {
      const app = await start({ routes: ROUTES });
      for (const path of ['/make-without-value', '/make-without-name', '/monster-without-name']) {
        const response = await app.browser().get(path);
        expect(response.status, path).toBe(500);
        expect(response.json<ErrorBody>().error, path).toBe('session/missing-params');
        expect(response.setCookies, path).toEqual([]);
      }
    });

    it('refuses a cookie over 4096 bytes with sessions/cookie-too-large, setting nothing', async () => {
      const app = await start({ routes: ROUTES });
      const response = await app.browser().get('/too-large');
      expect(response.status).toBe(500);
      expect(response.json<ErrorBody>().error).toBe('sessions/cookie-too-large');
      expect(response.setCookies).toEqual([]);
    });

    it('refuses a path or domain a browser would read otherwise: sessions/option-type-incorrect, setting nothing', async () => {
      const app = await start({ routes: ROUTES });
      for (const path of ['/bad-path', '/bad-domain']) {
        const response = await app.browser().get(path);
        expect(response.status, path).toBe(500);
        expect(response.json<ErrorBody>().error, path).toBe('sessions/option-type-incorrect');
        expect(response.setCookies, path).toEqual([]);
      }
    });

    it('keeps a path of its own under prefix auto (__Secure-, never __Host- with the path widened), and cookieMonster and cookieReader find it', async () => {
      const app = await start({ routes: ROUTES });
      const browser = app.browser();
      const made = await browser.get('/make-on-path');
      expect(made.headers.getSetCookie()).toEqual(['__Secure-scoped=v; Path=/account; HttpOnly; Secure; SameSite=Lax']);
      expect((await browser.get('/read-scoped')).json()).toEqual({ scoped: 'v' });
      const cleared = await browser.get('/monster-on-path');
      expect(cleared.headers.getSetCookie()).toEqual([
        '__Secure-scoped=; Max-Age=0; Path=/account; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
      ]);
    });

    it('keeps a domain of its own under prefix auto, with no prefix', async () => {
      const app = await start({ routes: ROUTES });
      const made = await app.browser().get('/make-for-domain');
      expect(made.setCookies).toHaveLength(1);
      const cookie = made.setCookies[0]!;
      expect(cookie.name).toBe('shared');
      expect(cookie.attributes.get('domain')).toBe('example.com');
      expect(cookie.attributes.get('path')).toBe('/');
      expect(cookie.attributes.has('secure')).toBe(true);
      expect(cookie.attributes.has('httponly')).toBe(true);
    });

    it('cookieMonster expires a cookie with the same prefix, path and flags', async () => {
      const app = await start({ routes: ROUTES });
      const response = await app.browser().get('/monster');
      expect(response.headers.getSetCookie()).toEqual([
        '__Host-theme=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
      ]);
      expect(response.json()).toMatchObject({ name: '__Host-theme' });
    });
  });
}
