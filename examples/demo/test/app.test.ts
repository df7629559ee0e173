/**
 * The demo over plain HTTP (no browser): escaping, redirects, error pages, headers. The browser
 * test covers the flows a person clicks through.
 */
import { MemoryStore } from '@spartan-sessions/core';
import { createFakeClock } from '@spartan-sessions/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoApp, type DemoApp, FRAMEWORKS, safeNext } from '../src/app.js';
import { formatDuration, formatTime } from '../src/format.js';
import { escapeHtml, html, raw } from '../src/html.js';
import { type LocalhostServer, listenOnLocalhost } from '../src/listen.js';

const COOKIE = '__Host-spartan';
/** The login form's double-submit cookie: the CSRF secret, sealed, instead of a session. */
const CSRF_COOKIE = `${COOKIE}.csrf`;

describe('html', () => {
  it('escapes every interpolated value, and only those', () => {
    const name = `<script>alert("x")</script>&'\``;
    expect(escapeHtml(name)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;');
    expect(html`<p title="${name}">${name}</p>`.value).toBe(`<p title="${escapeHtml(name)}">${escapeHtml(name)}</p>`);
    expect(html`<ul>${['a<', html`<li>b</li>`, null, false, 3]}</ul>`.value).toBe('<ul>a&lt;<li>b</li>3</ul>');
    expect(html`${raw('<b>')}`.value).toBe('<b>');
  });
});

describe('safeNext', () => {
  it('keeps local paths and refuses what a browser would follow off-site', () => {
    expect(safeNext('/account', '/')).toBe('/account');
    expect(safeNext('/admin?tab=users', '/', '/admin')).toBe('/admin?tab=users');
    for (const bad of ['//evil.example', '/\\evil.example', '/\t/evil.example', 'https://evil.example', '', 42]) {
      expect(safeNext(bad, '/fallback')).toBe('/fallback');
    }
    expect(safeNext('/account', '/admin', '/admin')).toBe('/admin');
    expect(safeNext('/administrator', '/admin', '/admin')).toBe('/admin');
  });
});

describe('format', () => {
  it('shows UTC times and short durations', () => {
    expect(formatTime(Date.UTC(2026, 4, 3, 14, 22, 5))).toBe('2026-05-03 14:22:05 UTC');
    expect(formatDuration(43_200_000)).toBe('12 h');
    expect(formatDuration(3_840_000)).toBe('1 h 04 min');
    expect(formatDuration(300_000)).toBe('5 min');
    expect(formatDuration(1_798_000)).toBe('29 min 58 s');
    expect(formatDuration(-5)).toBe('0 s');
  });
});

/** A memory store that can be switched to failing, as an unreachable Redis would. */
class FlakyStore extends MemoryStore {
  down = false;
  override get(key: string) {
    return this.down ? Promise.reject(new Error('connection refused')) : super.get(key);
  }
}

function cookiePair(response: Response, name = COOKIE): string | undefined {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .find((pair) => pair.startsWith(`${name}=`) && pair.length > name.length + 1);
}

/** The login form: its CSRF token and the cookie the browser would send back with it. */
async function loginForm(base: string): Promise<{ token: string; cookie: string }> {
  const form = await fetch(`${base}/login`);
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  return { token, cookie: cookiePair(form, CSRF_COOKIE) ?? '' };
}

describe.each(FRAMEWORKS)('the demo over HTTP on %s', (framework) => {
  const clock = createFakeClock(Date.now());
  const store = new FlakyStore({ clock });
  let demo: DemoApp;
  let server: LocalhostServer;
  let base: string;

  /** Signs alice in as a non-browser client; resolves her session cookie. */
  const signIn = async (): Promise<string> => {
    const { token, cookie } = await loginForm(base);
    const response = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, username: 'alice', password: 'correct horse battery staple' }),
    });
    expect(response.status).toBe(303);
    return cookiePair(response) ?? '';
  };

  beforeAll(async () => {
    demo = await createDemoApp({
      framework,
      secrets: 'a demo secret for the http test, at least 32 chars',
      clock,
      store,
    });
    server = await listenOnLocalhost(demo.handler, 0);
    base = server.url;
  });

  afterAll(async () => {
    await server?.close();
    await demo?.close();
  });

  it('keeps anonymous reading lazy: no session cookie until a sign-in', async () => {
    const home = await fetch(`${base}/`);
    expect(home.status).toBe(200);
    expect(home.headers.getSetCookie()).toEqual([]);
    expect(home.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(home.headers.get('cache-control')).toBe('no-store');
  });

  it('shows the login form without storing a session: its CSRF secret is in a sealed cookie of its own', async () => {
    const before = store.stats().sessions;
    for (let index = 0; index < 200; index++) {
      const login = await fetch(`${base}/login`);
      expect(login.status).toBe(200);
      expect(cookiePair(login), 'no session cookie').toBeUndefined();
      await login.body?.cancel();
    }
    expect(store.stats().sessions).toBe(before);
    const login = await fetch(`${base}/login`);
    const csrfCookie = login.headers.getSetCookie().find((line) => line.startsWith(`${CSRF_COOKIE}=`));
    expect(csrfCookie).toMatch(/; HttpOnly/i);
    expect(csrfCookie).toMatch(/; Secure/i);
    expect(csrfCookie).toMatch(/; Path=\//i);
    await login.body?.cancel();

    // And the sign-in still works: the session is created by it, signed in.
    const cookie = await signIn();
    expect(store.stats().sessions).toBe(before + 1);
    const account = await fetch(`${base}/account`, { headers: { cookie } });
    expect(account.status).toBe(200);
    expect(await account.text()).toContain('alice');
  });

  it("refuses a sign-in without the login form's cookie or token, and stores nothing", async () => {
    const before = store.stats().sessions;
    const { token, cookie } = await loginForm(base);
    const credentials = { username: 'alice', password: 'correct horse battery staple' };
    for (const attempt of [
      { cookie: '', body: { _csrf: token, ...credentials } },
      { cookie, body: credentials },
    ]) {
      const response = await fetch(`${base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: attempt.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(attempt.body),
      });
      expect(response.status).toBe(403);
      expect(cookiePair(response)).toBeUndefined();
      await response.body?.cancel();
    }
    expect(store.stats().sessions).toBe(before);
  });

  it('rejects a wrong password with 401 and the form again, escaping what was typed', async () => {
    const { token, cookie } = await loginForm(base);
    const response = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, username: '"><script>x</script>', password: 'nope' }),
    });
    expect(response.status).toBe(401);
    const page = await response.text();
    expect(page).toContain('Wrong username or password.');
    expect(page).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(page).not.toContain('<script>');
  });

  it('refuses a state change without the CSRF token (403 page)', async () => {
    const cookie = await signIn();
    const response = await fetch(`${base}/account/name`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ displayName: 'Mallory' }),
    });
    expect(response.status).toBe(403);
    const page = await response.text();
    expect(page).toContain('Request refused');
    expect(page).toContain('sessions/csrf-invalid');
    expect(demo.users.byId('u-alice')?.displayName).toBe('Alice Liddell');
  });

  it('sends anonymous visitors of /admin to the login page, and stale forms there to the password page', async () => {
    const anonymous = await fetch(`${base}/admin`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/login?next=%2Fadmin');

    const cookie = await signIn();
    clock.advance((demo.policy.config.privileged.reauthAfter + 1) * 1000);
    const stale = await fetch(`${base}/admin/users/u-bob/revoke`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(stale.status).toBe(303);
    expect(stale.headers.get('location')).toBe('/admin/reauth?next=%2Fadmin');
  });

  it('answers 503 with a page of its own when the session store is down', async () => {
    const cookie = await signIn();
    store.down = true;
    try {
      const response = await fetch(`${base}/account`, { headers: { cookie } });
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('Session store unavailable');
    } finally {
      store.down = false;
    }
  });

  it('refuses a form body over 8 KiB with 413, and changes nothing', async () => {
    const cookie = await signIn();
    const response = await fetch(`${base}/account/name`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ displayName: 'M'.repeat(9000) }),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await response.text()).toContain('Bad request');
    expect(demo.users.byId('u-alice')?.displayName).toBe('Alice Liddell');
  });

  it('answers unknown addresses with a 404 page', async () => {
    const response = await fetch(`${base}/nowhere`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('Not found');
  });
});
