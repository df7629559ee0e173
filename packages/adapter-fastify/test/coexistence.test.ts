import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { spartan } from '../src/index.js';
import { Client, linesOf, SECRET, SESSION_COOKIE, setCookieLines } from './support/client.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe.each([
  ['registered before the sessioner', 'before'],
  ['registered after the sessioner', 'after'],
] as const)('@fastify/cookie %s', (_name, order) => {
  async function start(): Promise<FastifyInstance> {
    const { sessions } = spartan({ secrets: SECRET });
    const app = Fastify();
    apps.push(app);
    if (order === 'before') await app.register(fastifyCookie);
    await app.register(sessions.sessioner);
    if (order === 'after') await app.register(fastifyCookie);
    app.get('/both', async (request, reply) => {
      request.session.basket = 3;
      reply.setCookie('theme', 'dark', { path: '/' });
      reply.setCookie('lang', 'fr', { path: '/' });
      await sessions.cookieMaker(request, reply, { name: 'pref', value: 'compact' });
      return { cookies: request.cookies };
    });
    app.get('/theirs', async (_request, reply) => {
      reply.setCookie('theme', 'light', { path: '/' });
      return 'ok';
    });
    app.get('/header', async (request, reply) => {
      request.session.touched = true;
      reply.header('set-cookie', 'raw=1; Path=/');
      return 'ok';
    });
    await app.ready();
    return app;
  }

  it("keeps the app's Set-Cookie lines and ours, each once", async () => {
    const client = new Client(await start());
    const response = await client.get('/both');
    const names = setCookieLines(response).map((line) => line.slice(0, line.indexOf('=')));
    expect(names.sort()).toEqual([SESSION_COOKIE, '__Host-pref', 'lang', 'theme'].sort());
    expect(linesOf(response, 'theme')).toEqual([expect.stringMatching(/^theme=dark; Path=\//)]);
    // Both plugins read the same Cookie header on the next request.
    const again = await client.get('/both');
    expect(again.json().cookies).toMatchObject({ theme: 'dark', lang: 'fr', '__Host-pref': 'compact' });
    expect(linesOf(again, SESSION_COOKIE)).toEqual([]);
  });

  it("sends the app's cookie alone when the session has nothing to write", async () => {
    const response = await new Client(await start()).get('/theirs');
    expect(setCookieLines(response)).toEqual([expect.stringMatching(/^theme=light; Path=\//)]);
  });

  it("keeps a Set-Cookie line set with reply.header beside the session's", async () => {
    const response = await new Client(await start()).get('/header');
    expect(linesOf(response, 'raw')).toEqual(['raw=1; Path=/']);
    expect(linesOf(response, SESSION_COOKIE)).toHaveLength(1);
  });
});

describe('encapsulation', () => {
  it('works inside a plugin with a prefix: privileged areas match the full path, routes outside have no session', async () => {
    const { sessions } = spartan({
      secrets: SECRET,
      policy: { config: { privileged: { paths: ['/app/admin'] } } },
    });
    const app = Fastify();
    apps.push(app);
    await app.register(fastifyCookie);
    await app.register(
      async (area) => {
        await area.register(sessions.sessioner);
        area.get('/admin', async () => 'admin');
        area.get('/set', async (request, reply) => {
          request.session.inside = true;
          reply.setCookie('theme', 'dark', { path: '/' });
          return 'ok';
        });
        area.get('/read', async (request) => ({ ...request.session }));
      },
      { prefix: '/app' },
    );
    app.get('/admin', async (request) => ({ session: request.session ?? null }));
    await app.ready();
    const client = new Client(app);
    const refused = await client.get('/app/admin');
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'sessions/reauthentication-required' });
    const set = await client.get('/app/set');
    expect(linesOf(set, SESSION_COOKIE)).toHaveLength(1);
    expect(linesOf(set, 'theme')).toHaveLength(1);
    expect((await client.get('/app/read')).json()).toEqual({ inside: true });
    expect((await client.get('/admin')).json()).toEqual({ session: null });
  });
});
