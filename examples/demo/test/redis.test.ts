/**
 * `STORE=redis`: the demo as `npm start` runs it (dist/main.js), on each framework, on the Redis at REDIS_URL
 * (127.0.0.1:6379 here), signing in and out over HTTP while the test watches Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningDemo, startDemo } from './support/spawn-demo.js';

const COOKIE = '__Host-spartan';

function cookiePair(response: Response, name = COOKIE): string | undefined {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .find((pair) => pair.startsWith(`${name}=`) && pair.length > name.length + 1);
}

async function demoKeys(redis: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', 'demo:*', 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

const FRAMEWORKS = [
  ['express', 'Express'],
  ['fastify', 'Fastify'],
  ['koa', 'Koa'],
] as const;

describe.each(FRAMEWORKS)('the demo with STORE=redis and FRAMEWORK=%s', (framework, label) => {
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  let demo: RunningDemo | undefined;
  let base = '';

  beforeAll(async () => {
    await redis.connect();
    const stale = await demoKeys(redis);
    if (stale.length > 0) await redis.del(...stale);
    demo = await startDemo({ FRAMEWORK: framework, STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' });
    base = demo.base;
  });

  afterAll(async () => {
    await demo?.stop();
    const left = await demoKeys(redis);
    if (left.length > 0) await redis.del(...left);
    redis.disconnect();
  });

  it('says it runs on Redis and the framework asked for, without printing a secret', async () => {
    expect(demo?.output()).toContain(`(${label}, Redis store at redis://127.0.0.1:6379)`);
    // The note follows the start-up line, which may arrive in an earlier chunk.
    await vi.waitFor(() => expect(demo?.output()).toContain('SESSION_SECRET is not set'));
    // The first line says where the demo runs; the note on the secret follows it.
    expect(demo?.output().split('\n')[0]).toMatch(
      /^• spartan-sessions demo \(\w+, Redis store at .+\) on http:\/\/localhost:\d+$/,
    );
  });

  it('keeps the session in Redis: signed in, listed under the user, gone at logout', async () => {
    const form = await fetch(`${base}/login`);
    // The login form keeps its CSRF secret in a sealed cookie, not in a session: Redis holds nothing yet.
    expect(cookiePair(form)).toBeUndefined();
    const csrfCookie = cookiePair(form, `${COOKIE}.csrf`) ?? '';
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    expect(await demoKeys(redis)).toEqual([]);
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, username: 'alice', password: 'correct horse battery staple' }),
    });
    expect(login.status).toBe(303);
    const session = cookiePair(login)!;
    expect(session).toBeDefined();

    const keys = await demoKeys(redis);
    expect(keys.filter((key) => key.startsWith('demo:s:'))).toHaveLength(1);
    expect(keys.filter((key) => key.startsWith('demo:u:'))).toHaveLength(1);
    // The store key is a hash of the id: the raw id in the cookie appears nowhere in Redis.
    const id = session.slice(COOKIE.length + 1, COOKIE.length + 1 + 43);
    expect(keys.join(' ')).not.toContain(id);

    const account = await fetch(`${base}/account`, { headers: { cookie: session } });
    expect(account.status).toBe(200);
    expect(await account.text()).toContain('alice');

    const page = await fetch(`${base}/account`, { headers: { cookie: session }, redirect: 'manual' });
    expect(page.status).toBe(200);
    const logoutToken = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const logout = await fetch(`${base}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: session, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: logoutToken }),
    });
    expect(logout.status).toBe(303);
    expect((await demoKeys(redis)).filter((key) => key.startsWith('demo:s:'))).toHaveLength(0);
    // The old cookie is useless now: the account page sends it to the login form.
    const replay = await fetch(`${base}/account`, { headers: { cookie: session }, redirect: 'manual' });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toBe('/login?next=%2Faccount');
  });
});
