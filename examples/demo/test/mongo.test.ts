/**
 * `STORE=mongo`: no MongoDB server can be installed on the machines that build this project, so
 * the sign-in round trip against MongoDB runs only when `MONGO_URL` names one (and is reported as
 * skipped otherwise, never as passed). What runs everywhere: the start-up refusal without
 * `MONGO_URL`, and fail-closed behaviour against a MongoDB that does not answer (a closed port:
 * the real driver, a refused connection).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoExit, type RunningDemo, startDemo } from './support/spawn-demo.js';

const COOKIE = '__Host-spartan';
const ALICE = { username: 'alice', password: 'correct horse battery staple' };

function cookiePair(response: Response, name = COOKIE): string | undefined {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .find((pair) => pair.startsWith(`${name}=`) && pair.length > name.length + 1);
}

/** Posts the login form as a browser would; resolves the response. */
async function signIn(base: string): Promise<Response> {
  const form = await fetch(`${base}/login`);
  const csrfCookie = cookiePair(form, `${COOKIE}.csrf`) ?? '';
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  return fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, ...ALICE }),
  });
}

describe('the demo with STORE=mongo', () => {
  it('refuses to start without MONGO_URL, in one line that says what to set', async () => {
    const { MONGO_URL: _unset, ...rest } = process.env;
    const { code, output } = await demoExit({ ...(rest as Record<string, string>), STORE: 'mongo', MONGO_URL: '' });
    expect(code).toBe(1);
    expect(output.trim()).toBe('✖ STORE=mongo needs MONGO_URL, e.g. MONGO_URL=mongodb://127.0.0.1:27017/spartan_demo');
  });

  describe('against a MongoDB that does not answer (a closed loopback port)', () => {
    let demo: RunningDemo | undefined;

    beforeAll(async () => {
      demo = await startDemo({ STORE: 'mongo', MONGO_URL: 'mongodb://user:hunter2@127.0.0.1:1/spartan_demo' });
    });

    afterAll(async () => {
      await demo?.stop();
    });

    it('starts (the driver connects on first use) and names the store without the password', () => {
      expect(demo?.output()).toContain('MongoDB store at mongodb://user:***@127.0.0.1:1/spartan_demo');
      expect(demo?.output()).not.toContain('hunter2');
    });

    it('serves anonymous pages, which need no store, and fails a sign-in closed: 503, no session cookie', async () => {
      const home = await fetch(`${demo?.base}/`);
      expect(home.status).toBe(200);
      const response = await signIn(demo?.base ?? '');
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('Session store unavailable');
      expect(cookiePair(response)).toBeUndefined();
    });
  });

  describe.skipIf(!process.env.MONGO_URL)('against the MongoDB at MONGO_URL', () => {
    let demo: RunningDemo | undefined;

    beforeAll(async () => {
      demo = await startDemo({ STORE: 'mongo', MONGO_URL: process.env.MONGO_URL ?? '', MONGO_DB: 'spartan_demo_test' });
    });

    afterAll(async () => {
      await demo?.stop();
    });

    it('signs in, keeps the session in MongoDB, and ends it at logout', async () => {
      const base = demo?.base ?? '';
      const login = await signIn(base);
      expect(login.status).toBe(303);
      const session = cookiePair(login);
      expect(session).toBeDefined();
      const page = await fetch(`${base}/account`, { headers: { cookie: session ?? '' } });
      expect(page.status).toBe(200);
      const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
      const logout = await fetch(`${base}/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: session ?? '', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: token }),
      });
      expect(logout.status).toBe(303);
      const replay = await fetch(`${base}/account`, { headers: { cookie: session ?? '' }, redirect: 'manual' });
      expect(replay.headers.get('location')).toBe('/login?next=%2Faccount');
    });
  });
});
