import { Readable } from 'node:stream';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type SpartanOptions, spartan } from '../src/index.js';
import { Client, linesOf, SECRET, SESSION_COOKIE, setCookieLines } from './support/client.js';
import { SwitchStore } from './support/store.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** An app with the sessioner at the root and Fastify's default error handler. */
async function appWith(
  setup: (app: FastifyInstance, sessions: ReturnType<typeof spartan>['sessions']) => void,
  options: Partial<SpartanOptions> = {},
): Promise<FastifyInstance> {
  const { sessions } = spartan({ secrets: SECRET, ...options });
  const app = Fastify();
  apps.push(app);
  await app.register(formbody);
  await app.register(sessions.sessioner);
  app.get('/read', async (request) => ({ data: { ...request.session } }));
  setup(app, sessions);
  await app.ready();
  return app;
}

describe('spartan()', () => {
  it('returns the module object of SPEC §7', () => {
    const { sessions, manager } = spartan({ secrets: SECRET });
    expect(Object.keys(sessions).sort()).toEqual(['cookieMaker', 'cookieMonster', 'cookieReader', 'csrf', 'sessioner']);
    expect(typeof manager.revokeUser).toBe('function');
  });

  it('refuses a bad option with sessions/option-type-incorrect', () => {
    expect(() => spartan({ secrets: SECRET, storeTimeout: -1 })).toThrow(
      expect.objectContaining({ code: 'sessions/option-type-incorrect' }),
    );
  });
});

describe('the sessioner plugin', () => {
  it('loads the session before any user preHandler, and commits it', async () => {
    const app = await appWith((app) => {
      app.addHook('preHandler', async (request) => {
        request.session.seenByHook = true;
      });
      app.get('/hooked', async (request) => ({ seen: request.session.seenByHook }));
    });
    const client = new Client(app);
    const response = await client.get('/hooked');
    expect(response.json()).toEqual({ seen: true });
    expect(client.session).toBeTruthy();
    expect((await client.get('/read')).json()).toEqual({ data: { seenByHook: true } });
  });

  it('offers get/set/delete as non-enumerable members, also after regenerate()', async () => {
    const app = await appWith((app) => {
      app.get('/verbs', async (request) => {
        request.session.set('a', 1);
        request.session.set('regenerate', 'ignored');
        const before = { a: request.session.get('a'), keys: Object.keys(request.session) };
        await request.session.regenerate();
        request.session.set('b', 2);
        request.session.set('c', 3);
        request.session.delete('c');
        return { before, after: JSON.parse(JSON.stringify(request.session)), a: request.session.get('a') ?? null };
      });
    });
    const response = await new Client(app).get('/verbs');
    expect(response.json()).toEqual({ before: { a: 1, keys: ['a'] }, after: { b: 2 }, a: null });
  });

  it('commits a reply sent from a user onRequest hook', async () => {
    const app = await appWith((app) => {
      app.addHook('onRequest', async (request, reply) => {
        if (request.url !== '/early') return;
        request.session.early = 'yes';
        return reply.code(202).send('early');
      });
      app.get('/early', async () => 'never');
    });
    const client = new Client(app);
    const response = await client.get('/early');
    expect(response.statusCode).toBe(202);
    expect(response.body).toBe('early');
    expect(linesOf(response, SESSION_COOKIE)).toHaveLength(1);
    expect((await client.get('/read')).json()).toEqual({ data: { early: 'yes' } });
  });

  it('commits a streamed reply before its headers go out', async () => {
    const app = await appWith((app) => {
      app.get('/stream', (request, reply) => {
        request.session.streamed = true;
        return reply.type('text/plain').send(Readable.from(['a', 'b', 'c']));
      });
    });
    const client = new Client(app);
    const response = await client.get('/stream');
    expect(response.body).toBe('abc');
    expect(linesOf(response, SESSION_COOKIE)).toHaveLength(1);
    expect((await client.get('/read')).json()).toEqual({ data: { streamed: true } });
  });

  it('commits before a redirect, and the error handler reply of a failing handler carries the cookie', async () => {
    const app = await appWith((app) => {
      app.get('/go', async (request, reply) => {
        request.session.went = true;
        return reply.redirect('/read');
      });
      app.get('/boom', async (request) => {
        request.session.boom = true;
        throw Object.assign(new Error('conflict'), { statusCode: 409 });
      });
    });
    const client = new Client(app);
    const go = await client.get('/go');
    expect(go.statusCode).toBe(302);
    expect(linesOf(go, SESSION_COOKIE)).toHaveLength(1);
    const boom = await client.get('/boom');
    expect(boom.statusCode).toBe(409);
    expect((await client.get('/read')).json()).toEqual({ data: { went: true, boom: true } });
  });

  it("fails closed: Fastify's default error handler answers a failed commit with 503, never the 200", async () => {
    const store = new SwitchStore();
    const app = await appWith(
      (app) => {
        app.get('/set', async (request) => {
          request.session.lost = true;
          return { ok: true };
        });
        app.get('/stream', (request, reply) => {
          request.session.lost = true;
          return reply.send(Readable.from(['secret ', 'page']));
        });
        app.get('/go', async (request, reply) => {
          request.session.lost = true;
          return reply.redirect('/elsewhere');
        });
      },
      { store },
    );
    store.down = true;
    for (const url of ['/set', '/stream', '/go']) {
      const response = await new Client(app).get(url);
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ code: 'sessions/store-unavailable', statusCode: 503 });
      expect(response.headers.location).toBeUndefined();
      expect(response.headers['cache-control']).toBe('no-store');
      expect(setCookieLines(response)).toEqual([]);
    }
  });

  it('answers a CSRF refusal 403 through the default error handler, and reply.csrfToken() mints tokens', async () => {
    const app = await appWith((app, sessions) => {
      app.addHook('preHandler', sessions.csrf({ cookie: true }));
      app.get('/form', async (_request, reply) => ({ token: reply.csrfToken() }));
      app.post('/send', async () => ({ sent: true }));
    });
    const client = new Client(app);
    const refused = await client.post('/send');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'sessions/csrf-invalid' });
    const { token } = (await client.get('/form')).json<{ token: string }>();
    expect((await client.post('/send', {}, { 'x-csrf-token': token })).json()).toEqual({ sent: true });
  });

  it('refuses csrf() and reply.csrfToken() without the sessioner', async () => {
    const { sessions } = spartan({ secrets: SECRET });
    const app = Fastify();
    apps.push(app);
    app.get('/form', { preHandler: sessions.csrf({ cookie: true }) }, async () => 'unreachable');
    const response = await app.inject({ method: 'GET', url: '/form' });
    expect(response.statusCode).toBe(500);
    expect(response.json().message).toMatch(/sessioner/);
  });

  it('is one session per request when registered twice', async () => {
    const { sessions } = spartan({ secrets: SECRET });
    const app = Fastify();
    apps.push(app);
    await app.register(sessions.sessioner);
    await app.register(sessions.sessioner);
    app.get('/set', async (request) => {
      request.session.n = 1;
      return 'ok';
    });
    const response = await new Client(app).get('/set');
    expect(linesOf(response, SESSION_COOKIE)).toHaveLength(1);
  });
});

describe('cookie tools', () => {
  it('cookieMaker, cookieReader and cookieMonster, promise and callback forms', async () => {
    const app = await appWith((app, sessions) => {
      app.get('/make', async (request, reply) => {
        const made = await sessions.cookieMaker(request, reply, { name: 'theme', value: 'dark' });
        const viaCallback = await new Promise((resolve) =>
          sessions.cookieMaker(request, reply, { name: '', value: 'x' }, (error) => resolve(error?.name)),
        );
        return { name: made.name, viaCallback };
      });
      app.get('/read-cookie', async (request) => ({ theme: sessions.cookieReader(request).get('theme') ?? null }));
      app.get('/clear', async (_request, reply) => {
        let code: unknown;
        sessions.cookieMonster(reply, { name: '' }, (error) => {
          code = (error as { code?: unknown } | null)?.code;
        });
        sessions.cookieMonster(reply, { name: 'theme' });
        return { code };
      });
    });
    const client = new Client(app);
    const made = await client.get('/make');
    expect(made.json()).toEqual({ name: '__Host-theme', viaCallback: 'SpartanError' });
    expect((await client.get('/read-cookie')).json()).toEqual({ theme: 'dark' });
    const cleared = await client.get('/clear');
    expect(cleared.json()).toEqual({ code: 'session/missing-params' });
    expect(client.cookies.has('__Host-theme')).toBe(false);
  });
});
