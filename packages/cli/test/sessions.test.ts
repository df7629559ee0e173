import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CookieJar, keyHashOf, type RequestView, type SessionEvent, SessionManager } from '@spartan-sessions/core';
import { nodeCrypto } from '@spartan-sessions/core/node';
import { RedisStore } from '@spartan-sessions/store-redis';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, seed, startCluster, uniquePrefix } from './support/redis.js';
import { lines, run, temporaryDirectory } from './support/run.js';

const SECRET = 'q7ZC0e8Xv_3LkJ2mN-4pR9sT1uW6yA5bD8fG0hK3nP7';

let client: Redis;
let prefix: string;
let store: RedisStore;
let dir: string;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  client = new Redis(REDIS_URL);
  ({ dir, remove: removeDir } = await temporaryDirectory());
});
afterAll(async () => {
  client.disconnect();
  await removeDir();
});
beforeEach(() => {
  prefix = uniquePrefix();
  store = new RedisStore({ client, prefix });
});
afterEach(async () => {
  await deletePrefix(client, prefix);
});

/** `spartan-sessions sessions <args> --redis … --prefix <this test's prefix>`, run in the temp dir. */
const sessions = (args: string[], env: Record<string, string> = {}) =>
  run(['sessions', ...args, '--redis', REDIS_URL, '--prefix', prefix], { cwd: dir, env });

const eventsIn = (stdout: string) => lines(stdout).map((line) => JSON.parse(line) as SessionEvent);

describe('sessions list', () => {
  it("prints a user's sessions oldest first: key hash, created, last seen, expires, zone; never a whole key", async () => {
    const keys = await seed(store, 'alice', 2);
    const between = Date.now() - 90_000;
    const [privileged] = await seed(store, 'alice', 1, { zone: 'privileged', createdAt: between, lastSeenAt: between });
    await seed(store, 'bob', 2);
    const result = await sessions(['list', '--user', 'alice']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [heading, header, ...rows] = lines(result.stdout);
    expect(heading).toBe(
      `3 session(s) of alice in redis 127.0.0.1:6379 (prefix ${prefix}; expiry per the default policy)`,
    );
    expect(header).toMatch(/^KEY HASH +CREATED +LAST SEEN +EXPIRES +ZONE$/);
    expect(rows).toHaveLength(3);
    const all = [...keys, privileged ?? ''];
    // Oldest first: `seed` made alice's two sessions 2 and 1 minutes ago, the privileged one 90 s ago.
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(
      [keys[0], privileged, keys[1]].map((key) => keyHashOf(key ?? '')),
    );
    for (const row of rows) {
      expect(row).toMatch(
        /^[A-Za-z0-9_-]{12} {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}(normal|privileged)$/,
      );
    }
    expect(rows[1]).toMatch(/privileged$/);
    for (const key of all) expect(result.stdout).not.toContain(key);
  });

  it('--json: times in ms, expiry by the policy (the earlier of absolute and idle, privileged idle in that zone)', async () => {
    const [normal] = await seed(store, 'alice', 1);
    const [privileged] = await seed(store, 'alice', 1, { zone: 'privileged' });
    const stored = { normal: await store.get(normal ?? ''), privileged: await store.get(privileged ?? '') };
    const result = await sessions(['list', '--user', 'alice', '--json']);
    expect(result.code).toBe(0);
    const listed = JSON.parse(result.stdout);
    expect(listed.userId).toBe('alice');
    const byHash = new Map(listed.sessions.map((session: { keyHash: string }) => [session.keyHash, session]));
    expect(byHash.get(keyHashOf(normal ?? ''))).toEqual({
      keyHash: keyHashOf(normal ?? ''),
      createdAt: stored.normal?.createdAt,
      lastSeenAt: stored.normal?.lastSeenAt,
      expiresAt: Math.min((stored.normal?.createdAt ?? 0) + 43_200_000, (stored.normal?.lastSeenAt ?? 0) + 1_800_000),
      zone: 'normal',
      authenticatedAt: stored.normal?.authenticatedAt,
    });
    expect(byHash.get(keyHashOf(privileged ?? ''))).toMatchObject({
      zone: 'privileged',
      expiresAt: (stored.privileged?.lastSeenAt ?? 0) + 300_000,
    });
  });

  it('--policy (or security.json where it runs) sets the limits the expiry is computed with', async () => {
    const [key] = await seed(store, 'alice', 1);
    const stored = await store.get(key ?? '');
    await writeFile(join(dir, 'short.json'), JSON.stringify({ config: { duration: { ttl: 600, idle: 600 } } }));
    const result = await sessions(['list', '--user', 'alice', '--json', '--policy', 'short.json']);
    expect(JSON.parse(result.stdout).sessions[0].expiresAt).toBe((stored?.createdAt ?? 0) + 600_000);
    const human = await sessions(['list', '--user', 'alice', '--policy', 'short.json']);
    expect(human.stdout).toContain('expiry per short.json');
    // Created 61 s ago (seed) under a 10 min ttl: not past. A policy with a shorter ttl makes it so.
    const tiny = { config: { duration: { ttl: 30, idle: 30, touchAfter: 10 }, privileged: { idle: 30 } } };
    await writeFile(join(dir, 'tiny.json'), JSON.stringify(tiny));
    expect((await sessions(['list', '--user', 'alice', '--policy', 'tiny.json'])).stdout).toContain('Z (past)');
    // Without --policy: security.json where the command runs.
    const local = await temporaryDirectory();
    try {
      await writeFile(join(local.dir, 'security.json'), JSON.stringify(tiny));
      const here = await run(['sessions', 'list', '--user', 'alice', '--redis', REDIS_URL, '--prefix', prefix], {
        cwd: local.dir,
      });
      expect(here.stdout).toContain('expiry per security.json');
      expect(here.stdout).toContain('Z (past)');
    } finally {
      await local.remove();
    }
  });

  it('an invalid --policy: sessions/invalid-policy, one line, exit 1', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ config: { duration: { idle: 'soon' } } }));
    const result = await sessions(['list', '--user', 'alice', '--policy', 'bad.json']);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      'spartan-sessions sessions list: sessions/invalid-policy: The security policy is invalid: config.duration.idle: Invalid input: expected number, received string',
    ]);
  });

  it('a user without sessions: a heading and no table', async () => {
    const result = await sessions(['list', '--user', 'nobody']);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      `0 session(s) of nobody in redis 127.0.0.1:6379 (prefix ${prefix}; expiry per the default policy)`,
    ]);
    expect(JSON.parse((await sessions(['list', '--user', 'nobody', '--json'])).stdout)).toEqual({
      userId: 'nobody',
      sessions: [],
    });
  });

  it('REDIS_URL names the store when no option does', async () => {
    await seed(store, 'alice', 1);
    const result = await run(['sessions', 'list', '--user', 'alice', '--prefix', prefix, '--json'], {
      env: { REDIS_URL },
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).sessions).toHaveLength(1);
  });

  it('Redis down: sessions/store-unavailable, one line, exit 1, no hang', async () => {
    const result = await run(['sessions', 'list', '--user', 'alice', '--redis', 'redis://127.0.0.1:1']);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^spartan-sessions sessions list: sessions\/store-unavailable: Redis store /);
  });
});

describe('sessions on MongoDB (--mongo)', () => {
  it('a MongoDB that does not answer: sessions/store-unavailable, one line, exit 1, no hang', async () => {
    for (const command of ['list', 'revoke']) {
      const result = await run([
        'sessions',
        command,
        '--user',
        'alice',
        '--mongo',
        'mongodb://ops:hunter2@127.0.0.1:1/app',
        '--timeout',
        '1000',
      ]);
      expect(result.code).toBe(1);
      expect(lines(result.stderr)).toHaveLength(1);
      expect(result.stderr).toMatch(
        /^spartan-sessions sessions (list|revoke): sessions\/store-unavailable: MongoDB store /,
      );
      expect(result.stderr).not.toContain('hunter2');
    }
  });

  // No MongoDB server can be installed where this project is built: reported as skipped without one.
  it.skipIf(!process.env.MONGO_URL)("lists and revokes a user's sessions in the MongoDB at MONGO_URL", async () => {
    const url = new URL(process.env.MONGO_URL ?? '');
    url.pathname = '/spartan_cli_test';
    const { MongoClient } = await import('mongodb');
    const { MongoStore } = await import('@spartan-sessions/store-mongo');
    const client = new MongoClient(url.toString());
    const collectionName = `sessions_${Date.now()}`;
    try {
      const mongo = new MongoStore({ client, dbName: 'spartan_cli_test', collectionName });
      const keys = await seed(mongo, 'alice', 2);
      const args = ['--user', 'alice', '--mongo', url.toString(), '--collection', collectionName];
      const listed = await run(['sessions', 'list', ...args, '--json'], { cwd: dir });
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout).sessions).toHaveLength(keys.length);
      const revoked = await run(['sessions', 'revoke', ...args], { cwd: dir });
      expect(revoked.code).toBe(0);
      expect(eventsIn(revoked.stdout)).toHaveLength(keys.length);
      expect(await mongo.listByUser('alice')).toEqual([]);
    } finally {
      await client
        .db('spartan_cli_test')
        .dropCollection(collectionName)
        .catch(() => {});
      await client.close();
    }
  });
});

describe('sessions revoke', () => {
  it('ends every session of the user: revoked events as JSON lines on stdout, a summary on stderr', async () => {
    const keys = await seed(store, 'alice', 3);
    const [bobs] = await seed(store, 'bob', 1);
    const result = await sessions(['revoke', '--user', 'alice']);
    expect(result.code).toBe(0);
    const events = eventsIn(result.stdout);
    expect(events.map((event) => event.keyHash).sort()).toEqual(keys.map(keyHashOf).sort());
    for (const event of events) {
      expect(event).toEqual({
        type: 'revoked',
        at: expect.any(Number),
        keyHash: event.keyHash,
        userId: 'alice',
        reason: 'admin',
      });
    }
    expect(lines(result.stderr)).toEqual(['ended 3 session(s) of alice in redis 127.0.0.1:6379']);
    for (const key of keys) expect(await store.get(key)).toBeNull();
    expect(await store.listByUser('alice')).toEqual([]);
    expect(await store.get(bobs ?? '')).not.toBeNull();
  });

  it('--all is the same; nothing left to end is not an error; --reason goes into the events', async () => {
    await seed(store, 'alice', 2);
    const first = await sessions(['revoke', '--user', 'alice', '--all', '--reason', 'password-changed']);
    expect(first.code).toBe(0);
    expect(eventsIn(first.stdout).map((event) => event.reason)).toEqual(['password-changed', 'password-changed']);
    const again = await sessions(['revoke', '--user', 'alice', '--all']);
    expect(again).toMatchObject({ code: 0, stdout: '' });
    expect(again.stderr).toBe('ended 0 session(s) of alice in redis 127.0.0.1:6379\n');
  });

  it('--except KEYHASH ends all but the session whose key starts with it', async () => {
    const keys = await seed(store, 'alice', 3);
    const keep = keys[1] ?? '';
    const result = await sessions(['revoke', '--user', 'alice', '--except', keyHashOf(keep)]);
    expect(result.code).toBe(0);
    expect(
      eventsIn(result.stdout)
        .map((event) => event.keyHash)
        .sort(),
    ).toEqual([keyHashOf(keys[0] ?? ''), keyHashOf(keys[2] ?? '')].sort());
    expect(lines(result.stderr)).toEqual([
      `ended 2 session(s) of alice in redis 127.0.0.1:6379, kept ${keyHashOf(keep)}`,
    ]);
    expect((await store.listByUser('alice')).map((entry) => entry.key)).toEqual([keep]);
    // A shorter prefix of the hash works while it is unambiguous.
    await seed(store, 'alice', 1);
    const short = await sessions(['revoke', '--user', 'alice', '--except', keep.slice(0, 6)]);
    expect(short.code).toBe(0);
    expect((await store.listByUser('alice')).map((entry) => entry.key)).toEqual([keep]);
  });

  it('also ends a record the store still holds that the given policy counts as expired (errs on ending)', async () => {
    // Idle for an hour: past the default policy's 30 min, but the store keeps it for another hour
    // (as it would for an app running with a longer idle limit than the CLI was given).
    const [stale] = await seed(store, 'alice', 1, { lastSeenAt: Date.now() - 3_600_000 });
    const [fresh] = await seed(store, 'alice', 1);
    const result = await sessions(['revoke', '--user', 'alice']);
    expect(result.code).toBe(0);
    expect(
      eventsIn(result.stdout)
        .map((event) => event.keyHash)
        .sort(),
    ).toEqual([keyHashOf(stale ?? ''), keyHashOf(fresh ?? '')].sort());
    expect(await store.listByUser('alice')).toEqual([]);
  });

  it('--except matching no session of the user revokes nothing (exit 1)', async () => {
    const keys = await seed(store, 'alice', 2);
    const [bobs] = await seed(store, 'bob', 1);
    for (const hash of ['zzzzzzzzzzzz', keyHashOf(bobs ?? '')]) {
      const result = await sessions(['revoke', '--user', 'alice', '--except', hash]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(lines(result.stderr)).toEqual([
        `spartan-sessions sessions revoke: no live session of alice has key hash ${hash}; nothing revoked`,
      ]);
    }
    expect((await store.listByUser('alice')).map((entry) => entry.key).sort()).toEqual([...keys].sort());
  });

  it("the events have the shape of the library's own (SessionManager.revokeUser)", async () => {
    const [libraryKey] = await seed(store, 'carol', 1);
    const libraryEvents: SessionEvent[] = [];
    const manager = new SessionManager({
      secrets: SECRET,
      store,
      crypto: nodeCrypto,
      onEvent: (event) => libraryEvents.push(event),
    });
    await manager.revokeUser('carol');
    await seed(store, 'alice', 1);
    await seed(store, 'alice', 1);
    const [all, except] = [
      eventsIn((await sessions(['revoke', '--user', 'alice'])).stdout),
      await (async () => {
        const keys = await seed(store, 'alice', 2);
        return eventsIn((await sessions(['revoke', '--user', 'alice', '--except', keyHashOf(keys[0] ?? '')])).stdout);
      })(),
    ];
    expect(libraryEvents).toEqual([
      {
        type: 'revoked',
        at: expect.any(Number),
        keyHash: keyHashOf(libraryKey ?? ''),
        userId: 'carol',
        reason: 'admin',
      },
    ]);
    const shape = (event: SessionEvent) => Object.entries(event).map(([key, value]) => [key, typeof value]);
    for (const event of [...all, ...except]) expect(shape(event)).toEqual(shape(libraryEvents[0] as SessionEvent));
  });

  it('revokes sessions the library made (SessionManager over RedisStore), which then no longer load', async () => {
    const manager = new SessionManager({ secrets: SECRET, store, crypto: nodeCrypto });
    const cookies: string[] = [];
    for (let index = 0; index < 2; index++) {
      let setCookie = '';
      const jar: CookieJar = {
        get: () => undefined,
        setCookie: (_name, serialized) => {
          setCookie = serialized;
        },
        setHeader: () => undefined,
      };
      const context = await manager.begin(view(), jar);
      await context.authenticate('dave');
      await context.commit();
      cookies.push(setCookie.split(';')[0] ?? '');
    }
    const listed = JSON.parse((await sessions(['list', '--user', 'dave', '--json'])).stdout);
    expect(listed.sessions).toHaveLength(2);
    const result = await sessions(['revoke', '--user', 'dave', '--except', listed.sessions[0].keyHash]);
    expect(result.code).toBe(0);
    expect(eventsIn(result.stdout)).toHaveLength(1);
    const live = await Promise.all(
      cookies.map(async (cookie) => {
        const [name, value] = cookie.split('=');
        const jar: CookieJar = {
          get: (asked) => (asked === name ? value : undefined),
          setCookie: () => undefined,
          setHeader: () => undefined,
        };
        return (await manager.begin(view(), jar)).meta().userId;
      }),
    );
    expect(live.filter((userId) => userId === 'dave')).toHaveLength(1);
  });
});

describe('sessions against a Redis Cluster (--cluster seeds)', () => {
  let cluster: { ports: number[]; stop: () => Promise<void> };
  let clusterClient: Cluster;
  let clusterStore: RedisStore;

  beforeAll(async () => {
    cluster = await startCluster();
    clusterClient = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] ?? 0 }]);
    clusterStore = new RedisStore({ client: clusterClient, prefix: 'c:' });
  });
  afterAll(async () => {
    clusterClient?.disconnect();
    await cluster?.stop();
  });

  it('lists and revokes across the slots', async () => {
    const keys = await seed(clusterStore, 'erin', 4);
    const seeds = cluster.ports.map((port) => `127.0.0.1:${port}`).join(',');
    const list = await run(['sessions', 'list', '--user', 'erin', '--cluster', seeds, '--prefix', 'c:', '--json']);
    expect(list.code).toBe(0);
    expect(
      JSON.parse(list.stdout)
        .sessions.map((session: { keyHash: string }) => session.keyHash)
        .sort(),
    ).toEqual(keys.map(keyHashOf).sort());
    const human = await run([
      'sessions',
      'list',
      '--user',
      'erin',
      '--cluster',
      `127.0.0.1:${cluster.ports[1]}`,
      '--prefix',
      'c:',
    ]);
    expect(human.stdout).toContain(`4 session(s) of erin in redis cluster 127.0.0.1:${cluster.ports[1]}`);
    const revoke = await run([
      'sessions',
      'revoke',
      '--user',
      'erin',
      '--except',
      keyHashOf(keys[3] ?? ''),
      '--cluster',
      seeds,
      '--prefix',
      'c:',
    ]);
    expect(revoke.code).toBe(0);
    expect(eventsIn(revoke.stdout)).toHaveLength(3);
    expect((await clusterStore.listByUser('erin')).map((entry) => entry.key)).toEqual([keys[3]]);
    const all = await run(['sessions', 'revoke', '--user', 'erin', '--cluster', seeds, '--prefix', 'c:']);
    expect(eventsIn(all.stdout)).toHaveLength(1);
    expect(await clusterStore.listByUser('erin')).toEqual([]);
  });

  it('a cluster that does not answer: sessions/store-unavailable, exit 1', async () => {
    const result = await run(['sessions', 'list', '--user', 'erin', '--cluster', '127.0.0.1:1', '--timeout', '1000']);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain('sessions/store-unavailable');
  });
});

function view(): RequestView {
  return { method: 'POST', path: '/login', headers: { get: () => undefined }, encrypted: true };
}
