/**
 * Issue 12's attacks over real HTTP, on Express 4 and 5, through the promise and the
 * synchronous store path. Each failed before its fix.
 */
import { createFakeClock } from '@spartan-sessions/core/testing';
import type { NextFunction, Request, Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpartanExpress, spartan } from '../src/index.js';
import { Browser, listen, type Running, SESSION_COOKIE, setCookie } from './support/http.js';
import { describeStoreMatrix } from './support/matrix.js';
import { type ProbeStore, SECRET } from './support/stores.js';

/** A gate a handler waits on, opened by the test (a slow request body, held at will). */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let reached!: () => void;
  const waiting = new Promise<void>((resolve) => {
    reached = resolve;
  });
  return { opened, open, waiting, reached };
}

describeStoreMatrix('attacks', ({ express, makeStore }) => {
  let running: Running;
  let store: ProbeStore;
  let app: SpartanExpress;
  let held = gate();
  const errors: unknown[] = [];

  beforeAll(async () => {
    store = makeStore(createFakeClock());
    app = spartan({
      secrets: SECRET,
      store,
      clock: createFakeClock(),
      policy: { config: { users: { maxSessions: 2 }, privileged: { paths: ['/admin'] } } },
    });
    const { sessions } = app;
    const server = express();
    server.use(express.json());
    server.use(sessions.sessioner);
    server.post('/login', async (req, res) => {
      await req.session.authenticate(String(req.body.user));
      res.send('signed in');
    });
    server.post('/slow-rotate', async (req, res) => {
      await req.session.rotate();
      // The request body keeps coming while another request revokes the user.
      held.reached();
      await held.opened;
      res.send('rotated');
    });
    server.post('/prefs', (req, res) => {
      Object.assign(req.session, req.body);
      res.json({ isAdmin: req.session.isAdmin ?? null });
    });
    server.get('/whoami', (req, res) => {
      res.json({ userId: req.session.meta.userId, isAdmin: req.session.isAdmin ?? null });
    });
    server.get('/bigint', (req, res) => {
      req.session.balance = 10n;
      res.send('stored?');
    });
    server.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      errors.push(err);
      const { code, status, message } = err as { code?: string; status?: number; message?: string };
      res.status(status ?? 500).json({ error: code ?? 'unexpected', message });
    });
    running = await listen(server);
  });

  afterAll(async () => {
    await running.close();
  });

  it('a user revoked while one of their requests rotates stays signed out (slow body)', async () => {
    const browser = new Browser(running.url);
    const login = await browser.fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'mallory' }),
    });
    expect(login.status).toBe(200);
    held = gate();
    const rotating = browser.fetch('/slow-rotate', { method: 'POST' });
    await held.waiting;
    expect(await app.manager.revokeUser('mallory')).toBe(1);
    held.open();
    const response = await rotating;
    expect(setCookie(response, SESSION_COOKIE)?.attributes.get('max-age')).toBe('0');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await store.inner.listByUser('mallory')).toEqual([]);
    expect(await (await browser.get('/whoami')).json()).toMatchObject({ userId: null });
  });

  it('a login whose maxSessions enforcement fails answers 503 without a live session cookie, and the limit holds', async () => {
    const login = (browser: Browser) =>
      browser.fetch('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'carol' }),
      });
    for (let i = 0; i < 2; i++) expect((await login(new Browser(running.url))).status).toBe(200);
    store.failListing = true;
    try {
      const third = new Browser(running.url);
      const response = await login(third);
      expect(response.status).toBe(503);
      const line = setCookie(response, SESSION_COOKIE);
      expect(line === undefined || line.attributes.get('max-age') === '0').toBe(true);
      expect(third.session).toBeUndefined();
    } finally {
      store.failListing = false;
    }
    expect(await store.inner.listByUser('carol')).toHaveLength(2);
  });

  it('a JSON body with "__proto__" merged into the session grants nothing, now or later', async () => {
    const browser = new Browser(running.url);
    const response = await browser.fetch('/prefs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"__proto__":{"isAdmin":true},"theme":"dark"}',
    });
    expect(await response.json()).toEqual({ isAdmin: null });
    expect(await (await browser.get('/whoami')).json()).toEqual({ userId: null, isAdmin: null });
  });

  it('data that cannot be stored reaches the error handler as a SpartanError naming no data', async () => {
    errors.length = 0;
    const response = await new Browser(running.url).get('/bigint');
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('sessions/option-type-incorrect');
    expect(body.message).not.toMatch(/balance|BigInt value/);
    expect(setCookie(response, SESSION_COOKIE)).toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});

describe('the attack tests use a store that can fail half-way', () => {
  it('ProbeStore.failListing rejects listByUser only', async () => {
    const { ProbeStore } = await import('./support/stores.js');
    const probe = new ProbeStore();
    probe.failListing = true;
    await expect(probe.listByUser('x')).rejects.toThrow(/listing failed/);
    await expect(probe.get('k')).resolves.toBeNull();
  });
});
