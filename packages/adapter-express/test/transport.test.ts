import type { NextFunction, Request, Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpartanOptions, spartan } from '../src/index.js';
import { listen, parseSetCookie, type Running, rawRequest, renderError, SESSION_COOKIE } from './support/http.js';
import { describeMatrix } from './support/matrix.js';
import { SECRET } from './support/stores.js';

describeMatrix('transport security', ({ express }) => {
  async function start(policy: SpartanOptions['policy']): Promise<Running> {
    const { sessions } = spartan({ secrets: SECRET, policy });
    const app = express();
    app.use(sessions.sessioner);
    app.get('/set', (req, res) => {
      req.session.value = 1;
      res.json({ ok: true });
    });
    app.get('/make', (req, res, next) => {
      sessions.cookieMaker(req, res, { name: 'theme', value: 'dark' }).then(() => res.json({ ok: true }), next);
    });
    app.use((err: unknown, req: Request, res: Response, next: NextFunction) => renderError(err, req, res, next));
    return listen(app);
  }

  const sessionCookieOf = (headers: Record<string, string | string[] | undefined>) =>
    ((headers['set-cookie'] as string[] | undefined) ?? []).map(parseSetCookie).find((c) => c.name === SESSION_COOKIE);

  describe('with the default policy', () => {
    let running: Running;
    beforeAll(async () => {
      running = await start(undefined);
    });
    afterAll(() => running.close());

    it('refuses the Secure session cookie over plain http to example.com: session/insecure-connection through next(err)', async () => {
      const response = await rawRequest(`${running.url}/set`, { headers: { host: 'example.com' } });
      expect(response.status).toBe(500);
      expect(JSON.parse(response.body)).toEqual({ error: 'session/insecure-connection', status: null });
      expect(sessionCookieOf(response.headers)).toBeUndefined();
    });

    it('does not trust X-Forwarded-Proto unless transport.trustProxy is set', async () => {
      const response = await rawRequest(`${running.url}/set`, {
        headers: { host: 'example.com', 'x-forwarded-proto': 'https' },
      });
      expect(JSON.parse(response.body).error).toBe('session/insecure-connection');
    });

    it('refuses cookieMaker over plain http the same way', async () => {
      const response = await rawRequest(`${running.url}/make`, { headers: { host: 'example.com' } });
      expect(JSON.parse(response.body).error).toBe('session/insecure-connection');
    });

    it('treats http://localhost as secure (localhostIsSecure)', async () => {
      const response = await rawRequest(`${running.url}/set`, { headers: { host: `localhost:${running.port}` } });
      expect(response.status).toBe(200);
      expect(sessionCookieOf(response.headers)).toBeDefined();
    });
  });

  describe('behind a TLS-terminating proxy (transport.trustProxy)', () => {
    let running: Running;
    beforeAll(async () => {
      running = await start({ config: { transport: { trustProxy: true } } });
    });
    afterAll(() => running.close());

    it('sets the session cookie when X-Forwarded-Proto is https', async () => {
      const response = await rawRequest(`${running.url}/set`, {
        headers: { host: 'example.com', 'x-forwarded-proto': 'https' },
      });
      expect(response.status).toBe(200);
      expect(sessionCookieOf(response.headers)?.attributes.has('secure')).toBe(true);
    });

    it('still refuses when the proxy says http', async () => {
      const response = await rawRequest(`${running.url}/set`, {
        headers: { host: 'example.com', 'x-forwarded-proto': 'http' },
      });
      expect(JSON.parse(response.body).error).toBe('session/insecure-connection');
    });
  });
});
