/**
 * The demo in a real Chromium (Debian's /usr/bin/chromium, driven by playwright-core; never a
 * downloaded browser). One browser profile plays the victim through the whole file, so the
 * tests run in order and share it. Time is a fake clock: nothing here sleeps.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryStore } from '@spartan-sessions/core';
import { createFakeClock } from '@spartan-sessions/core/testing';
import { type BrowserContext, type Cookie, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoApp, type DemoApp, FRAMEWORKS, type Framework } from '../src/app.js';
import { escapeHtml } from '../src/html.js';
import { type LocalhostServer, listenOnLocalhost } from '../src/listen.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const COOKIE = '__Host-spartan';
const CSRF_COOKIE = `${COOKIE}.csrf`;
const ALICE = { username: 'alice', password: 'correct horse battery staple' };

/**
 * Screenshots of every page. They are committed under docs/screenshots; a run rewrites them only
 * when asked (`UPDATE_SCREENSHOTS=1`) or when one is missing, so `npm test` leaves the tree clean.
 */
const DOCS_SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const RUN_SCREENSHOTS = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url));

async function screenshot(page: Page, framework: Framework, name: string): Promise<void> {
  // The pages are the same on every framework: the docs show Express's, the other runs keep theirs
  // under test-results for a look.
  const file = framework === 'express' ? `${name}.png` : `${framework}-${name}.png`;
  const update =
    framework === 'express' && (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(join(DOCS_SCREENSHOTS, file)));
  const directory = update ? DOCS_SCREENSHOTS : RUN_SCREENSHOTS;
  await mkdir(directory, { recursive: true });
  await page.screenshot({ path: join(directory, file), fullPage: true, animations: 'disabled', caret: 'hide' });
}

/** The `name=value` pair of the session cookie a response sets, if any. */
function sessionCookiePair(response: Response): string | undefined {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .find((pair) => pair.startsWith(`${COOKIE}=`) && pair.length > COOKIE.length + 1);
}

function hiddenField(page: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!match?.[1]) throw new Error(`no ${name} field in the page`);
  return match[1];
}

/** A second device of the same user: a plain HTTP client (no Origin, no Fetch Metadata) signing in. */
async function signInWithoutBrowser(base: string, username: string, password: string): Promise<string> {
  const form = await fetch(`${base}/login`);
  // The form's CSRF secret travels in its own sealed cookie; the form stores no session.
  expect(sessionCookiePair(form)).toBeUndefined();
  const csrfCookie = form.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .find((pair) => pair.startsWith(`${CSRF_COOKIE}=`));
  expect(csrfCookie).toBeDefined();
  const token = hiddenField(await form.text(), '_csrf');
  const response = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: csrfCookie ?? '', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, username, password, next: '/account' }),
  });
  expect(response.status).toBe(303);
  const signedIn = sessionCookiePair(response);
  expect(signedIn).toBeDefined();
  return signedIn ?? '';
}

/** Whom the demo takes a request carrying `cookie` for: the `/account` page, or a redirect to sign in. */
async function accountAs(base: string, cookie: string): Promise<{ status: number; location: string | null }> {
  const response = await fetch(`${base}/account`, { redirect: 'manual', headers: { cookie } });
  await response.body?.cancel();
  return { status: response.status, location: response.headers.get('location') };
}

describe.each(FRAMEWORKS)('the demo in Chromium on %s', (framework) => {
  const clock = createFakeClock(Date.now());
  let demo: DemoApp;
  let server: LocalhostServer;
  let base: string;
  let attacker: Server | undefined;
  let userDataDir: string;
  let context: BrowserContext;
  let page: Page;

  const sessionCookie = async (): Promise<Cookie | undefined> =>
    (await context.cookies(base)).find((cookie) => cookie.name === COOKIE);
  /** Sessions held by the demo's default store (the in-memory one). */
  const storedSessions = (): number => {
    const store = demo.manager.store;
    if (!(store instanceof MemoryStore)) throw new Error('the demo should default to the in-memory store');
    return store.stats().sessions;
  };

  beforeAll(async () => {
    demo = await createDemoApp({ framework, secrets: 'a demo secret for the browser test, at least 32 chars', clock });
    server = await listenOnLocalhost(demo.handler, 0);
    base = server.url;
    userDataDir = await mkdtemp(join(tmpdir(), 'spartan-demo-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1000, height: 700 },
      deviceScaleFactor: 1,
      timezoneId: 'UTC',
      locale: 'en-US',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    await demo?.close();
    await demo?.manager.close();
    if (attacker) {
      const closing = attacker;
      await new Promise<void>((resolve) => closing.close(() => resolve()));
      closing.closeAllConnections();
    }
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  it('signs in through the CSRF-protected form and stores a __Host- cookie: HttpOnly, Secure, SameSite=Lax, host-only', async () => {
    await page.goto(`${base}/`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Who am I?');
    expect(await page.textContent('main')).toContain('Nobody yet');
    // Lazy sessions: an anonymous visit to a page without a form stores nothing.
    expect(await sessionCookie()).toBeUndefined();

    const sessionsBefore = storedSessions();
    await page.goto(`${base}/login`);
    expect(await sessionCookie(), 'the login form stores no session').toBeUndefined();
    expect(storedSessions()).toBe(sessionsBefore);
    const csrfCookie = (await context.cookies(base)).find((cookie) => cookie.name === CSRF_COOKIE);
    expect(csrfCookie, 'its CSRF secret is in a sealed cookie of its own').toMatchObject({
      path: '/',
      httpOnly: true,
      secure: true,
    });
    await page.fill('#username', ALICE.username);
    await page.fill('#password', ALICE.password);
    await screenshot(page, framework, 'login');
    await Promise.all([page.waitForURL(`${base}/account`), page.click('main button[type=submit]')]);
    expect(await page.textContent('main')).toContain('Welcome, Alice Liddell');

    const cookie = await sessionCookie();
    expect(cookie).toMatchObject({
      name: COOKIE,
      domain: 'localhost', // host-only: no Domain attribute (a Domain cookie would read ".localhost")
      path: '/',
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
    });
    expect(await page.evaluate(() => document.cookie), 'HttpOnly: invisible to scripts').toBe('');
    await screenshot(page, framework, 'account');

    await page.goto(`${base}/`);
    const main = await page.textContent('main');
    expect(main).toContain('Signed in as Alice Liddell');
    expect(main).toContain('Idle time left');
    expect(main).toContain('normal');
    await screenshot(page, framework, 'home');
  });

  it('gives the session a new id on entering the privileged /admin area', async () => {
    const before = await sessionCookie();
    const response = await page.goto(`${base}/admin`);
    expect(response?.status()).toBe(200);
    expect(await page.textContent('h1')).toBe('Admin');
    const after = await sessionCookie();
    expect(after?.value).toBeDefined();
    expect(after?.value).not.toBe(before?.value);
    // The old id died with the rotation.
    expect(await accountAs(base, `${COOKIE}=${before?.value}`)).toMatchObject({ status: 303 });
  });

  it('asks for the password again once the sign-in is older than reauthAfter, then lets the user in', async () => {
    clock.advance((demo.policy.config.privileged.reauthAfter + 1) * 1000);
    const refused = await page.goto(`${base}/admin`);
    expect(refused?.status()).toBe(401);
    expect(await page.textContent('h1')).toBe('Confirm it’s you');
    await screenshot(page, framework, 'reauth');

    const before = await sessionCookie();
    await page.fill('#password', 'not the password');
    const [wrong] = await Promise.all([
      page.waitForResponse((response) => response.url() === `${base}/admin/reauth`),
      page.click('main button[type=submit]'),
    ]);
    expect(wrong.status()).toBe(401);
    await page.waitForSelector('text=Wrong password.');

    await page.fill('#password', ALICE.password);
    await Promise.all([page.waitForURL(`${base}/admin`), page.click('main button[type=submit]')]);
    expect(await page.textContent('h1')).toBe('Admin');
    const after = await sessionCookie();
    expect(after?.value, 're-authentication rotates the id').not.toBe(before?.value);
    expect(await page.textContent('main')).toContain('rotated');
    await screenshot(page, framework, 'admin');
  });

  it('lists the active sessions and signs out everywhere else', async () => {
    const otherDevice = await signInWithoutBrowser(base, ALICE.username, ALICE.password);
    expect(await accountAs(base, otherDevice)).toMatchObject({ status: 200 });

    await page.goto(`${base}/sessions`);
    expect(await page.locator('tbody tr').count()).toBe(2);
    expect(await page.textContent('main')).toContain('this browser');
    await screenshot(page, framework, 'sessions');

    const mine = await sessionCookie();
    await Promise.all([
      page.waitForURL(`${base}/sessions`),
      page.click('form[action="/sessions/revoke-others"] button'),
    ]);
    await page.waitForSelector('text=Signed out 1 other session.');
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await accountAs(base, otherDevice)).toEqual({ status: 303, location: '/login?next=%2Faccount' });
    expect((await sessionCookie())?.value, 'this session is kept').toBe(mine?.value);
  });

  it('refuses a form auto-submitted from another site and leaves the victim’s session unchanged', async () => {
    await page.goto(`${base}/account`);
    const displayName = await page.textContent('#display-name');
    const before = await sessionCookie();
    expect(before).toBeDefined();

    // 127.0.0.1 is a different site from localhost: a cross-site attacker page.
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<title>You won!</title><h1>Claim your prize…</h1>
<form id="forged" method="POST" action="${escapeHtml(`${base}/account/name`)}">
  <input name="displayName" value="Pwned by 127.0.0.1">
</form>
<script>document.getElementById('forged').submit();</script>`);
    });
    const evil = attacker;
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const attackerUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;

    const forged = page.waitForResponse(
      (response) => response.url() === `${base}/account/name` && response.request().method() === 'POST',
    );
    await page.goto(attackerUrl);
    const response = await forged;
    expect(response.status()).toBe(403);
    expect((await response.request().allHeaders())['sec-fetch-site']).toBe('cross-site');
    await page.waitForURL(`${base}/account/name`);
    expect(await page.textContent('h1')).toBe('Request refused');
    expect(await page.textContent('main')).toContain('sessions/cross-origin-request');
    await screenshot(page, framework, 'refused-forgery');

    const after = await sessionCookie();
    expect(after?.value).toBe(before?.value);
    await page.goto(`${base}/account`);
    expect(await page.textContent('#display-name')).toBe(displayName);
    expect(await page.textContent('.who')).toContain('alice');
  });

  it('signs out: the cookie is gone and its old value is useless', async () => {
    const before = await sessionCookie();
    expect(before).toBeDefined();
    await page.goto(`${base}/`);
    await Promise.all([page.waitForURL(`${base}/?signed-out`), page.click('header button:has-text("Sign out")')]);
    expect(await page.textContent('main')).toContain('You are signed out');
    expect(await sessionCookie()).toBeUndefined();

    await page.goto(`${base}/account`);
    await page.waitForURL(`${base}/login?next=%2Faccount`);
    expect(await page.textContent('.who')).toContain('Not signed in');

    // Replay the old value, as a thief who copied it would: the server no longer knows it. (Sent
    // from Node: the browser's cookie API cannot store a `__Host-` cookie for an http origin.)
    const replayed = `${COOKIE}=${before?.value}`;
    expect(await accountAs(base, replayed)).toEqual({ status: 303, location: '/login?next=%2Faccount' });
    const home = await fetch(`${base}/`, { headers: { cookie: replayed } });
    expect(await home.text()).toContain('Nobody yet');
  });
});
