import { describe, expect, it } from 'vitest';
import { parseCookieHeader } from '../cookie/serialize.js';
import { isSpartanError } from '../errors/errors.js';
import { nodeCrypto } from '../node/index.js';
import { type PolicyInput, parsePolicy } from '../policy/policy.js';
import type {
  CookieJar,
  RequestView,
  SessionEvent,
  SessionStore,
  StoredSession,
  StoredSessionChanges,
  StoreRotateOptions,
  StoreSetOptions,
  StoreUpdateOptions,
  UserSessionEntry,
} from '../ports.js';
import { MemoryStore } from '../store/memory-store.js';
import { createFakeClock, type FakeClock } from '../testing/fake-clock.js';
import { makeStoredSession } from '../testing/stored-session.js';
import type { SessionContext } from './context.js';
import { SessionManager } from './manager.js';
import { Session } from './session.js';

const SECRET = 'manager-test-secret-with-32-plus-characters';
const OLD_SECRET = 'the-previous-secret-with-32-plus-characters';
const COOKIE = '__Host-spartan';
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** A store that counts calls and can be told to fail. */
class SpyStore implements SessionStore {
  calls = { get: 0, set: 0, rotate: 0, destroy: 0, listByUser: 0 };
  failWith: Error | null = null;
  hang = false;
  constructor(readonly inner: SessionStore) {}
  #guard<T>(run: () => Promise<T>): Promise<T> {
    if (this.hang) return new Promise<T>(() => undefined);
    if (this.failWith) return Promise.reject(this.failWith);
    return run();
  }
  get(key: string) {
    this.calls.get++;
    return this.#guard(() => this.inner.get(key));
  }
  set(key: string, record: StoredSession, opts: StoreSetOptions) {
    this.calls.set++;
    return this.#guard(() => this.inner.set(key, record, opts));
  }
  rotate(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions) {
    this.calls.rotate++;
    return this.#guard(() => this.inner.rotate(oldKey, newKey, record, opts));
  }
  destroy(key: string) {
    this.calls.destroy++;
    return this.#guard(() => this.inner.destroy(key));
  }
  listByUser(userId: string): Promise<UserSessionEntry[]> {
    this.calls.listByUser++;
    return this.#guard(() => this.inner.listByUser(userId));
  }
  writes() {
    return this.calls.set + this.calls.rotate + this.calls.destroy;
  }
}

/**
 * A `SpyStore` with the delta save (`update`), each call answered a macrotask later so that
 * concurrent requests really interleave; records the changes each update carried.
 */
class DeltaSpyStore extends SpyStore {
  updates: StoredSessionChanges[] = [];
  update(key: string, changes: StoredSessionChanges, opts: StoreUpdateOptions): Promise<number | null> {
    this.updates.push(structuredClone(changes));
    const inner = this.inner;
    if (typeof inner.update !== 'function') throw new Error('the inner store has no update');
    return new Promise((resolve, reject) =>
      setImmediate(() => {
        inner.update!(key, changes, opts).then(resolve, reject);
      }),
    );
  }
}

interface Response {
  context: SessionContext;
  session: Session;
  setCookie: string | undefined;
  headers: Map<string, string>;
}

interface RequestOptions {
  path?: string;
  method?: string;
  cookie?: string | null;
  host?: string;
  headers?: Record<string, string>;
  encrypted?: boolean;
}

/** A store that forgets records a day late (as MongoDB's TTL monitor lags): core must judge expiry itself. */
function coarseExpiry(inner: SessionStore): SessionStore {
  return {
    get: (key) => inner.get(key),
    set: (key, record, opts) => inner.set(key, record, { ...opts, expiresAt: opts.expiresAt + 86_400_000 }),
    rotate: (oldKey, newKey, record, opts) =>
      inner.rotate(oldKey, newKey, record, { ...opts, expiresAt: opts.expiresAt + 86_400_000 }),
    destroy: (key) => inner.destroy(key),
    listByUser: (userId) => inner.listByUser(userId),
  };
}

function setup(
  policy: PolicyInput = {},
  options: {
    secrets?: string[];
    storeTimeout?: number;
    coarseExpiry?: boolean;
    clock?: FakeClock;
    store?: SessionStore;
    /** The store offers `update` (a `DeltaSpyStore`); else core writes by compare-and-set. */
    delta?: boolean;
  } = {},
) {
  const clock = options.clock ?? createFakeClock();
  const memory = options.store ?? new MemoryStore({ clock });
  const inner = options.coarseExpiry ? coarseExpiry(memory) : memory;
  const store = options.delta ? new DeltaSpyStore(inner) : new SpyStore(inner);
  const events: SessionEvent[] = [];
  const manager = new SessionManager({
    policy: parsePolicy(policy),
    secrets: options.secrets ?? [SECRET],
    store,
    clock,
    crypto: nodeCrypto,
    onEvent: (event) => events.push(event),
    ...(options.storeTimeout !== undefined && { storeTimeout: options.storeTimeout }),
  });
  /** The browser's cookie for the session, as it would send it. */
  let browserCookie: string | undefined;

  function view(opts: RequestOptions): RequestView {
    const headers = new Map<string, string>([['host', opts.host ?? 'localhost:3000']]);
    for (const [name, value] of Object.entries(opts.headers ?? {})) headers.set(name.toLowerCase(), value);
    const cookie = opts.cookie === undefined ? browserCookie : opts.cookie;
    if (cookie !== undefined && cookie !== null) headers.set('cookie', `other=1; ${COOKIE}=${cookie}`);
    return {
      method: opts.method ?? 'GET',
      path: opts.path ?? '/',
      encrypted: opts.encrypted ?? false,
      headers: { get: (name) => headers.get(name) },
    };
  }

  async function begin(opts: RequestOptions = {}) {
    const v = view(opts);
    const cookies = parseCookieHeader(v.headers.get('cookie'));
    const setCookies = new Map<string, string>();
    const headers = new Map<string, string>();
    const jar: CookieJar = {
      get: (name) => cookies.get(name),
      setCookie: (name, serialized) => setCookies.set(name, serialized),
      setHeader: (name, value) => headers.set(name.toLowerCase(), value),
    };
    const context = await manager.begin(v, jar);
    const finish = async (): Promise<Response> => {
      await context.commit();
      const setCookie = setCookies.get(COOKIE);
      if (setCookie !== undefined && opts.cookie === undefined) {
        const value = setCookie.slice(COOKIE.length + 1, setCookie.indexOf(';'));
        browserCookie = /Max-Age=0/.test(setCookie) ? undefined : value;
      }
      return { context, session: context.session, setCookie, headers };
    };
    return { context, session: context.session, finish };
  }

  /** One request: load, run the handler, commit. */
  async function request(
    handler?: (session: Session, context: SessionContext) => unknown,
    opts: RequestOptions = {},
  ): Promise<Response> {
    const { context, session, finish } = await begin(opts);
    await handler?.(session, context);
    return finish();
  }

  return {
    clock,
    store,
    events,
    manager,
    request,
    begin,
    get cookie() {
      return browserCookie;
    },
    set cookie(value: string | undefined) {
      browserCookie = value;
    },
  };
}

describe('SessionManager setup', () => {
  it('throws disabled-by-policy when sessionPolicy.enabled is false', () => {
    expect(
      () => new SessionManager({ policy: { sessionPolicy: { enabled: false } }, secrets: SECRET, crypto: nodeCrypto }),
    ).toThrowError(expect.objectContaining({ code: 'sessions/disabled-by-policy' }));
  });

  it('accepts a raw security.json document and validates it', () => {
    expect(new SessionManager({ policy: { config: { name: 'app' } }, secrets: SECRET }).cookieName).toBe('__Host-app');
    expect(() => new SessionManager({ policy: { config: { name: 1 } }, secrets: SECRET })).toThrowError(
      expect.objectContaining({ code: 'sessions/invalid-policy' }),
    );
  });

  it('refuses missing and weak secrets', () => {
    expect(() => new SessionManager({ secrets: [] })).toThrowError(
      expect.objectContaining({ code: 'sessions/missing-secret' }),
    );
    expect(() => new SessionManager({ secrets: 'short' })).toThrowError(
      expect.objectContaining({ code: 'sessions/weak-secret' }),
    );
  });

  it('refuses a bad storeTimeout or onEvent with option-type-incorrect', () => {
    expect(() => new SessionManager({ secrets: SECRET, storeTimeout: 0 })).toThrowError(
      expect.objectContaining({ code: 'sessions/option-type-incorrect' }),
    );
    expect(
      () => new SessionManager({ secrets: SECRET, onEvent: 'log' as unknown as (event: SessionEvent) => void }),
    ).toThrowError(expect.objectContaining({ code: 'sessions/option-type-incorrect' }));
  });

  it('defaults to an in-memory store and WebCrypto', async () => {
    const manager = new SessionManager({ secrets: SECRET });
    expect(manager.store).toBeInstanceOf(MemoryStore);
    const setCookies: string[] = [];
    const jar: CookieJar = {
      get: () => undefined,
      setCookie: (_n, s) => setCookies.push(s),
      setHeader: () => undefined,
    };
    const context = await manager.begin(
      { method: 'GET', path: '/', encrypted: true, headers: { get: () => undefined } },
      jar,
    );
    context.session.user = 'x';
    await context.commit();
    expect(setCookies[0]).toMatch(/^__Host-spartan=[\w-]{43}\.[0-9a-z]+[ti]\.[\w-]{43};/);
    await manager.close();
  });
});

describe('lazy sessions', () => {
  it('a visitor whose session holds nothing gets no cookie and no store write', async () => {
    const t = setup();
    const response = await t.request((session) => session.id);
    expect(response.setCookie).toBeUndefined();
    expect(response.headers.has('cache-control')).toBe(false);
    expect(t.store.writes()).toBe(0);
    expect(t.events).toEqual([]);
  });

  it('the first data creates the record and a secure-by-policy cookie with Cache-Control: no-store', async () => {
    const t = setup();
    const response = await t.request((session) => {
      session.views = 1;
    });
    expect(response.setCookie).toMatch(
      /^__Host-spartan=[\w-]{43}\.[0-9a-z]+[ti]\.[\w-]{43}; Path=\/; Expires=[^;]+ GMT; HttpOnly; Secure; SameSite=Lax$/,
    );
    const expires = Date.parse(/Expires=([^;]+)/.exec(response.setCookie!)![1]!);
    expect(expires).toBe(Math.floor((t.clock.now() + 43200 * SECOND) / 1000) * 1000);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(t.store.calls.set).toBe(1);
    expect(t.events.map((event) => event.type)).toEqual(['created']);
  });

  it('the id read before any data is the id the cookie then carries', async () => {
    const t = setup();
    let id = '';
    await t.request((session) => {
      id = session.id;
      session.a = 1;
    });
    expect(t.cookie!.startsWith(`${id}.`)).toBe(true);
  });
});

describe('returning visitors', () => {
  it('load their data with one store read, and cause no write and no Set-Cookie when nothing changed', async () => {
    const t = setup();
    await t.request((session) => {
      session.views = 1;
      session.nested = { a: [1, 2] };
    });
    const before = { ...t.store.calls };
    const response = await t.request();
    expect(response.session.views).toBe(1);
    expect(response.session.nested).toEqual({ a: [1, 2] });
    expect(t.store.calls.get - before.get).toBe(1);
    expect(t.store.writes()).toBe(before.set + before.destroy);
    expect(response.setCookie).toBeUndefined();
  });

  it('a changed value is written with compare-and-set and no new cookie', async () => {
    const t = setup();
    await t.request((session) => {
      session.views = 1;
    });
    const response = await t.request((session) => {
      session.views = (session.views as number) + 1;
    });
    expect(response.setCookie).toBeUndefined();
    expect(t.store.calls.set).toBe(2);
    expect((await t.request()).session.views).toBe(2);
  });

  it('a nested mutation (Passport style) is detected and written', async () => {
    const t = setup();
    await t.request((session) => {
      session.passport = { user: 'a' };
    });
    await t.request((session) => {
      (session.passport as { user: string }).user = 'b';
    });
    expect((await t.request()).session.passport).toEqual({ user: 'b' });
  });

  it('a deleted key is written', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
      session.b = 2;
    });
    await t.request((session) => {
      delete session.a;
    });
    expect(Object.keys((await t.request()).session)).toEqual(['b']);
  });

  it('touch writes lastSeenAt only once touchAfter has passed', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
    });
    t.clock.advance(59 * SECOND);
    await t.request();
    expect(t.store.calls.set).toBe(1);
    t.clock.advance(2 * SECOND);
    const response = await t.request();
    expect(t.store.calls.set).toBe(2);
    expect(response.session.meta.lastSeenAt).toBe(t.clock.now());
  });

  it('session.touch() forces the idle clock forward', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
    });
    t.clock.advance(5 * SECOND);
    await t.request((session) => session.touch());
    expect(t.store.calls.set).toBe(2);
  });
});

describe('expiry', () => {
  it('a record the store forgot at its idle expiry is gone: the returning visitor starts anew, reported as expired', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
    });
    t.clock.advance(1800 * SECOND);
    const response = await t.request();
    expect(response.session.a).toBeUndefined();
    expect(response.setCookie).toMatch(/Max-Age=0/);
    // Not a fixation alarm: the cookie's signed end says the session ran out (issue 13, defect 2).
    expect(t.events.at(-1)).toMatchObject({ type: 'expired', reason: 'idle' });
    expect(t.events.some((event) => event.type === 'fixation-rejected')).toBe(false);
  });

  it('the cookie follows the session end as the user keeps it alive: a later revocation is not mistaken for expiry', async () => {
    const t = setup({ config: { duration: { idle: 1800, touchAfter: 60 } } });
    await t.request((session) => session.authenticate('u'));
    // Active every 20 minutes for an hour: each touch moves the end and re-issues the cookie.
    for (let i = 0; i < 3; i++) {
      t.clock.advance(20 * MINUTE);
      const response = await t.request();
      expect(response.session.meta.userId).toBe('u');
      expect(response.setCookie).toMatch(/^__Host-spartan=/);
    }
    // A returning visitor inside the touch interval gets no new cookie.
    t.clock.advance(30 * SECOND);
    expect((await t.request()).setCookie).toBeUndefined();
    const cookie = t.cookie ?? null;
    await t.manager.revokeUser('u');
    // Past the end the first cookie carried, before the one the last touch gave.
    t.clock.advance(10 * MINUTE);
    await t.request(undefined, { cookie });
    expect(t.events.at(-1)).toMatchObject({ type: 'fixation-rejected', reason: 'unknown-id' });
  });

  it('a session ended on purpose (logout, revocation) whose cookie comes back before its end is still a fixation alarm', async () => {
    const t = setup();
    await t.request((session) => session.authenticate('u'));
    const cookie = t.cookie;
    await t.manager.revokeUser('u');
    t.clock.advance(MINUTE);
    await t.request(undefined, { cookie: cookie ?? null });
    expect(t.events.at(-1)).toMatchObject({ type: 'fixation-rejected', reason: 'unknown-id' });
  });

  it('destroys the session after its idle time and starts an empty one', async () => {
    const t = setup({}, { coarseExpiry: true });
    await t.request((session) => {
      session.a = 1;
    });
    const old = t.cookie;
    t.clock.advance(1800 * SECOND);
    const response = await t.request();
    expect(response.session.a).toBeUndefined();
    expect(response.setCookie).toMatch(/Max-Age=0/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(t.events.at(-1)).toMatchObject({ type: 'expired', reason: 'idle' });
    t.cookie = old;
    t.clock.set(t.clock.now() - 1800 * SECOND);
    expect((await t.request()).session.a).toBeUndefined(); // deleted from the store, not just hidden
  });

  it('destroys the session after its absolute lifetime even when it is used all the time', async () => {
    const t = setup({ config: { duration: { renewal: 0 } } }, { coarseExpiry: true });
    await t.request((session) => {
      session.a = 1;
    });
    for (let elapsed = 0; elapsed < 43200 - 1500; elapsed += 1500) {
      t.clock.advance(1500 * SECOND);
      expect((await t.request()).session.a).toBe(1);
    }
    t.clock.advance(1500 * SECOND);
    expect((await t.request()).session.a).toBeUndefined();
    expect(t.events.at(-1)).toMatchObject({ type: 'expired', reason: 'ttl' });
  });

  it('the store is told to forget the record when the session would expire', async () => {
    const t = setup();
    let seen: StoreSetOptions | undefined;
    const set = t.store.inner.set.bind(t.store.inner);
    t.store.inner.set = (key, record, opts) => {
      seen = opts;
      return set(key, record, opts);
    };
    await t.request((session) => {
      session.a = 1;
    });
    expect(seen?.expiresAt).toBe(t.clock.now() + 1800 * SECOND);
    expect(seen?.expectedVersion).toBeNull();
  });
});

describe('id rotation', () => {
  it('renews the id after the renewal period, keeping data and destroying the old record', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
    });
    const old = t.cookie!;
    t.clock.advance(900 * SECOND);
    const response = await t.request();
    expect(response.setCookie).toBeDefined();
    expect(t.cookie).not.toBe(old);
    expect(response.session.a).toBe(1);
    expect(t.events.at(-1)).toMatchObject({ type: 'rotated', reason: 'renewal' });
    expect((await t.request(undefined, { cookie: old })).session.a).toBeUndefined();
  });

  it('authenticate rotates the id, records the user and the time, and kills the old cookie', async () => {
    const t = setup();
    await t.request((session) => {
      session.cart = ['x'];
    });
    const old = t.cookie!;
    const response = await t.request((session) => session.authenticate('user-1'));
    expect(t.cookie).not.toBe(old);
    expect(response.session.meta).toMatchObject({ userId: 'user-1', authenticatedAt: t.clock.now() });
    expect(response.session.cart).toEqual(['x']);
    expect(t.events.at(-1)).toMatchObject({ type: 'rotated', reason: 'authenticate', userId: 'user-1' });
    const replay = await t.request(undefined, { cookie: old });
    expect(replay.session.meta.userId).toBeNull();
    expect(t.events.at(-1)).toMatchObject({ type: 'fixation-rejected' });
  });

  it('authenticate on a brand-new session creates it already authenticated', async () => {
    const t = setup();
    await t.request((session) => session.authenticate('u'));
    expect(t.events.map((event) => event.type)).toEqual(['created']);
    expect((await t.request()).session.meta.userId).toBe('u');
  });

  it('authenticate refuses an empty user id', async () => {
    const t = setup();
    await expect(t.request((session) => session.authenticate(''))).rejects.toMatchObject({
      code: 'sessions/option-type-incorrect',
    });
  });

  it('regenerate gives a new id with empty data and no user', async () => {
    const t = setup();
    await t.request(async (session) => {
      session.a = 1;
      await session.authenticate('u');
    });
    const old = t.cookie;
    const response = await t.request(async (session, context) => {
      await session.regenerate();
      // A new object, as with express-session: the old one still holds the old data, so
      // Passport's keepSessionInfo can merge it into the new one.
      expect(context.session).not.toBe(session);
      expect({ ...session }).toEqual({ a: 1 });
      context.session.b = 2;
    });
    expect(t.cookie).not.toBe(old);
    expect({ ...response.session }).toEqual({ b: 2 });
    expect(response.session.meta.userId).toBeNull();
  });

  it('regenerate of a session that ends empty stores nothing and clears the cookie', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
    });
    const response = await t.request((session) => session.regenerate());
    expect(response.setCookie).toMatch(/Max-Age=0/);
    expect(t.cookie).toBeUndefined();
  });

  it('rotate keeps the data under a new id', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
    });
    const old = t.cookie;
    const response = await t.request((session) => session.rotate());
    expect(t.cookie).not.toBe(old);
    expect(response.session.a).toBe(1);
  });

  it('a cookie signed with a rotated-out secret is re-issued under the new secret, same session', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ clock });
    const before = setup({}, { secrets: [OLD_SECRET], clock, store });
    await before.request((session) => {
      session.a = 1;
    });
    const after = setup({}, { secrets: [SECRET, OLD_SECRET], clock, store });
    after.cookie = before.cookie;
    const response = await after.request();
    expect(response.session.a).toBe(1);
    expect(response.setCookie).toBeDefined();
    expect(after.cookie).not.toBe(before.cookie);
    expect(after.cookie!.slice(0, 43)).toBe(before.cookie!.slice(0, 43)); // same id, new tag
    // The re-issued cookie verifies without the old secret.
    const onlyNew = setup({}, { secrets: [SECRET], clock, store });
    onlyNew.cookie = after.cookie;
    expect((await onlyNew.request()).session.a).toBe(1);
  });
});

describe('destroy', () => {
  it('deletes the record, clears the cookie, sends Clear-Site-Data and emits destroyed', async () => {
    const t = setup();
    await t.request((session) => session.authenticate('u'));
    const old = t.cookie!;
    const response = await t.request((session) => session.destroy());
    expect(response.setCookie).toMatch(/^__Host-spartan=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970/);
    expect(response.headers.get('clear-site-data')).toBe('"cache"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(t.events.at(-1)).toMatchObject({ type: 'destroyed', reason: 'logout', userId: 'u' });
    expect((await t.request(undefined, { cookie: old })).session.meta.userId).toBeNull();
  });

  it('sends no Clear-Site-Data when the policy lists none', async () => {
    const t = setup({ config: { logout: { clearSiteData: [] } } });
    await t.request((session) => {
      session.a = 1;
    });
    expect((await t.request((session) => session.destroy())).headers.has('clear-site-data')).toBe(false);
  });

  it('data set after destroy starts a new session under a new id', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
    });
    const old = t.cookie;
    const response = await t.request(async (session) => {
      await session.destroy();
      session.flash = 'bye';
    });
    expect(t.cookie).toBeDefined();
    expect(t.cookie).not.toBe(old);
    expect({ ...response.session }).toEqual({ flash: 'bye' });
  });
});

describe('cookie checks before the store', () => {
  it('a tampered cookie is rejected before any store access and cleared', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
    });
    const forged = `${t.cookie!.slice(0, -1)}${t.cookie!.endsWith('A') ? 'B' : 'A'}`;
    const gets = t.store.calls.get;
    const response = await t.request(undefined, { cookie: forged });
    expect(t.store.calls.get).toBe(gets);
    expect(response.session.a).toBeUndefined();
    expect(response.setCookie).toMatch(/Max-Age=0/);
    expect(t.events.at(-1)).toMatchObject({ type: 'tamper-rejected', reason: 'bad-signature' });
  });

  it('strict mode: a well-signed id unknown to the store is never adopted', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
    });
    const planted = t.cookie!;
    await t.request((session) => session.destroy());
    // The attacker plants the old (well-signed) value in the victim's browser.
    t.cookie = planted;
    await t.request((session) => {
      session.b = 1;
    });
    expect(t.cookie).not.toBe(planted);
    expect(t.events.some((event) => event.type === 'fixation-rejected')).toBe(true);
  });
});

describe('privileged zones', () => {
  const zoned: PolicyInput = { config: { privileged: { paths: ['/admin'], exclude: ['/admin/reauth'] } } };

  it('entering and leaving a privileged area rotates the id', async () => {
    const t = setup(zoned);
    await t.request((session) => session.authenticate('u'));
    const outside = t.cookie;
    const inside = await t.request(undefined, { path: '/admin/users' });
    expect(inside.context.accessError).toBeNull();
    expect(t.cookie).not.toBe(outside);
    expect(inside.session.meta.zone).toBe('privileged');
    expect(t.events.at(-1)).toMatchObject({ type: 'rotated', reason: 'zone-enter' });
    const insideCookie = t.cookie;
    const back = await t.request(undefined, { path: '/' });
    expect(t.cookie).not.toBe(insideCookie);
    expect(back.session.meta.zone).toBe('normal');
    expect(t.events.at(-1)).toMatchObject({ type: 'rotated', reason: 'zone-leave' });
  });

  it('paths match case-insensitively, percent-decoded and with doubled slashes folded, as routers match them', async () => {
    const t = setup(zoned);
    await t.request((session) => session.authenticate('u'));
    for (const path of ['/ADMIN', '/Admin/users', '/%61dmin', '//admin//x', '/admin%2Fx']) {
      const response = await t.request(undefined, { path });
      expect(response.session.meta.zone, path).toBe('privileged');
    }
    await t.request(undefined, { path: '/' });
    // The excluded re-auth page is matched the same way: no zone change, no re-auth check.
    const reauth = await t.request(undefined, { path: '/ADMIN/REAUTH' });
    expect(reauth.session.meta.zone).toBe('normal');
    expect(reauth.context.accessError).toBeNull();
    expect((await t.request(undefined, { path: '/%E0%A4%A' })).session.meta.zone).toBe('normal');
  });

  it('paths match on segment boundaries', async () => {
    const t = setup(zoned);
    await t.request((session) => session.authenticate('u'));
    const response = await t.request(undefined, { path: '/administrator' });
    expect(response.session.meta.zone).toBe('normal');
  });

  it('an unauthenticated request to a privileged area gets reauthentication-required (401)', async () => {
    const t = setup(zoned);
    const response = await t.request(undefined, { path: '/admin' });
    expect(response.context.accessError).toMatchObject({
      code: 'sessions/reauthentication-required',
      status: 401,
      details: { reason: 'not-authenticated' },
    });
  });

  it('authentication older than reauthAfter is refused inside, and reauthenticate lets it in again', async () => {
    const t = setup(zoned);
    await t.request((session) => session.authenticate('u'));
    await t.request(undefined, { path: '/admin' });
    t.clock.advance(299 * SECOND);
    await t.request(undefined, { path: '/admin' });
    t.clock.advance(299 * SECOND);
    await t.request(undefined, { path: '/admin' });
    t.clock.advance(3 * SECOND);
    const stale = await t.request(undefined, { path: '/admin' });
    expect(stale.context.accessError?.details).toMatchObject({ reason: 'stale-authentication' });
    // The excluded re-auth page is reachable and does not change zone.
    const reauth = await t.request(async (session) => session.reauthenticate(), { path: '/admin/reauth' });
    expect(reauth.context.accessError).toBeNull();
    expect(t.events.at(-1)).toMatchObject({ type: 'rotated', reason: 'reauthenticate' });
    expect((await t.request(undefined, { path: '/admin' })).context.accessError).toBeNull();
  });

  it('the privileged idle limit replaces idle inside the area', async () => {
    const t = setup(zoned, { coarseExpiry: true });
    await t.request((session) => session.authenticate('u'));
    await t.request(undefined, { path: '/admin' });
    t.clock.advance(300 * SECOND);
    const response = await t.request(undefined, { path: '/admin' });
    expect(response.session.meta.userId).toBeNull();
    expect(t.events.some((event) => event.type === 'expired' && event.reason === 'idle')).toBe(true);
  });

  it('reauthenticate without a user is refused', async () => {
    const t = setup(zoned);
    await expect(t.request((session) => session.reauthenticate())).rejects.toMatchObject({
      code: 'sessions/reauthentication-required',
    });
  });

  it('authenticating inside the area clears the access error of that request', async () => {
    const t = setup(zoned);
    const response = await t.request((session) => session.authenticate('u'), { path: '/admin/login-here' });
    expect(response.context.accessError).toBeNull();
  });
});

describe('per-user sessions', () => {
  async function loginTwice(t: ReturnType<typeof setup>, userId: string) {
    await t.request((session) => session.authenticate(userId));
    const first = t.cookie;
    t.cookie = undefined;
    t.clock.advance(SECOND);
    await t.request((session) => session.authenticate(userId));
    return first;
  }

  it('listUserSessions lists the live sessions of the user without ids, current marked', async () => {
    const t = setup();
    await loginTwice(t, 'u');
    const response = await t.request();
    const list = await response.session.listUserSessions();
    expect(list).toHaveLength(2);
    expect(list.filter((entry) => entry.current)).toHaveLength(1);
    expect(Object.keys(list[0]!).sort()).toEqual(['createdAt', 'current', 'expiresAt', 'lastSeenAt', 'zone']);
    expect(JSON.stringify(list)).not.toContain(t.cookie!.slice(0, 43));
  });

  it('revokeOtherSessions destroys all other sessions of the user', async () => {
    const t = setup();
    const first = await loginTwice(t, 'u');
    const response = await t.request((session) => session.revokeOtherSessions());
    expect(await response.session.listUserSessions()).toHaveLength(1);
    expect(t.events.at(-1)).toMatchObject({ type: 'revoked', userId: 'u', reason: 'user-revoked-others' });
    expect((await t.request(undefined, { cookie: first! })).session.meta.userId).toBeNull();
  });

  it('an anonymous session lists nothing and revokes nothing', async () => {
    const t = setup();
    const response = await t.request(async (session) => {
      expect(await session.listUserSessions()).toEqual([]);
      expect(await session.revokeOtherSessions()).toBe(0);
    });
    expect(t.store.calls.listByUser).toBe(0);
    expect(response.setCookie).toBeUndefined();
  });

  it('maxSessions evicts the oldest sessions of the user beyond the limit', async () => {
    const t = setup({ config: { users: { maxSessions: 2 } } });
    const first = await loginTwice(t, 'u');
    t.cookie = undefined;
    t.clock.advance(SECOND);
    await t.request((session) => session.authenticate('u'));
    const list = await (await t.request()).session.listUserSessions();
    expect(list).toHaveLength(2);
    expect(t.events.filter((event) => event.type === 'revoked')).toEqual([
      expect.objectContaining({ userId: 'u', reason: 'max-sessions' }),
    ]);
    expect((await t.request(undefined, { cookie: first! })).session.meta.userId).toBeNull();
  });

  it('revokeUser destroys every session of the user (administrators)', async () => {
    const t = setup();
    await loginTwice(t, 'u');
    await t.request((session) => session.authenticate('other'), { cookie: null });
    expect(await t.manager.revokeUser('u')).toBe(2);
    expect((await t.request()).session.meta.userId).toBeNull();
    expect(t.events.filter((event) => event.type === 'revoked' && event.reason === 'admin')).toHaveLength(2);
    await expect(t.manager.revokeUser('')).rejects.toMatchObject({ code: 'sessions/option-type-incorrect' });
  });
});

describe('concurrent requests of one session', () => {
  it('changes to different keys are all kept (compare-and-set with re-apply)', async () => {
    const t = setup();
    await t.request((session) => {
      session.base = 0;
    });
    const requests = await Promise.all(Array.from({ length: 10 }, () => t.begin()));
    requests.forEach((r, i) => {
      r.session[`k${i}`] = i;
    });
    await Promise.all(requests.map((r) => r.finish()));
    const final = (await t.request()).session;
    for (let i = 0; i < 10; i++) expect(final[`k${i}`]).toBe(i);
    expect(final.base).toBe(0);
  });

  it('in one process they write one after the other: one store write each, no conflict, no re-read', async () => {
    const t = setup();
    await t.request((session) => {
      session.base = 0;
    });
    const requests = await Promise.all(Array.from({ length: 20 }, () => t.begin()));
    requests.forEach((r, i) => {
      r.session[`k${i}`] = i;
    });
    t.store.calls = { get: 0, set: 0, rotate: 0, destroy: 0, listByUser: 0 };
    await Promise.all(requests.map((r) => r.finish()));
    // Each waited for the write ahead of it and rebased onto what that write stored.
    expect(t.store.calls).toMatchObject({ get: 0, set: 20 });
    const final = (await t.request()).session;
    for (let i = 0; i < 20; i++) expect(final[`k${i}`]).toBe(i);
    expect(final.base).toBe(0);
  });

  it('a write that fails does not block the next one of the same session', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
    });
    const [one, two] = [await t.begin(), await t.begin()];
    one.session.a = 2;
    two.session.b = 3;
    t.store.failWith = new Error('ECONNRESET');
    const first = one.finish();
    t.store.failWith = null;
    await expect(first).rejects.toMatchObject({ code: 'sessions/store-unavailable' });
    await two.finish();
    expect({ ...(await t.request()).session }).toEqual({ a: 1, b: 3 });
  });

  it('a deletion in one request and an addition in another are both kept', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
      session.b = 1;
    });
    const [one, two] = [await t.begin(), await t.begin()];
    delete one.session.a;
    two.session.c = 3;
    await one.finish();
    await two.finish();
    expect({ ...(await t.request()).session }).toEqual({ b: 1, c: 3 });
  });

  it('a session destroyed by another request is not resurrected by a late write', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
    });
    const late = await t.begin();
    await t.request((session) => session.destroy());
    late.session.a = 2;
    const response = await late.finish();
    expect(response.setCookie).toMatch(/Max-Age=0/);
    expect(await t.manager.store.listByUser('nobody')).toEqual([]);
    expect({ ...response.session }).toEqual({});
  });

  it('gives up with store-unavailable when every attempt conflicts', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
    });
    t.store.inner.set = async () => false;
    await expect(
      t.request((session) => {
        session.a = 2;
      }),
    ).rejects.toMatchObject({ code: 'sessions/store-unavailable', details: { reason: 'write-contention' } });
  });
});

describe('store failures fail closed', () => {
  it('a failing read is store-unavailable (503), never "no session"', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
    });
    t.store.failWith = new Error('ECONNREFUSED');
    const error = await t.begin().catch((e: unknown) => e);
    expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
  });

  it('a hanging store fails after storeTimeout instead of hanging the request', async () => {
    const t = setup({}, { storeTimeout: 30 });
    await t.request((session) => {
      session.a = 1;
    });
    t.store.hang = true;
    await expect(t.begin()).rejects.toMatchObject({
      code: 'sessions/store-unavailable',
      details: { reason: 'timeout' },
    });
  });

  it('a failing write rejects commit with store-unavailable', async () => {
    const t = setup();
    const pending = await t.begin();
    pending.session.a = 1;
    t.store.failWith = new Error('READONLY');
    await expect(pending.finish()).rejects.toMatchObject({ code: 'sessions/store-unavailable' });
  });
});

describe('events', () => {
  it('never carry a raw id, a cookie value or a secret', async () => {
    const t = setup({ config: { privileged: { paths: ['/admin'] } } });
    const ids: string[] = [];
    await t.request((session) => session.authenticate('u'));
    ids.push(t.cookie!);
    await t.request(undefined, { path: '/admin' });
    ids.push(t.cookie!);
    await t.request((session) => session.destroy());
    await t.request(undefined, { cookie: `${ids[0]!.slice(0, -2)}xx` });
    const text = JSON.stringify(t.events);
    for (const value of ids) {
      expect(text).not.toContain(value.slice(0, 43));
    }
    expect(text).not.toContain(SECRET);
    for (const event of t.events) {
      if (event.keyHash !== undefined) expect(event.keyHash).toHaveLength(12);
      expect(typeof event.at).toBe('number');
    }
  });

  it('a throwing listener never breaks a request', async () => {
    const manager = new SessionManager({
      secrets: SECRET,
      crypto: nodeCrypto,
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    const jar: CookieJar = { get: () => undefined, setCookie: () => undefined, setHeader: () => undefined };
    const context = await manager.begin(
      { method: 'GET', path: '/', encrypted: true, headers: { get: () => undefined } },
      jar,
    );
    context.session.a = 1;
    await expect(context.commit()).resolves.toBeUndefined();
  });
});

describe('transport', () => {
  it('refuses to set the Secure session cookie over plain http from a remote host', async () => {
    const t = setup();
    await expect(
      t.request(
        (session) => {
          session.a = 1;
        },
        { host: 'example.com' },
      ),
    ).rejects.toMatchObject({ code: 'session/insecure-connection' });
  });

  it('accepts it behind a trusted proxy that says https', async () => {
    const t = setup({ config: { transport: { trustProxy: true } } });
    const response = await t.request(
      (session) => {
        session.a = 1;
      },
      { host: 'example.com', headers: { 'x-forwarded-proto': 'https' } },
    );
    expect(response.setCookie).toMatch(/Secure/);
  });

  it('a non-secure policy works over plain http without a prefix', async () => {
    const t = setup({ config: { cookies: { secure: false } } });
    const clock = t.clock;
    const manager = new SessionManager({
      policy: parsePolicy({ config: { cookies: { secure: false } } }),
      secrets: SECRET,
      clock,
      crypto: nodeCrypto,
    });
    expect(manager.cookieName).toBe('spartan');
    expect(
      manager.isSecure({ method: 'GET', path: '/', encrypted: false, headers: { get: () => 'example.com' } }),
    ).toBe(false);
  });
});

describe('the session object', () => {
  it('shows only data to Object.keys and JSON, verbs are non-enumerable', async () => {
    const t = setup();
    const response = await t.request((session) => {
      session.a = 1;
    });
    expect(Object.keys(response.session)).toEqual(['a']);
    expect(JSON.parse(JSON.stringify(response.session))).toEqual({ a: 1 });
    expect(typeof response.session.save).toBe('function');
    expect(response.session.id).toMatch(/^[\w-]{43}$/);
  });

  it('a data key named like a verb is never stored', async () => {
    const t = setup();
    await t.request((session) => {
      session.a = 1;
      (session as Record<string, unknown>).save = 'shadow';
    });
    const response = await t.request();
    expect(typeof response.session.save).toBe('function');
  });

  it('save(cb), reload(cb), regenerate(cb), destroy(cb) call back as express-session does', async () => {
    const t = setup();
    const order: string[] = [];
    await t.request(async (session) => {
      session.a = 1;
      await new Promise<void>((resolve) =>
        session.save((error) => {
          order.push(`save:${error}`);
          resolve();
        }),
      );
      expect(t.store.calls.set).toBe(1);
      session.a = 5;
      await new Promise<void>((resolve) =>
        session.reload((error) => {
          order.push(`reload:${error}`);
          resolve();
        }),
      );
      expect(session.a).toBe(1);
      await new Promise<void>((resolve) =>
        session.regenerate((error) => {
          order.push(`regenerate:${error}`);
          resolve();
        }),
      );
      await new Promise<void>((resolve) =>
        session.destroy((error) => {
          order.push(`destroy:${error}`);
          resolve();
        }),
      );
    });
    expect(order).toEqual(['save:null', 'reload:null', 'regenerate:null', 'destroy:null']);
  });

  it('a callback receives the error instead of an unhandled rejection', async () => {
    const t = setup();
    const pending = await t.begin();
    pending.session.a = 1;
    t.store.failWith = new Error('down');
    const error = await new Promise<Error | null>((resolve) => pending.session.save((e) => resolve(e)));
    expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
    const listed = await new Promise<number | undefined>((resolve) =>
      pending.session.revokeOtherSessions((_e, n) => resolve(n)),
    );
    expect(listed).toBe(0);
  });

  it('reload of a session revoked meanwhile empties it', async () => {
    const t = setup();
    await t.request((session) => session.authenticate('u'));
    const pending = await t.begin();
    await t.manager.revokeUser('u');
    await pending.session.reload();
    expect(pending.session.meta.userId).toBeNull();
    expect((await pending.finish()).setCookie).toMatch(/Max-Age=0/);
  });

  it('meta reports created, last seen, expiry, zone and user', async () => {
    const t = setup();
    const start = t.clock.now();
    await t.request((session) => session.authenticate('u'));
    t.clock.advance(10 * MINUTE);
    const { meta } = (await t.request()).session;
    expect(meta).toEqual({
      createdAt: start,
      lastSeenAt: start + 10 * MINUTE,
      expiresAt: start + 43200 * SECOND,
      idleExpiresAt: start + 10 * MINUTE + 1800 * SECOND,
      zone: 'normal',
      userId: 'u',
      authenticatedAt: start,
    });
    expect(Object.isFrozen(meta)).toBe(true);
  });

  it('a CSRF secret makes a lazy session persist and survives reloads', async () => {
    const t = setup();
    await t.request((_session, context) => {
      expect(context.getCsrfSecret()).toBeNull();
      context.setCsrfSecret('secret-value');
    });
    expect(t.cookie).toBeDefined();
    const response = await t.request();
    expect(response.context.getCsrfSecret()).toBe('secret-value');
    expect(Object.keys(response.session)).toEqual([]);
  });
});

describe('SessionManager: memory store evictions are audited (issue 12 item 4)', () => {
  /** A manager on a MemoryStore of `maxSessions`, and one request at a time through it. */
  function onSmallMemoryStore(maxSessions: number) {
    const clock = createFakeClock();
    const store = new MemoryStore({ maxSessions, clock });
    const events: SessionEvent[] = [];
    const manager = new SessionManager({
      secrets: SECRET,
      store,
      clock,
      crypto: nodeCrypto,
      onEvent: (event) => events.push(event),
    });
    /** Runs `handler` in a request carrying `cookie`; resolves the session cookie it sets, if any. */
    const request = async (cookie: string | null, handler: (session: Session) => unknown) => {
      const headers = new Map([['host', 'localhost:3000']]);
      if (cookie !== null) headers.set('cookie', `${COOKIE}=${cookie}`);
      const setCookies = new Map<string, string>();
      const jar: CookieJar = {
        get: (name) => (name === COOKIE && cookie !== null ? cookie : undefined),
        setCookie: (name, serialized) => setCookies.set(name, serialized),
        setHeader: () => undefined,
      };
      const view: RequestView = {
        method: 'GET',
        path: '/',
        encrypted: false,
        headers: { get: (name) => headers.get(name) },
      };
      const context = await manager.begin(view, jar);
      await handler(context.session);
      await context.commit();
      const set = setCookies.get(COOKIE);
      return { session: context.session, cookie: set?.slice(COOKIE.length + 1, set.indexOf(';')) };
    };
    return { store, events, request };
  }

  it('an anonymous flood leaves the signed-in session alone; each eviction is a destroyed event with reason evicted and no raw id', async () => {
    const { store, events, request } = onSmallMemoryStore(5);
    const alice = (await request(null, (session) => session.authenticate('alice'))).cookie!;
    const anonymousCookies: string[] = [];
    for (let index = 0; index < 30; index++) {
      const { cookie } = await request(null, (session) => {
        session.cart = index;
      });
      anonymousCookies.push(cookie!);
    }
    expect((await request(alice, () => undefined)).session.meta.userId).toBe('alice');
    expect(store.stats()).toEqual({ sessions: 5, users: 1, indexedSessions: 1 });

    const evicted = events.filter((event) => event.reason === 'evicted');
    // Four anonymous sessions fit beside alice's; each of the other 26 evicted the oldest one.
    expect(evicted).toHaveLength(26);
    for (const event of evicted) {
      expect(event).toEqual({
        type: 'destroyed',
        at: expect.any(Number),
        keyHash: expect.any(String),
        reason: 'evicted',
      });
      expect(event.keyHash).toHaveLength(12);
    }
    // Events never carry a raw id: no part of any cookie value appears in them.
    const audit = JSON.stringify(events);
    for (const cookie of [alice, ...anonymousCookies]) {
      for (const part of cookie.split('.')) expect(audit).not.toContain(part);
    }
  });

  it('a signed-in session evicted for another sign-in is reported with its user; an anonymous newcomer is refused with 503', async () => {
    const { events, request } = onSmallMemoryStore(2);
    const alice = (await request(null, (session) => session.authenticate('alice'))).cookie!;
    await request(null, (session) => session.authenticate('bob'));
    await request(alice, () => undefined);
    // Full of signed-in sessions: a visitor who stores something is refused, and nobody is signed out.
    const refused = await request(null, (session) => {
      session.cart = 1;
    }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isSpartanError(refused, 'sessions/store-unavailable')).toBe(true);
    expect((refused as { status: number; details: unknown }).status).toBe(503);
    expect((refused as { details: unknown }).details).toMatchObject({ reason: 'capacity' });
    expect(events.filter((event) => event.reason === 'evicted')).toEqual([]);
    // carol signs in: bob's session (not used since alice's last request) makes room.
    await request(null, (session) => session.authenticate('carol'));
    expect(events.filter((event) => event.reason === 'evicted')).toEqual([
      { type: 'destroyed', at: expect.any(Number), keyHash: expect.any(String), userId: 'bob', reason: 'evicted' },
    ]);
    expect((await request(alice, () => undefined)).session.meta.userId).toBe('alice');
  });

  it('a closed manager stops auditing the evictions of a store that outlives it', async () => {
    const clock = createFakeClock();
    const store = new MemoryStore({ clock, maxSessions: 2 });
    const seen = { first: 0, second: 0 };
    const first = new SessionManager({
      secrets: SECRET,
      store,
      clock,
      crypto: nodeCrypto,
      onEvent: () => seen.first++,
    });
    new SessionManager({ secrets: SECRET, store, clock, crypto: nodeCrypto, onEvent: () => seen.second++ });
    await first.close();
    for (let i = 0; i < 4; i++) {
      await store.set(`k${i}`, makeStoredSession(), { expiresAt: clock.now() + 60_000, expectedVersion: null });
    }
    expect(seen).toEqual({ first: 0, second: 2 });
  });
});

describe('the delta save (a store with update)', () => {
  /** Over the ~1 KB from which core writes by delta (a smaller session is written whole). */
  const PAD = { padding: 'p'.repeat(1100) };

  /**
   * A signed-in session holding `data` (and `PAD`, unless `small`: then it stays under ~1 KB),
   * and the test harness around it, the store's counts zeroed.
   */
  async function signedIn(data: Record<string, unknown> = {}, { small = false } = {}) {
    const t = setup({}, { delta: true });
    await t.request((session) => {
      Object.assign(session, small ? {} : PAD, data);
      return session.authenticate('alice');
    });
    const store = t.store as DeltaSpyStore;
    store.calls = { get: 0, set: 0, rotate: 0, destroy: 0, listByUser: 0 };
    store.updates = [];
    return { ...t, store };
  }

  it("writes a returning visitor's changes as one update carrying only the keys it changed", async () => {
    const t = await signedIn({ a: 1, cart: { items: ['x'] }, gone: 'soon', same: 'kept' });
    await t.request((session) => {
      session.a = 2;
      // Changed in place, as Passport and shopping carts do: still seen.
      (session.cart as { items: string[] }).items.push('y');
      delete session.gone;
      session.same = 'kept';
    });
    expect(t.store.calls).toEqual({ get: 1, set: 0, rotate: 0, destroy: 0, listByUser: 0 });
    expect(t.store.updates).toEqual([
      { set: { a: 2, cart: { items: ['x', 'y'] } }, unset: ['gone'], lastSeenAt: t.clock.now() },
    ]);
    const [stored] = await t.store.inner.listByUser('alice');
    expect(stored?.record.data).toEqual({ ...PAD, a: 2, cart: { items: ['x', 'y'] }, same: 'kept' });
  });

  it('a key set to a value JSON drops (undefined, a function) is deleted; other keys are untouched', async () => {
    const t = await signedIn({ a: 1, gone: 'x', fn: 'y', nested: { b: [1] } });
    await t.request((session) => {
      session.gone = undefined;
      session.fn = () => 1;
    });
    expect(t.store.updates).toEqual([{ set: {}, unset: ['gone', 'fn'], lastSeenAt: t.clock.now() }]);
    const [stored] = await t.store.inner.listByUser('alice');
    expect(stored?.record.data).toEqual({ ...PAD, a: 1, nested: { b: [1] } });
  });

  it('writes nothing when nothing changed and no idle-time write is due', async () => {
    const t = await signedIn({ a: 1, nested: { b: [1, 2] } });
    await t.request((session) => {
      session.a = 1;
      session.nested = { b: [1, 2] };
    });
    expect(t.store.updates).toEqual([]);
    expect(t.store.writes()).toBe(0);
  });

  it('the idle-time write is an update without data changes', async () => {
    const t = await signedIn({ a: 1 });
    t.clock.advance(10 * MINUTE);
    await t.request(() => undefined);
    expect(t.store.updates).toEqual([{ set: {}, unset: [], lastSeenAt: t.clock.now() }]);
    expect(t.store.writes()).toBe(0);
  });

  it('50 concurrent requests of one session, each setting its own key: 50 updates, no conflict, no re-read, every key kept', async () => {
    const t = await signedIn({ base: true });
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.request((session) => {
          session[`hot_${i}`] = i;
        }),
      ),
    );
    expect(t.store.calls.get).toBe(50);
    expect(t.store.updates).toHaveLength(50);
    expect(t.store.writes()).toBe(0);
    const [stored] = await t.store.inner.listByUser('alice');
    expect(stored?.record.data).toEqual({
      ...PAD,
      base: true,
      ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`hot_${i}`, i])),
    });
    expect(stored?.record.version).toBe(51);
    // No response ended the session or named another one.
    for (const response of responses) expect(response.setCookie).toBeUndefined();
  });

  it('concurrent requests setting the same key: the update applied last wins, and every update counts', async () => {
    const t = await signedIn({ n: 0 });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.request((session) => {
          session.n = i + 1;
        }),
      ),
    );
    const [stored] = await t.store.inner.listByUser('alice');
    // setImmediate keeps the order the requests committed in: the last one is applied last.
    expect(stored?.record.data).toEqual({ ...PAD, n: 10 });
    expect(stored?.record.version).toBe(11);
  });

  it('a session ended between load and commit stays ended: the update finds nothing, the cookie is cleared', async () => {
    const t = await signedIn({ a: 1 });
    const cookie = t.cookie;
    const late = await t.begin();
    await t.request((session) => session.destroy());
    expect(await t.store.inner.listByUser('alice')).toEqual([]);
    late.session.a = 2;
    t.cookie = cookie;
    const response = await late.finish();
    expect(t.store.updates.at(-1)?.set).toEqual({ a: 2 });
    expect(response.setCookie).toMatch(/Max-Age=0/);
    expect(await t.store.inner.listByUser('alice')).toEqual([]);
    expect(t.store.calls.set).toBe(0);
  });

  it('a sign-in is a rotation (one whole write), never an update', async () => {
    const t = await signedIn({ a: 1 });
    await t.request((session) => session.authenticate('bob'));
    expect(t.store.updates).toEqual([]);
    expect(t.store.calls.rotate).toBe(1);
    expect((await t.store.inner.listByUser('bob'))[0]?.record.data).toEqual({ ...PAD, a: 1 });
  });

  it('a CSRF secret issued by the request travels in its update', async () => {
    const t = await signedIn({ a: 1 });
    await t.request((_session, context) => context.setCsrfSecret('issued-secret'));
    expect(t.store.updates).toEqual([{ set: {}, unset: [], lastSeenAt: t.clock.now(), csrfSecret: 'issued-secret' }]);
    expect((await t.store.inner.listByUser('alice'))[0]?.record.csrfSecret).toBe('issued-secret');
  });

  it('data JSON cannot hold fails the request with option-type-incorrect and writes nothing', async () => {
    const t = await signedIn({ a: 1 });
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    const refused = await t
      .request((session) => {
        session.loop = loop;
      })
      .catch((error: unknown) => error);
    expect(isSpartanError(refused, 'sessions/option-type-incorrect')).toBe(true);
    expect((refused as Error).message).not.toContain('self');
    expect(t.store.updates).toEqual([]);
    const big = await t
      .request((session) => {
        session.n = 10n;
      })
      .catch((error: unknown) => error);
    expect(isSpartanError(big, 'sessions/option-type-incorrect')).toBe(true);
    expect(t.store.updates).toEqual([]);
  });

  it('a small session (under ~1 KB) is written whole by compare-and-set even when the store has update', async () => {
    const t = await signedIn({ n: 1 }, { small: true });
    const { store } = t;
    await t.request((session) => {
      session.n = 2;
    });
    expect(store.updates).toEqual([]);
    expect(store.calls.set).toBe(1);
    expect((await store.inner.listByUser('alice'))[0]?.record.data).toEqual({ n: 2 });
  });

  it('concurrent requests of a small session: the first is written whole, the rest as deltas, no re-read, every key kept', async () => {
    const t = await signedIn({}, { small: true });
    const { store } = t;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.request((session) => {
          session[`k${i}`] = i;
        }),
      ),
    );
    expect(store.calls.get).toBe(10);
    expect(store.calls.set).toBe(1);
    expect(store.updates).toHaveLength(9);
    const [stored] = await store.inner.listByUser('alice');
    expect(stored?.record.data).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i])));
    expect(stored?.record.version).toBe(11);
  });

  it('a small session whose whole write loses the race sends its changes as a delta, without a re-read', async () => {
    const t = await signedIn({ a: 0 }, { small: true });
    const { store } = t;
    const late = await t.begin();
    await t.request((session) => {
      session.b = 'first';
    });
    store.calls = { get: 0, set: 0, rotate: 0, destroy: 0, listByUser: 0 };
    late.session.a = 'late';
    await late.finish();
    expect(store.calls).toEqual({ get: 0, set: 1, rotate: 0, destroy: 0, listByUser: 0 });
    expect(store.updates.at(-1)).toEqual({ set: { a: 'late' }, unset: [], lastSeenAt: t.clock.now() });
    expect((await store.inner.listByUser('alice'))[0]?.record.data).toEqual({ a: 'late', b: 'first' });
  });

  it('a store without update still writes by compare-and-set, rebasing concurrent requests (no key lost)', async () => {
    const t = setup();
    await t.request((session) => session.authenticate('alice'));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.request((session) => {
          session[`k${i}`] = i;
        }),
      ),
    );
    const [stored] = await t.store.inner.listByUser('alice');
    expect(Object.keys(stored?.record.data ?? {}).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
    // The sign-in's create, then one compare-and-set each: the queue rebases, nothing retries.
    expect(t.store.calls.set).toBe(21);
  });
});

describe('a large session (its parsed record taken over as the session object)', () => {
  it('is a Session with working verbs; names data cannot take are dropped, the cookie lifetime is kept', async () => {
    const t = setup();
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`key_${i}`, i]));
    await t.request(async (session) => {
      Object.assign(session, many);
      session.setCookieLifetime(3600);
      await session.authenticate('alice');
    });
    const [entry] = await t.store.inner.listByUser('alice');
    if (entry === undefined) throw new Error('no session');
    // A record someone wrote into the store with names that would shadow the verbs.
    const tampered = {
      ...entry.record,
      version: entry.record.version + 1,
      data: {
        ...entry.record.data,
        ...JSON.parse('{"__proto__":{"polluted":true},"regenerate":"x","id":"forged","constructor":1}'),
      },
    };
    await t.store.inner.set(entry.key, tampered, {
      expiresAt: t.clock.now() + MINUTE,
      expectedVersion: entry.record.version,
    });
    const response = await t.request((session) => {
      expect(session).toBeInstanceOf(Session);
      expect(typeof session.regenerate).toBe('function');
      expect(session.id).not.toBe('forged');
      expect(session.constructor).not.toBe(1);
      expect(Object.hasOwn(session, '__proto__')).toBe(false);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(session.key_99).toBe(99);
      expect(session.cookie.maxAge).toBeGreaterThan(3_000_000);
      session.key_0 = 'changed';
    });
    expect(response.session.meta.userId).toBe('alice');
    const [after] = await t.store.inner.listByUser('alice');
    expect(after?.record.data.key_0).toBe('changed');
    expect(after?.record.data.key_99).toBe(99);
    expect(after?.record.data.cookie).toEqual(entry.record.data.cookie);
    for (const name of ['regenerate', 'id', 'constructor'])
      expect(Object.hasOwn(after?.record.data ?? {}, name)).toBe(false);
  });
});
