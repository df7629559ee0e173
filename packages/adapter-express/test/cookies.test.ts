import type { NextFunction, Request, Response } from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type MakeCookieParams, spartan } from '../src/index.js';
import { Browser, listen, type Running, renderError, SESSION_COOKIE, setCookie, setCookies } from './support/http.js';
import { describeMatrix } from './support/matrix.js';
import { SECRET } from './support/stores.js';

const codeOf = (error: unknown): string | undefined => (error as { code?: string } | null)?.code;

describeMatrix('cookieMaker, cookieMonster, cookieReader', ({ express }) => {
  let running: Running;

  beforeAll(async () => {
    const { sessions } = spartan({ secrets: SECRET });
    const { cookieMaker, cookieMonster, cookieReader } = sessions;
    const app = express();
    app.use(sessions.sessioner);
    const make = (params: MakeCookieParams) => (req: Request, res: Response, next: NextFunction) => {
      cookieMaker(req, res, params).then((cookie) => res.json(cookie), next);
    };
    app.get(
      '/make',
      make({ name: 'theme', value: 'dark', options: { maxAge: 60, httpOnly: false, secure: false, sameSite: 'none' } }),
    );
    app.get('/make-among-others', async (req, res) => {
      res.cookie('plain', '1');
      req.session.user = 'kept';
      await cookieMaker(req, res, { name: 'theme', value: 'light' });
      res.json({ ok: true });
    });
    app.get('/make-cb', (req, res) => {
      cookieMaker(req, res, { name: 'theme', value: 'dark' }, (error, cookie) => {
        res.json({ error: codeOf(error), name: cookie?.name });
      });
    });
    app.get('/seal', make({ name: 'prefs', value: { lang: 'fr', sizes: [1, 2] }, options: { sealed: true } }));
    app.get('/encoded', make({ name: 'note', value: 'a b;c%' }));
    app.get('/read', async (req, res) => {
      const reader = cookieReader(req);
      res.json({ sealed: await reader.sealed('prefs'), note: reader.get('note') ?? null, raw: reader.get('prefs') });
    });
    app.get('/read-role', async (req, res) => {
      res.json({ role: await cookieReader(req).sealed('role') });
    });
    app.get('/csrf-form', sessions.csrf({ cookie: true }), (req, res) => {
      res.json({ token: req.csrfToken() });
    });
    app.get('/read-csrf', async (req, res) => {
      res.json({ sealed: await cookieReader(req).sealed('spartan.csrf') });
    });
    app.get('/missing', make({ name: 'theme' }));
    app.get('/missing-cb', (req, res) => {
      cookieMaker(req, res, { value: 'x' }, (error) => {
        res.json({ error: codeOf(error) });
      });
    });
    app.get('/too-large', make({ name: 'big', value: 'x'.repeat(5000) }));
    app.get('/bad-domain', make({ name: 'theme', value: 'dark', options: { domain: 'a b,c' } }));
    app.get('/bad-path', make({ name: 'theme', value: 'dark', options: { path: '/a b,c' } }));
    app.get('/monster-bad-path', (_req, res) => {
      cookieMonster(res, { name: 'theme', options: { path: '/a,b' } }, (error) => {
        res.json({ error: codeOf(error), option: (error as { details?: { option?: string } }).details?.option });
      });
    });
    app.get('/monster', (_req, res) => {
      res.json(cookieMonster(res, { name: 'theme' }));
    });
    app.get('/monster-cb', (_req, res) => {
      cookieMonster(res, { name: 'theme' }, (error, cleared) => {
        res.json({ error: codeOf(error), name: cleared?.name });
      });
    });
    app.get('/monster-missing', (_req, res) => {
      let thrown: string | undefined;
      try {
        cookieMonster(res, {});
      } catch (error) {
        thrown = codeOf(error);
      }
      cookieMonster(res, {}, (error) => {
        res.json({ thrown, callback: codeOf(error) });
      });
    });
    app.use((err: unknown, req: Request, res: Response, next: NextFunction) => renderError(err, req, res, next));
    running = await listen(app);
  });

  afterAll(() => running.close());

  it('lets the policy override httpOnly/secure/sameSite and adds the __Host- prefix', async () => {
    const response = await new Browser(running.url).get('/make');
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([
      '__Host-theme=dark; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax',
    ]);
    expect(await response.json()).toMatchObject({ name: '__Host-theme', value: 'dark' });
  });

  it('keeps the Set-Cookie lines of res.cookie() and of the session', async () => {
    const response = await new Browser(running.url).get('/make-among-others');
    const names = setCookies(response).map((cookie) => cookie.name);
    expect(names.sort()).toEqual(['__Host-spartan', '__Host-theme', 'plain']);
    expect(setCookie(response, SESSION_COOKIE)?.value).toBeTruthy();
  });

  it('hands the cookie to a callback', async () => {
    expect(await (await new Browser(running.url).get('/make-cb')).json()).toEqual({ name: '__Host-theme' });
  });

  it('round-trips a sealed value, and reads a forged one as null', async () => {
    const browser = new Browser(running.url);
    const sealed = await browser.get('/seal');
    const cookie = setCookie(sealed, '__Host-prefs');
    expect(cookie?.value.startsWith('Fe26.2*')).toBe(true);
    // Encrypted: the plaintext JSON (quotes never occur in a sealed value) is not in the cookie.
    expect(cookie!.value).not.toContain('"lang"');
    expect(decodeURIComponent(cookie!.value)).not.toContain('"lang"');
    const read = await (await browser.get('/read')).json();
    expect(read.sealed).toEqual({ lang: 'fr', sizes: [1, 2] });
    browser.cookies.set('__Host-prefs', `${cookie!.value.slice(0, -2)}xx`);
    expect((await (await browser.get('/read')).json()).sealed).toBeNull();
  });

  it('a sealed value is bound to its cookie name: prefs copied into role reads as null', async () => {
    const browser = new Browser(running.url);
    const prefs = setCookie(await browser.get('/seal'), '__Host-prefs')!.value;
    browser.cookies.set('__Host-role', prefs);
    expect((await (await browser.get('/read')).json()).sealed).toEqual({ lang: 'fr', sizes: [1, 2] });
    expect(await (await browser.get('/read-role')).json()).toEqual({ role: null });
  });

  it('the double-submit CSRF cookie is not readable through cookieReader().sealed', async () => {
    const browser = new Browser(running.url);
    const form = await browser.get('/csrf-form');
    expect(setCookie(form, '__Host-spartan.csrf')?.value).toMatch(/^Fe26\.2\*/);
    expect(await (await browser.get('/read-csrf')).json()).toEqual({ sealed: null });
    browser.cookies.set('__Host-prefs', browser.cookies.get('__Host-spartan.csrf')!);
    expect((await (await browser.get('/read')).json()).sealed).toBeNull();
  });

  it('percent-encodes a value where needed and reads it back decoded', async () => {
    const browser = new Browser(running.url);
    const response = await browser.get('/encoded');
    expect(setCookie(response, '__Host-note')?.value).toBe('a%20b%3Bc%25');
    expect((await (await browser.get('/read')).json()).note).toBe('a b;c%');
  });

  it('sends a missing name or value to next(err) or the callback as session/missing-params', async () => {
    const browser = new Browser(running.url);
    expect(await (await browser.get('/missing')).json()).toEqual({ error: 'session/missing-params', status: null });
    expect(await (await browser.get('/missing-cb')).json()).toEqual({ error: 'session/missing-params' });
    expect(await (await browser.get('/monster-missing')).json()).toEqual({
      thrown: 'session/missing-params',
      callback: 'session/missing-params',
    });
  });

  it('refuses a cookie over 4096 bytes with sessions/cookie-too-large', async () => {
    const response = await new Browser(running.url).get('/too-large');
    expect((await response.json()).error).toBe('sessions/cookie-too-large');
    expect(setCookie(response, '__Host-big')).toBeUndefined();
  });

  it('refuses a path or domain with spaces or commas (sessions/option-type-incorrect), setting nothing', async () => {
    for (const path of ['/bad-domain', '/bad-path']) {
      const response = await new Browser(running.url).get(path);
      expect(await response.json()).toEqual({ error: 'sessions/option-type-incorrect', status: null });
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    const monster = await new Browser(running.url).get('/monster-bad-path');
    expect(await monster.json()).toEqual({ error: 'sessions/option-type-incorrect', option: 'path' });
    expect(monster.headers.getSetCookie()).toEqual([]);
  });

  it('expires a cookie with the same prefix and path (cookieMonster), directly or through a callback', async () => {
    const response = await new Browser(running.url).get('/monster');
    expect(response.headers.getSetCookie()).toEqual([
      '__Host-theme=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
    ]);
    expect(await (await new Browser(running.url).get('/monster-cb')).json()).toEqual({ name: '__Host-theme' });
  });
});
