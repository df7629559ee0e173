import { createCsrfSecret, maskCsrfToken } from '@spartan-sessions/core/adapter';
import type { NextFunction, Request, Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSpartanError, spartan } from '../src/index.js';
import { Browser, listen, type Running, renderError, SESSION_COOKIE, setCookie } from './support/http.js';
import { describeMatrix } from './support/matrix.js';
import { SECRET } from './support/stores.js';

const modes = [
  { mode: 'synchronizer', cookie: false },
  { mode: 'double submit', cookie: true },
] as const;

describeMatrix('csrf()', ({ express }) => {
  describe.each(modes)('$mode', ({ cookie }) => {
    let running: Running;

    beforeAll(async () => {
      const { sessions } = spartan({ secrets: SECRET });
      const app = express();
      app.use(express.urlencoded({ extended: false }));
      app.use(express.json());
      app.use(sessions.sessioner);
      app.use(sessions.csrf({ cookie }));
      app.get('/form', (req, res) => {
        res.json({ token: req.csrfToken(), again: req.csrfToken() });
      });
      app.post('/submit', (_req, res) => {
        res.json({ ok: true });
      });
      app.get('/plain', (_req, res) => {
        res.send('no form here');
      });
      app.use((err: unknown, req: Request, res: Response, next: NextFunction) => renderError(err, req, res, next));
      running = await listen(app);
    });

    afterAll(() => running.close());

    async function tokenFor(browser: Browser): Promise<string> {
      const body = await (await browser.get('/form')).json();
      expect(typeof body.token).toBe('string');
      return body.token;
    }

    it('keeps a visitor who never asks for a token lazy: no session cookie, no CSRF cookie', async () => {
      const response = await new Browser(running.url).get('/plain');
      expect(response.status).toBe(200);
      expect(response.headers.getSetCookie()).toEqual([]);
    });

    it('the first req.csrfToken() creates the secret and the response carries its cookie', async () => {
      const response = await new Browser(running.url).get('/form');
      const names = response.headers.getSetCookie().map((line) => line.slice(0, line.indexOf('=')));
      expect(names).toEqual([cookie ? '__Host-spartan.csrf' : SESSION_COOKIE]);
    });

    it('accepts the token from the header', async () => {
      const browser = new Browser(running.url);
      const token = await tokenFor(browser);
      const response = await browser.post('/submit', {}, { 'x-csrf-token': token });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ok: true });
    });

    it('accepts the token from the urlencoded body field', async () => {
      const browser = new Browser(running.url);
      const token = await tokenFor(browser);
      const response = await browser.post('/submit', { _csrf: token });
      expect(response.status).toBe(200);
    });

    it('accepts the token from a JSON body field', async () => {
      const browser = new Browser(running.url);
      const token = await tokenFor(browser);
      const response = await browser.fetch('/submit', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ _csrf: token }),
      });
      expect(response.status).toBe(200);
    });

    it('masks tokens per response (BREACH), and an earlier one still verifies', async () => {
      const browser = new Browser(running.url);
      const first = await tokenFor(browser);
      const second = await tokenFor(browser);
      expect(second).not.toBe(first);
      expect((await browser.post('/submit', { _csrf: first })).status).toBe(200);
      expect((await browser.post('/submit', { _csrf: second })).status).toBe(200);
    });

    it('refuses a request without a token: 403 sessions/csrf-invalid', async () => {
      const browser = new Browser(running.url);
      await tokenFor(browser);
      const response = await browser.post('/submit', { name: 'x' });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: 'sessions/csrf-invalid', status: 403 });
    });

    it('refuses a token of another visitor: 403 sessions/csrf-invalid', async () => {
      const victim = new Browser(running.url);
      await tokenFor(victim);
      const attacker = new Browser(running.url);
      const foreign = await tokenFor(attacker);
      const response = await victim.post('/submit', { _csrf: foreign });
      expect(response.status).toBe(403);
      expect((await response.json()).error).toBe('sessions/csrf-invalid');
      const garbage = await victim.post('/submit', { _csrf: 'not-a-token' });
      expect(garbage.status).toBe(403);
    });

    it('refuses Origin: http://evil.example even with a valid token: 403 sessions/cross-origin-request', async () => {
      const browser = new Browser(running.url);
      const token = await tokenFor(browser);
      const response = await browser.post('/submit', { _csrf: token }, { origin: 'http://evil.example' });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: 'sessions/cross-origin-request', status: 403 });
    });

    it('refuses Sec-Fetch-Site: cross-site: 403 sessions/cross-origin-request', async () => {
      const browser = new Browser(running.url);
      const token = await tokenFor(browser);
      const response = await browser.post('/submit', { _csrf: token }, { 'sec-fetch-site': 'cross-site' });
      expect(response.status).toBe(403);
      expect((await response.json()).error).toBe('sessions/cross-origin-request');
    });

    it('accepts a same-origin browser request (Origin and Sec-Fetch-Site of its own)', async () => {
      const browser = new Browser(running.url);
      const token = await tokenFor(browser);
      const response = await browser.post(
        '/submit',
        { _csrf: token },
        { origin: running.url, 'sec-fetch-site': 'same-origin' },
      );
      expect(response.status).toBe(200);
    });

    it(`keeps the secret ${cookie ? 'in a sealed __Host- cookie' : 'in the session'}`, async () => {
      const browser = new Browser(running.url);
      const response = await browser.get('/form');
      if (cookie) {
        expect(setCookie(response, '__Host-spartan.csrf')?.attributes.has('httponly')).toBe(true);
        expect(setCookie(response, SESSION_COOKIE)).toBeUndefined();
      } else {
        expect(setCookie(response, SESSION_COOKIE)).toBeDefined();
        expect(setCookie(response, '__Host-spartan.csrf')).toBeUndefined();
      }
    });
  });

  describe('a value the app seals with cookieMaker', () => {
    let running: Running;

    beforeAll(async () => {
      const { sessions } = spartan({ secrets: SECRET });
      const app = express();
      app.use(express.urlencoded({ extended: false }));
      // An app that seals what the visitor sends, under a name the visitor picks: the worst case.
      app.get('/remember', (req, res, next) => {
        const { name, value } = req.query as Record<string, string | undefined>;
        sessions
          .cookieMaker(req, res, { name, value: JSON.parse(value ?? 'null'), options: { sealed: true } })
          .then(() => res.json({ ok: true }), next);
      });
      app.get('/form', sessions.csrf({ cookie: true }), (req, res) => {
        res.json({ token: req.csrfToken() });
      });
      app.post('/submit', sessions.csrf({ cookie: true }), (_req, res) => {
        res.json({ ok: true });
      });
      app.use((err: unknown, req: Request, res: Response, next: NextFunction) => renderError(err, req, res, next));
      running = await listen(app);
    });

    afterAll(() => running.close());

    it('is never accepted as the double-submit CSRF cookie, whatever its name and payload', async () => {
      const chosen = createCsrfSecret();
      const expiresAt = Date.now() + 3_600_000;
      for (const payload of [
        { v: 1, s: chosen, e: expiresAt },
        { s: chosen, e: expiresAt },
        { p: 'csrf-cookie', n: '__Host-spartan.csrf', d: { s: chosen, e: expiresAt } },
      ]) {
        const attacker = new Browser(running.url);
        const query = new URLSearchParams({ name: 'spartan.csrf', value: JSON.stringify(payload) });
        const sealed = await attacker.get(`/remember?${query}`);
        expect(sealed.status).toBe(200);
        expect(setCookie(sealed, '__Host-spartan.csrf')?.value).toMatch(/^Fe26\.2\*/);
        const response = await attacker.post('/submit', { _csrf: maskCsrfToken(chosen) });
        expect(response.status).toBe(403);
        expect(await response.json()).toEqual({ error: 'sessions/csrf-invalid', status: 403 });
      }
    });

    it('while the CSRF cookie the guard sealed itself still works', async () => {
      const browser = new Browser(running.url);
      const { token } = await (await browser.get('/form')).json();
      expect((await browser.post('/submit', { _csrf: token })).status).toBe(200);
    });
  });

  describe('without the sessioner', () => {
    let running: Running;

    beforeAll(async () => {
      const { sessions } = spartan({ secrets: SECRET });
      const app = express();
      app.use(express.urlencoded({ extended: false }));
      app.post('/double-submit', sessions.csrf({ cookie: true }), (_req, res) => {
        res.json({ ok: true });
      });
      app.get('/double-submit', sessions.csrf({ cookie: true }), (req, res) => {
        res.json({ token: req.csrfToken() });
      });
      app.get('/synchronizer', sessions.csrf({ cookie: false }), (req, res) => {
        res.json({ token: req.csrfToken() });
      });
      app.use((err: unknown, req: Request, res: Response, next: NextFunction) => renderError(err, req, res, next));
      running = await listen(app);
    });

    afterAll(() => running.close());

    it('runs double submit on its own', async () => {
      const browser = new Browser(running.url);
      const { token } = await (await browser.get('/double-submit')).json();
      expect((await browser.post('/double-submit', { _csrf: token })).status).toBe(200);
      expect((await browser.post('/double-submit', {})).status).toBe(403);
    });

    it('sends the synchronizer mode to next(err), saying the sessioner must come first', async () => {
      const browser = new Browser(running.url);
      const response = await browser.get('/synchronizer');
      expect(response.status).toBe(500);
      expect((await response.json()).error).toBe('sessions/option-type-incorrect');
    });
  });

  it('validates its options at factory time, with the original codes', () => {
    const { sessions } = spartan({ secrets: SECRET });
    const codeOf = (run: () => unknown): string | undefined => {
      try {
        run();
      } catch (error) {
        return isSpartanError(error) ? error.code : 'not a SpartanError';
      }
      return undefined;
    };
    const csrf = sessions.csrf as (options?: unknown) => unknown;
    expect(codeOf(() => csrf())).toBe('sessions/missing-csrf-options');
    expect(codeOf(() => csrf({}))).toBe('sessions/missing-csrf-options');
    expect(codeOf(() => csrf({ cookie: 'yes' }))).toBe('sessions/option-type-incorrect');
    expect(codeOf(() => csrf({ cookie: true }))).toBeUndefined();
  });
});
