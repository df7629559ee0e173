import { createServer, type ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spartan } from '../src/index.js';
import { Browser, listen, type Running } from './support/http.js';
import { describeStoreMatrix } from './support/matrix.js';
import { SECRET } from './support/stores.js';

/** What compression and similar middleware do: wrap the response's own write/end. */
function wrapEnd(tag: string) {
  return (_req: Request, res: Response, next: NextFunction) => {
    const end = res.end;
    const write = res.write;
    res.write = function (this: ServerResponse, ...args: unknown[]) {
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof res.write;
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      this.setHeader('x-wrapped', tag);
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof res.end;
    next();
  };
}

describeStoreMatrix('holding the response, with middleware that overrides res.end', ({ express, makeStore }) => {
  let running: Running;
  const store = makeStore();

  beforeAll(async () => {
    const { sessions } = spartan({ secrets: SECRET, store });
    const app = express();
    app.use('/before', wrapEnd('before'));
    app.use(sessions.sessioner);
    app.use('/after', wrapEnd('after'));
    const handler = (req: Request, res: Response) => {
      req.session.count = ((req.session.count as number | undefined) ?? 0) + 1;
      res.send(`count ${req.session.count}`);
    };
    app.get('/before', handler);
    app.get('/after', handler);
    app.get('/plain', handler);
    app.get('/members', (req, res) => {
      res.json({ csrfToken: typeof req.csrfToken, sessionID: typeof req.sessionID });
    });
    running = await listen(app);
  });

  afterAll(() => running.close());

  for (const path of ['/before', '/after', '/plain']) {
    it(`commits the session before the response is sent (${path})`, async () => {
      const browser = new Browser(running.url);
      const first = await browser.get(path);
      expect(await first.text()).toBe('count 1');
      if (path !== '/plain') expect(first.headers.get('x-wrapped')).toBe(path.slice(1));
      const second = await browser.get(path);
      expect(await second.text()).toBe('count 2');
    });
  }

  it('adds nothing to req: req.csrfToken is undefined without csrf(), as with csurf', async () => {
    const body = await (await new Browser(running.url).get('/members')).json();
    expect(body.csrfToken).toBe('undefined');
    expect(body.sessionID).toBe('string');
  });

  it('leaves responses of other servers in the process untouched', async () => {
    const other = createServer((_req, res) => {
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.write('a');
      res.end('b');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const address = other.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(201);
    expect(await response.text()).toBe('ab');
    await new Promise<void>((resolve) => other.close(() => resolve()));
  });
});
