import type { NextFunction, Request, Response } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spartan } from '../src/index.js';
import { Browser, listen, type Running, renderError, SESSION_COOKIE, setCookie } from './support/http.js';
import { describeStoreMatrix } from './support/matrix.js';
import { type ProbeStore, SECRET, SyncProbeStore } from './support/stores.js';

describeStoreMatrix('a failing store', ({ express, makeStore }) => {
  // A synchronous call cannot hang: the synchronous store only fails.
  const modes = makeStore() instanceof SyncProbeStore ? (['reject'] as const) : (['reject', 'hang'] as const);
  let running: Running;
  let store: ProbeStore;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    store = makeStore();
    const { sessions } = spartan({ secrets: SECRET, store, storeTimeout: 100 });
    const app = express();
    app.use(sessions.sessioner);
    app.get('/read', (req, res) => {
      res.json({ data: { ...req.session } });
    });
    app.get('/set', (req, res) => {
      req.session.value = 'kept';
      res.setHeader('x-original', 'yes');
      res.json({ secret: 'the original response' });
    });
    app.get('/set-and-redirect', (req, res) => {
      req.session.value = 'kept';
      res.redirect('/elsewhere');
    });
    app.get('/set-and-stream', (req, res) => {
      req.session.value = 'kept';
      res.write('partial');
      res.end(' body');
    });
    app.use((err: unknown, req: Request, res: Response, next: NextFunction) => renderError(err, req, res, next));
    running = await listen(app);
  });

  afterEach(() => {
    store.mode = 'healthy';
  });

  afterAll(async () => {
    await running.close();
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  describe.each(modes)('whose calls %s', (mode) => {
    it('answers a returning visitor 503 sessions/store-unavailable, never "no session"', async () => {
      const browser = new Browser(running.url);
      await browser.get('/set');
      store.mode = mode;
      const started = Date.now();
      const response = await browser.get('/read');
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: 'sessions/store-unavailable', status: 503 });
      // storeTimeout: 100 ms bounds a hanging store.
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('replaces the response with 503 when the commit fails: body, content headers and cookie dropped, other headers kept', async () => {
      const browser = new Browser(running.url);
      store.mode = mode;
      const response = await browser.get('/set');
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: 'sessions/store-unavailable', status: 503 });
      expect(response.headers.get('x-original')).toBe('yes');
      expect(setCookie(response, SESSION_COOKIE)).toBeUndefined();
    });

    it('never sends the redirect of a request whose session could not be saved', async () => {
      const browser = new Browser(running.url);
      store.mode = mode;
      const response = await browser.get('/set-and-redirect');
      expect(response.status).toBe(503);
      expect(response.headers.get('location')).toBeNull();
    });

    it('never starts a streamed body before the commit', async () => {
      const browser = new Browser(running.url);
      store.mode = mode;
      const response = await browser.get('/set-and-stream');
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: 'sessions/store-unavailable', status: 503 });
    });

    it('keeps serving once the store is back', async () => {
      const browser = new Browser(running.url);
      store.mode = mode;
      expect((await browser.get('/set')).status).toBe(503);
      store.mode = 'healthy';
      const response = await browser.get('/set');
      expect(response.status).toBe(200);
      expect((await (await browser.get('/read')).json()).data).toEqual({ value: 'kept' });
    });
  });
});
