/**
 * What only Koa has: its default error handling (`ctx.onerror` drops the headers set before a
 * throw), stream bodies, `ctx.redirect()`, `ctx.cookies`, `ctx` accepted by the cookie tools,
 * the sessioner mounted twice, csrf() without a sessioner, and `app.proxy`.
 */
import { Readable } from 'node:stream';
import Router from '@koa/router';
import type Koa from 'koa';
import { afterEach, expect, it } from 'vitest';
import { spartan } from '../src/index.js';
import { Browser, listen, type Running, SECRET, SESSION_COOKIE, setCookie } from './support/http.js';
import { describeMatrix } from './support/matrix.js';
import { FlakyStore } from './support/stores.js';

describeMatrix('Koa', ({ Koa: KoaApp }) => {
  const running: Running[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.close()));
  });

  /** An app with Koa's own error handling (no error middleware of the app's). */
  async function start(
    build: (app: Koa, sessions: ReturnType<typeof spartan>['sessions']) => void,
    options: Partial<Parameters<typeof spartan>[0]> = {},
  ): Promise<{ browser: Browser; store: FlakyStore; errors: unknown[] }> {
    const store = new FlakyStore();
    const { sessions } = spartan({ secrets: SECRET, store, ...options });
    const app = new KoaApp();
    const errors: unknown[] = [];
    app.on('error', (error: unknown) => errors.push(error));
    build(app, sessions);
    const server = await listen(app);
    running.push(server);
    return { browser: new Browser(server.url), store, errors };
  }

  it("keeps the session's Set-Cookie and Cache-Control on Koa's default error response (err.headers)", async () => {
    const { browser } = await start((app, sessions) => {
      app.use(sessions.sessioner);
      app.use(async (ctx) => {
        if (ctx.path === '/read') {
          ctx.body = { data: { ...ctx.session } };
          return;
        }
        ctx.set('x-before-throw', 'dropped by Koa');
        ctx.session.attempted = true;
        ctx.throw(409, 'conflict', { headers: { 'x-from-app': 'kept' } });
      });
    });
    const response = await browser.get('/fail');
    expect(response.status).toBe(409);
    expect(await response.text()).toBe('conflict');
    expect(setCookie(response, SESSION_COOKIE)?.value).toBeTruthy();
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-from-app')).toBe('kept');
    expect(response.headers.get('x-before-throw')).toBeNull();
    expect(await (await browser.get('/read')).json()).toEqual({ data: { attempted: true } });
  });

  it("never hands one request's session cookie to another through an error object thrown twice", async () => {
    const shared = Object.assign(new Error('shared'), { status: 409, expose: true });
    const { browser } = await start((app, sessions) => {
      app.use(sessions.sessioner);
      app.use((ctx) => {
        if (ctx.path === '/set') ctx.session.value = 1;
        throw shared;
      });
    });
    const first = await browser.get('/set');
    expect(first.status).toBe(409);
    expect(setCookie(first, SESSION_COOKIE)?.value).toBeTruthy();
    const other = await new Browser(browser.base).get('/noop');
    expect(other.status).toBe(409);
    expect(setCookie(other, SESSION_COOKIE)).toBeUndefined();
    expect(other.headers.get('cache-control')).toBeNull();
  });

  it("answers Koa's default 503 when the commit fails: no 200, no live cookie, no header of the lost response", async () => {
    const { browser, store, errors } = await start((app, sessions) => {
      app.use(sessions.sessioner);
      app.use(async (ctx) => {
        ctx.session.value = 'lost';
        ctx.set('x-original', 'yes');
        ctx.body = { secret: 'the original response' };
      });
    });
    store.down = true;
    const response = await browser.get('/set');
    expect(response.status).toBe(503);
    // A 5xx is not exposed: Koa answers with the status text.
    expect(await response.text()).toBe('Service Unavailable');
    expect(response.headers.get('x-original')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(setCookie(response, SESSION_COOKIE)).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'sessions/store-unavailable', status: 503, expose: false });
  });

  it('answers 401 for a refused privileged request through Koa, and 503 when the store fails on load', async () => {
    const { browser, store } = await start(
      (app, sessions) => {
        app.use(sessions.sessioner);
        app.use((ctx) => {
          ctx.session.seen = true;
          ctx.body = 'ok';
        });
      },
      { policy: { config: { privileged: { paths: ['/admin'] } } } },
    );
    expect((await browser.get('/admin')).status).toBe(401);
    expect(browser.session).toBeUndefined();
    expect((await browser.get('/home')).status).toBe(200);
    store.down = true;
    expect((await browser.get('/home')).status).toBe(503);
  });

  it('commits before a stream body is piped, and never pipes it when the commit fails', async () => {
    const { browser, store } = await start((app, sessions) => {
      app.use(sessions.sessioner);
      app.use((ctx) => {
        ctx.session.streamed = true;
        ctx.type = 'text/plain';
        ctx.body = Readable.from(['partial', ' body']);
      });
    });
    const response = await browser.get('/stream');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('partial body');
    expect(setCookie(response, SESSION_COOKIE)?.value).toBeTruthy();
    store.down = true;
    const failed = await new Browser(browser.base).get('/stream');
    expect(failed.status).toBe(503);
    expect(await failed.text()).not.toContain('partial');
  });

  it('commits before ctx.redirect() goes out, and drops the redirect when the commit fails', async () => {
    const { browser, store } = await start((app, sessions) => {
      app.use(sessions.sessioner);
      app.use((ctx) => {
        ctx.session.redirected = true;
        ctx.redirect('/elsewhere');
      });
    });
    const response = await browser.get('/go');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/elsewhere');
    expect(setCookie(response, SESSION_COOKIE)?.value).toBeTruthy();
    store.down = true;
    const failed = await new Browser(browser.base).get('/go');
    expect(failed.status).toBe(503);
    expect(failed.headers.get('location')).toBeNull();
  });

  it('keeps the Set-Cookie lines the app set with ctx.cookies.set, on success and on error', async () => {
    const { browser } = await start((app, sessions) => {
      app.use(sessions.sessioner);
      app.use((ctx) => {
        ctx.cookies.set('theme', 'dark', { httpOnly: false });
        ctx.session.value = 1;
        if (ctx.path === '/fail') ctx.throw(400);
        ctx.body = 'ok';
      });
    });
    const response = await browser.get('/ok');
    expect(setCookie(response, 'theme')?.value).toBe('dark');
    expect(setCookie(response, SESSION_COOKIE)?.value).toBeTruthy();
    const failed = await new Browser(browser.base).get('/fail');
    expect(failed.status).toBe(400);
    expect(setCookie(failed, 'theme')?.value).toBe('dark');
    expect(setCookie(failed, SESSION_COOKIE)?.value).toBeTruthy();
  });

  it('accepts ctx as well as ctx.request / ctx.response in the cookie tools, callbacks included', async () => {
    const { browser } = await start((app, sessions) => {
      app.use(async (ctx) => {
        if (ctx.path === '/make') {
          await sessions.cookieMaker(ctx, ctx, { name: 'plain', value: 'one' });
          const made = await new Promise((resolve, reject) =>
            sessions.cookieMaker(
              ctx.request,
              ctx.response,
              { name: 'sealed', value: 'two', options: { sealed: true } },
              (error, cookie) => (error === null ? resolve(cookie) : reject(error)),
            ),
          );
          ctx.body = { made: made !== undefined };
        } else if (ctx.path === '/read') {
          ctx.body = {
            plain: sessions.cookieReader(ctx).get('plain'),
            sealed: await sessions.cookieReader(ctx.request).sealed('sealed'),
          };
        } else {
          let failure: unknown;
          sessions.cookieMonster(ctx.response, { name: '' }, (error) => {
            failure = error;
          });
          sessions.cookieMonster(ctx, { name: 'plain' });
          ctx.body = { failure: (failure as { code?: string } | undefined)?.code };
        }
      });
    });
    expect(await (await browser.get('/make')).json()).toEqual({ made: true });
    expect(await (await browser.get('/read')).json()).toEqual({ plain: 'one', sealed: 'two' });
    expect(await (await browser.get('/clear')).json()).toEqual({ failure: 'session/missing-params' });
    expect((await (await browser.get('/read')).json()) as { plain?: string }).not.toHaveProperty('plain');
  });

  it('lets a second sessioner through: one session per request', async () => {
    const { browser } = await start((app, sessions) => {
      app.use(sessions.sessioner);
      app.use(sessions.sessioner);
      app.use((ctx) => {
        ctx.session.count = Number(ctx.session.count ?? 0) + 1;
        ctx.body = { count: ctx.session.count };
      });
    });
    expect(await (await browser.get('/')).json()).toEqual({ count: 1 });
    expect(await (await browser.get('/')).json()).toEqual({ count: 2 });
  });

  it('runs csrf({ cookie: true }) without a sessioner: the double-submit cookie goes out with the token', async () => {
    const { browser } = await start((app, sessions) => {
      app.use(sessions.csrf({ cookie: true }));
      app.use((ctx) => {
        ctx.body = ctx.method === 'GET' ? { token: ctx.csrfToken() } : { ok: true };
      });
    });
    const { token } = (await (await browser.get('/form')).json()) as { token: string };
    expect(browser.cookies.size).toBe(1);
    expect((await browser.post('/submit', {}, { 'x-csrf-token': token })).status).toBe(200);
    const refused = await browser.post('/submit', {}, { 'x-csrf-token': 'wrong' });
    expect(refused.status).toBe(403);
  });

  it("leaves X-Forwarded-Proto to core's transport.trustProxy: app.proxy alone changes nothing", async () => {
    const build = (app: Koa, sessions: ReturnType<typeof spartan>['sessions']) => {
      app.proxy = true;
      app.use(sessions.sessioner);
      app.use((ctx) => {
        ctx.session.value = 1;
        ctx.body = { secure: ctx.secure };
      });
    };
    const insecure = { localhostIsSecure: false };
    const proxyOnly = await start(build, { policy: { config: { transport: insecure } } });
    const refused = await proxyOnly.browser.get('/', { 'x-forwarded-proto': 'https' });
    expect(refused.status).toBe(500);
    const trusted = await start(build, { policy: { config: { transport: { ...insecure, trustProxy: true } } } });
    const served = await trusted.browser.get('/', { 'x-forwarded-proto': 'https' });
    expect(served.status).toBe(200);
    expect(setCookie(served, SESSION_COOKIE)?.attributes.has('secure')).toBe(true);
  });

  it('matches privileged areas against the full path under nested @koa/router prefixes', async () => {
    const { browser } = await start(
      (app, sessions) => {
        const admin = new Router({ prefix: '/admin' });
        admin.get('/panel', (ctx) => {
          ctx.body = { zone: ctx.session.meta.zone };
        });
        const api = new Router({ prefix: '/api' });
        api.use(sessions.sessioner);
        api.get('/login', async (ctx) => {
          await ctx.session.authenticate('alice');
          ctx.body = 'ok';
        });
        api.use(admin.routes());
        app.use(api.routes());
      },
      { policy: { config: { privileged: { paths: ['/api/admin'] } } } },
    );
    expect((await browser.get('/api/admin/panel')).status).toBe(401);
    expect((await browser.get('/api/login')).status).toBe(200);
    const before = browser.session;
    const entered = await browser.get('/api/admin/panel');
    expect(entered.status).toBe(200);
    expect(await entered.json()).toEqual({ zone: 'privileged' });
    expect(browser.session).not.toBe(before);
  });
});
