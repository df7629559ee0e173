/**
 * SPEC §5: a request the library refuses (CSRF or origin 403, re-authentication 401) leaves the
 * session as it was — no rotation, no store write, no new session cookie — and zone changes take
 * effect only for requests that are served.
 */
import type { UserSessionEntry } from '@spartan-sessions/core';
import { createFakeClock, type FakeClock } from '@spartan-sessions/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spartan } from '../src/index.js';
import { Browser, listen, type Running, renderError, SESSION_COOKIE, setCookie } from './support/http.js';
import { describeStoreMatrix } from './support/matrix.js';
import { type ProbeStore, SECRET } from './support/stores.js';

const MINUTE = 60_000;

describeStoreMatrix('refused requests', ({ express, makeStore }) => {
  let running: Running;
  let store: ProbeStore;
  let clock: FakeClock;

  beforeAll(async () => {
    clock = createFakeClock();
    store = makeStore(clock);
    const { sessions } = spartan({
      secrets: SECRET,
      store,
      clock,
      policy: {
        config: {
          duration: { renewal: 300 },
          privileged: { paths: ['/admin'], reauthAfter: 600 },
        },
      },
    });
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(sessions.sessioner);
    app.use(sessions.csrf({ cookie: false }));
    app.get('/form', (req, res) => {
      res.json({ token: req.csrfToken() });
    });
    app.post('/login', async (req, res) => {
      await req.session.authenticate(String(req.body.user));
      res.send('signed in');
    });
    app.post('/admin/do', (_req, res) => {
      res.send('done');
    });
    app.get('/admin', (_req, res) => {
      res.send('admin');
    });
    app.post('/note', (req, res) => {
      req.session.note = String(req.body.note);
      res.send('noted');
    });
    app.get('/whoami', (req, res) => {
      res.json({ userId: req.session.meta.userId, zone: req.session.meta.zone, note: req.session.note ?? null });
    });
    app.use(renderError);
    running = await listen(app);
  });

  afterAll(async () => {
    await running.close();
  });

  async function signedIn(user: string): Promise<Browser> {
    const browser = new Browser(running.url);
    const { token } = (await (await browser.get('/form')).json()) as { token: string };
    expect((await browser.post('/login', { user, _csrf: token })).status).toBe(200);
    return browser;
  }

  /** The user's one stored session, as the store holds it. */
  async function stored(user: string): Promise<UserSessionEntry> {
    const entries = await store.inner.listByUser(user);
    expect(entries).toHaveLength(1);
    return entries[0]!;
  }

  it('a forged POST into the privileged area (403) neither rotates, nor moves the zone, nor writes', async () => {
    const browser = await signedIn('ann');
    const before = await stored('ann');
    const writes = store.writes;
    const cookie = browser.session;
    const forged = await browser.post(
      '/admin/do',
      {},
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    );
    expect(forged.status).toBe(403);
    expect(setCookie(forged, SESSION_COOKIE)).toBeUndefined();
    expect(store.writes).toBe(writes);
    expect(await stored('ann')).toEqual(before);
    expect(browser.session).toBe(cookie);
    expect(await (await browser.get('/whoami')).json()).toMatchObject({ userId: 'ann', zone: 'normal' });
  });

  it('a POST without a token (403) does not carry out a renewal that is due', async () => {
    const browser = await signedIn('ben');
    const before = await stored('ben');
    clock.advance(6 * MINUTE);
    const refused = await browser.post('/note', { note: 'forged' });
    expect(refused.status).toBe(403);
    expect(setCookie(refused, SESSION_COOKIE)).toBeUndefined();
    expect(await stored('ben')).toEqual(before);
    // The next request that is served renews as usual.
    const served = await browser.get('/whoami');
    expect(await served.json()).toMatchObject({ userId: 'ben', note: null });
    expect(setCookie(served, SESSION_COOKIE)).toBeDefined();
    expect((await stored('ben')).key).not.toBe(before.key);
  });

  it('a stale sign-in refused at the privileged area (401) keeps its session, zone and cookie as they were', async () => {
    const browser = await signedIn('cid');
    const before = await stored('cid');
    const writes = store.writes;
    clock.advance(11 * MINUTE);
    const refused = await browser.get('/admin');
    expect(refused.status).toBe(401);
    expect(setCookie(refused, SESSION_COOKIE)).toBeUndefined();
    expect(store.writes).toBe(writes);
    expect(await stored('cid')).toEqual(before);
    expect(await (await browser.get('/whoami')).json()).toMatchObject({ userId: 'cid', zone: 'normal' });
  });
});
