import { describe, expect, it } from 'vitest';
import type { PolicyInput } from '../../policy/policy.js';
import type { Browser } from './browser.js';
import type { ErrorBody, KitContext } from './fixture.js';

const MODES = [
  { mode: 'session', title: 'synchronizer token (cookie: false)' },
  { mode: 'cookie', title: 'double submit (cookie: true)' },
] as const;

const CSRF_COOKIE = '__Host-spartan.csrf';

async function tokenFor(browser: Browser): Promise<string> {
  const response = await browser.get('/form');
  expect(response.status).toBe(200);
  const { token } = response.json<{ token: string }>();
  expect(typeof token).toBe('string');
  return token;
}

/** CSRF middleware in both modes (SPEC §7 `csrf({ cookie })`). */
export function describeCsrf({ start }: KitContext): void {
  describe.each(MODES)('CSRF: $title', ({ mode }) => {
    const startCsrf = (policy?: PolicyInput) => start({ csrf: mode, ...(policy !== undefined && { policy }) });

    it('sets no cookie for a visitor who never asks for a token', async () => {
      const app = await startCsrf();
      const response = await app.browser().get('/noop');
      expect(response.status).toBe(200);
      expect(response.setCookies).toEqual([]);
    });

    it(`keeps the secret ${mode === 'cookie' ? 'in a sealed __Host- cookie (HttpOnly, Secure, SameSite, Path=/)' : 'in the session'}, created by the first token`, async () => {
      const app = await startCsrf();
      const response = await app.browser().get('/form');
      expect(response.setCookies.map((cookie) => cookie.name)).toEqual([
        mode === 'cookie' ? CSRF_COOKIE : '__Host-spartan',
      ]);
      if (mode === 'cookie') {
        const cookie = response.cookie(CSRF_COOKIE)!;
        expect(cookie.value).toMatch(/^Fe26\.2\*/);
        expect(cookie.attributes.has('httponly')).toBe(true);
        expect(cookie.attributes.has('secure')).toBe(true);
        expect(cookie.attributes.get('samesite')).toBe('Lax');
        expect(cookie.attributes.get('path')).toBe('/');
        expect(cookie.attributes.has('domain')).toBe(false);
      }
    });

    it('lets safe methods through without a token', async () => {
      const app = await startCsrf();
      const browser = app.browser();
      await tokenFor(browser);
      const response = await browser.get('/noop', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
      expect(response.status).toBe(200);
    });

    it('accepts the token from the header', async () => {
      const app = await startCsrf();
      const browser = app.browser();
      const token = await tokenFor(browser);
      const response = await browser.post('/submit', {}, { 'x-csrf-token': token });
      expect(response.status).toBe(200);
      expect(response.json()).toEqual({ ok: true });
    });

    it('accepts the token from the urlencoded body field', async () => {
      const app = await startCsrf();
      const browser = app.browser();
      const token = await tokenFor(browser);
      expect((await browser.post('/submit', { _csrf: token })).status).toBe(200);
    });

    it('accepts the token from a JSON body field', async () => {
      const app = await startCsrf();
      const browser = app.browser();
      const token = await tokenFor(browser);
      expect((await browser.postJson('/submit', { _csrf: token })).status).toBe(200);
    });

    it("reads the policy's header and field names", async () => {
      const app = await startCsrf({ config: { csrf: { header: 'X-XSRF-Token', field: 'authenticity' } } });
      const browser = app.browser();
      const token = await tokenFor(browser);
      expect((await browser.post('/submit', {}, { 'x-xsrf-token': token })).status).toBe(200);
      expect((await browser.post('/submit', { authenticity: token })).status).toBe(200);
      const defaults = await browser.post('/submit', { _csrf: token }, { 'x-csrf-token': token });
      expect(defaults.status).toBe(403);
      expect(defaults.json<ErrorBody>().error).toBe('sessions/csrf-invalid');
    });

    it('masks tokens per call (BREACH): two tokens differ and both verify', async () => {
      const app = await startCsrf();
      const browser = app.browser();
      const { token, again } = (await browser.get('/form')).json<{ token: string; again: string }>();
      const third = await tokenFor(browser);
      expect(new Set([token, again, third]).size).toBe(3);
      for (const each of [token, again, third])
        expect((await browser.post('/submit', { _csrf: each })).status).toBe(200);
    });

    it('refuses a request without a token: 403 sessions/csrf-invalid', async () => {
      const app = await startCsrf();
      const browser = app.browser();
      await tokenFor(browser);
      const response = await browser.post('/submit', { name: 'x' });
      expect(response.status).toBe(403);
      expect(response.json<ErrorBody>().error).toBe('sessions/csrf-invalid');
      const fresh = await app.browser().post('/submit', {});
      expect(fresh.status).toBe(403);
      expect(fresh.json<ErrorBody>().error).toBe('sessions/csrf-invalid');
    });

    it("refuses another visitor's token and garbage: 403 sessions/csrf-invalid", async () => {
      const app = await startCsrf();
      const victim = app.browser();
      await tokenFor(victim);
      const foreign = await tokenFor(app.browser());
      for (const wrong of [foreign, 'not-a-token', '']) {
        const response = await victim.post('/submit', { _csrf: wrong });
        expect(response.status).toBe(403);
        expect(response.json<ErrorBody>().error).toBe('sessions/csrf-invalid');
      }
    });

    it('refuses a foreign Origin even with a valid token: 403 sessions/cross-origin-request', async () => {
      const app = await startCsrf();
      const browser = app.browser();
      const token = await tokenFor(browser);
      const response = await browser.post('/submit', { _csrf: token }, { origin: 'http://evil.example' });
      expect(response.status).toBe(403);
      expect(response.json<ErrorBody>().error).toBe('sessions/cross-origin-request');
    });

    it('judges Sec-Fetch-Site first: cross-site and same-site refused, same-origin and none accepted', async () => {
      const app = await startCsrf();
      const browser = app.browser();
      const token = await tokenFor(browser);
      for (const site of ['cross-site', 'same-site']) {
        const response = await browser.post('/submit', { _csrf: token }, { 'sec-fetch-site': site });
        expect(response.status).toBe(403);
        expect(response.json<ErrorBody>().error).toBe('sessions/cross-origin-request');
      }
      for (const site of ['same-origin', 'none']) {
        expect((await browser.post('/submit', { _csrf: token }, { 'sec-fetch-site': site })).status).toBe(200);
      }
      const own = await browser.post('/submit', { _csrf: token }, { origin: app.url, 'sec-fetch-site': 'same-origin' });
      expect(own.status).toBe(200);
    });

    it('judges by Referer when Origin is absent: a foreign one refused, its own accepted', async () => {
      const app = await startCsrf();
      const browser = app.browser();
      const token = await tokenFor(browser);
      const foreign = await browser.post('/submit', { _csrf: token }, { referer: 'http://evil.example/form' });
      expect(foreign.status).toBe(403);
      expect(foreign.json<ErrorBody>().error).toBe('sessions/cross-origin-request');
      const own = await browser.post('/submit', { _csrf: token }, { referer: `${app.url}/form?x=1` });
      expect(own.status).toBe(200);
    });

    it('refuses an Origin that is not a plain scheme://host[:port]: null, userinfo, a path', async () => {
      const app = await startCsrf();
      const browser = app.browser();
      const token = await tokenFor(browser);
      const host = app.url.slice('http://'.length);
      for (const origin of ['null', `http://user@${host}`, `${app.url}/`]) {
        const response = await browser.post('/submit', { _csrf: token }, { origin });
        expect(response.status, origin).toBe(403);
        expect(response.json<ErrorBody>().error).toBe('sessions/cross-origin-request');
      }
    });

    it('accepts an Origin listed in csrf.trustedOrigins, even cross-site', async () => {
      const app = await startCsrf({ config: { csrf: { trustedOrigins: ['https://partner.example'] } } });
      const browser = app.browser();
      const token = await tokenFor(browser);
      const trusted = await browser.post(
        '/submit',
        { _csrf: token },
        { origin: 'https://partner.example', 'sec-fetch-site': 'cross-site' },
      );
      expect(trusted.status).toBe(200);
      const other = await browser.post(
        '/submit',
        { _csrf: token },
        { origin: 'https://partner.example.evil', 'sec-fetch-site': 'cross-site' },
      );
      expect(other.status).toBe(403);
      // Trust opens the origin check only: the token still decides.
      const tokenless = await browser.post('/submit', {}, { origin: 'https://partner.example' });
      expect(tokenless.status).toBe(403);
      expect(tokenless.json<ErrorBody>().error).toBe('sessions/csrf-invalid');
    });

    it('passes a non-browser client (no Sec-Fetch-Site, Origin or Referer) to the token check', async () => {
      const app = await startCsrf();
      const browser = app.browser();
      const token = await tokenFor(browser);
      expect((await browser.post('/submit', { _csrf: token })).status).toBe(200);
      const tokenless = await browser.post('/submit', {});
      expect(tokenless.status).toBe(403);
      expect(tokenless.json<ErrorBody>().error).toBe('sessions/csrf-invalid');
    });

    it('in report mode lets refused requests through and emits csrf-rejected for each', async () => {
      const app = await startCsrf({ config: { csrf: { mode: 'report' } } });
      const browser = app.browser();
      await tokenFor(browser);
      expect((await browser.post('/submit', {})).status).toBe(200);
      expect((await browser.post('/submit', { _csrf: 'wrong' }, { origin: 'http://evil.example' })).status).toBe(200);
      expect(app.events.filter((event) => event.type === 'csrf-rejected')).toHaveLength(2);
    });

    it('emits csrf-rejected when it refuses in enforce mode', async () => {
      const app = await startCsrf();
      expect((await app.browser().post('/submit', {})).status).toBe(403);
      expect(app.events.filter((event) => event.type === 'csrf-rejected')).toHaveLength(1);
    });

    if (mode === 'session') {
      it('renews the secret on authenticate(): a token from before the sign-in is refused after it', async () => {
        const app = await startCsrf();
        const browser = app.browser();
        const before = await tokenFor(browser);
        expect((await browser.post('/login', { user: 'alice', _csrf: before })).status).toBe(200);
        const stale = await browser.post('/submit', { _csrf: before });
        expect(stale.status).toBe(403);
        expect(stale.json<ErrorBody>().error).toBe('sessions/csrf-invalid');
        expect((await browser.post('/submit', { _csrf: await tokenFor(browser) })).status).toBe(200);
      });
    }
  });
}
