/**
 * Attacks on the session lifecycle (issue 12), each reproduced against the manager: they failed
 * before their fix. Run on the in-process store (synchronous path) and on the same store seen
 * only through its promise methods (the path every networked store takes); store-redis runs
 * the rotation races again on a real Redis and a Redis Cluster.
 */
import { describe, expect, it } from 'vitest';
import { parseCookieHeader } from '../cookie/serialize.js';
import { createCsrfGuard } from '../csrf/guard.js';
import { isSpartanError, SpartanError } from '../errors/errors.js';
import { nodeCrypto } from '../node/index.js';
import { type PolicyInput, parsePolicy } from '../policy/policy.js';
import type { CookieJar, RequestView, SessionEvent, SessionStore } from '../ports.js';
import { MemoryStore } from '../store/memory-store.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { SessionManager } from './manager.js';
import { Session } from './session.js';

const SECRET = 'attack-test-secret-with-32-plus-characters!';
const COOKIE = '__Host-spartan';
const MINUTE = 60_000;

/** The memory store through its promise methods only (no synchronous twins). */
function promiseOnly(inner: MemoryStore, overrides: Partial<SessionStore> = {}): SessionStore {
  return {
    get: (key) => inner.get(key),
    set: (key, record, opts) => inner.set(key, record, opts),
    rotate: (oldKey, newKey, record, opts) => inner.rotate(oldKey, newKey, record, opts),
    destroy: (key) => inner.destroy(key),
    listByUser: (userId) => inner.listByUser(userId),
    ...overrides,
  };
}

type StoreKind = 'in-process store' | 'promise-only store';

function setup(kind: StoreKind, policy: PolicyInput = {}, overrides: Partial<SessionStore> = {}) {
  const clock = createFakeClock();
  const memory = new MemoryStore({ clock });
  const store: SessionStore =
    kind === 'in-process store' && Object.keys(overrides).length === 0 ? memory : promiseOnly(memory, overrides);
  const events: SessionEvent[] = [];
  const manager = new SessionManager({
    policy: parsePolicy(policy),
    secrets: SECRET,
    store,
    clock,
    crypto: nodeCrypto,
    onEvent: (event) => events.push(event),
  });

  /** One request with `cookie`; `commit()` returns the Set-Cookie line for the session cookie. */
  async function begin(cookie: string | undefined, path = '/') {
    const headers = new Map<string, string>([['host', 'localhost:3000']]);
    if (cookie !== undefined) headers.set('cookie', `${COOKIE}=${cookie}`);
    const view: RequestView = {
      method: 'GET',
      path,
      encrypted: false,
      headers: { get: (name) => headers.get(name) },
    };
    const cookies = parseCookieHeader(headers.get('cookie'));
    const setCookies = new Map<string, string>();
    const jar: CookieJar = {
      get: (name) => cookies.get(name),
      setCookie: (name, serialized) => setCookies.set(name, serialized),
      setHeader: () => undefined,
    };
    const context = await manager.begin(view, jar);
    return {
      context,
      session: context.session,
      view,
      jar,
      setCookie: () => setCookies.get(COOKIE),
      async commit() {
        await context.commit();
        return setCookies.get(COOKIE);
      },
    };
  }

  /** Signs `userId` in; resolves the browser's cookie value. */
  async function signIn(userId: string): Promise<string> {
    const login = await begin(undefined);
    await login.session.authenticate(userId);
    return cookieValue(await login.commit());
  }

  return { clock, memory, manager, events, begin, signIn };
}

/** The cookie value a Set-Cookie line gives the browser (`undefined` for a clearing line). */
function cookieValue(setCookie: string | undefined): string {
  if (setCookie === undefined || /Max-Age=0/.test(setCookie)) throw new Error('no live session cookie');
  return setCookie.slice(COOKIE.length + 1, setCookie.indexOf(';'));
}

function isClearing(setCookie: string | undefined): boolean {
  return setCookie !== undefined && /Max-Age=0/.test(setCookie);
}

const ROTATIONS: Array<[string, (session: Session) => Promise<unknown>, string]> = [
  ['rotate()', (session) => session.rotate(), '/'],
  ['reauthenticate()', (session) => session.reauthenticate(), '/'],
  ['authenticate() again', (session) => session.authenticate('alice'), '/'],
  ['entering a privileged area', async () => undefined, '/admin'],
];

describe.each<StoreKind>(['in-process store', 'promise-only store'])('attacks on the %s', (kind) => {
  const policy: PolicyInput = { config: { privileged: { paths: ['/admin'], reauthAfter: 600 } } };

  describe('high: revocation and logout lose to a concurrent rotation', () => {
    it.each(ROTATIONS)(
      'revokeUser() while a request is rotating by %s: the user stays signed out',
      async (_, rotate, path) => {
        const t = setup(kind, policy);
        const cookie = await t.signIn('alice');
        const rotating = await t.begin(cookie, path);
        await rotate(rotating.session);
        // Another request (an administrator) revokes the user while the first one runs.
        expect(await t.manager.revokeUser('alice')).toBe(1);
        const setCookie = await rotating.commit();
        expect(await t.memory.listByUser('alice')).toEqual([]);
        expect(t.memory.stats().sessions).toBe(0);
        expect(isClearing(setCookie)).toBe(true);
        expect(rotating.context.id).toBeNull();
        // The old cookie is dead too.
        const next = await t.begin(cookie);
        expect(next.session.meta.userId).toBeNull();
      },
    );

    it('a logout (destroy) from another request while one is rotating: the session stays ended', async () => {
      const t = setup(kind, policy);
      const cookie = await t.signIn('alice');
      const rotating = await t.begin(cookie, '/admin');
      const logout = await t.begin(cookie);
      await logout.session.destroy();
      await logout.commit();
      const setCookie = await rotating.commit();
      expect(isClearing(setCookie)).toBe(true);
      expect(t.memory.stats().sessions).toBe(0);
      expect(t.events.some((event) => event.type === 'rotated' && event.userId === 'alice')).toBe(false);
    });

    it('revokeOtherSessions() while another session of the user is rotating ends that one too', async () => {
      const t = setup(kind, policy);
      const phone = await t.signIn('alice');
      const laptop = await t.signIn('alice');
      const rotating = await t.begin(phone);
      await rotating.session.rotate();
      const revoking = await t.begin(laptop);
      expect(await revoking.session.revokeOtherSessions()).toBe(1);
      await revoking.commit();
      expect(isClearing(await rotating.commit())).toBe(true);
      const left = await t.memory.listByUser('alice');
      expect(left).toHaveLength(1);
    });

    it('revokeUser() ends a rotation that completes between its listing and its destroy', async () => {
      const clock = createFakeClock();
      const memory = new MemoryStore({ clock });
      let rotateBeforeDestroy: (() => Promise<unknown>) | null = null;
      const store = promiseOnly(memory, {
        destroy: async (key) => {
          // The rotation lands after revokeUser listed the old key and before it destroys it.
          const pending = rotateBeforeDestroy;
          rotateBeforeDestroy = null;
          if (pending) await pending();
          await memory.destroy(key);
        },
      });
      const manager = new SessionManager({ secrets: SECRET, store, clock, crypto: nodeCrypto });
      const view = (): RequestView => ({
        method: 'GET',
        path: '/',
        encrypted: false,
        headers: { get: (name) => (name === 'host' ? 'localhost:3000' : undefined) },
      });
      const jarFor = (cookie: string | undefined, out: Map<string, string>): CookieJar => ({
        get: (name) => (name === COOKIE ? cookie : undefined),
        setCookie: (name, line) => out.set(name, line),
        setHeader: () => undefined,
      });
      const first = new Map<string, string>();
      const login = await manager.begin(view(), jarFor(undefined, first));
      await login.session.authenticate('alice');
      await login.commit();
      const cookie = cookieValue(first.get(COOKIE));
      const second = new Map<string, string>();
      const rotating = await manager.begin(view(), jarFor(cookie, second));
      await rotating.session.rotate();
      rotateBeforeDestroy = () => rotating.commit();
      await manager.revokeUser('alice');
      // The rotation won its race with the first destroy; the second listing found its new record.
      expect(second.get(COOKIE)).toMatch(/^__Host-spartan=[^;]+;/);
      expect(await memory.listByUser('alice')).toEqual([]);
    });
  });

  describe('medium: two parallel rotations of one session', () => {
    it.each(ROTATIONS)(
      'two parallel requests rotating by %s: at most one id lives, and logout ends it',
      async (_, rotate, path) => {
        const t = setup(kind, policy);
        const cookie = await t.signIn('alice');
        const a = await t.begin(cookie, path);
        const b = await t.begin(cookie, path);
        await rotate(a.session);
        await rotate(b.session);
        const [lineA, lineB] = await Promise.all([a.commit(), b.commit()]);
        const live = [lineA, lineB].filter((line) => line !== undefined && !isClearing(line));
        expect(live).toHaveLength(1);
        expect(await t.memory.listByUser('alice')).toHaveLength(1);
        // Logging out with the surviving cookie leaves nothing behind.
        const logout = await t.begin(cookieValue(live[0]));
        await logout.session.destroy();
        await logout.commit();
        expect(t.memory.stats().sessions).toBe(0);
      },
    );

    it('a rotation racing a data write of the same session rebases onto it instead of failing', async () => {
      const t = setup(kind, policy);
      const cookie = await t.signIn('alice');
      const writer = await t.begin(cookie);
      const rotating = await t.begin(cookie);
      writer.session.cart = 3;
      await writer.commit();
      rotating.session.theme = 'dark';
      await rotating.session.rotate();
      const next = await t.begin(cookieValue(await rotating.commit()));
      expect(next.session.cart).toBe(3);
      expect(next.session.theme).toBe('dark');
      expect(await t.memory.listByUser('alice')).toHaveLength(1);
    });
  });

  describe('medium: a store failure after login still sent a signed-in cookie', () => {
    it('listByUser failing during maxSessions enforcement: 503, no live cookie, the limit holds', async () => {
      let failListing = false;
      const t = setup(kind);
      const memory = t.memory;
      const failing = new SessionManager({
        policy: parsePolicy({ config: { users: { maxSessions: 2 } } }),
        secrets: SECRET,
        clock: t.clock,
        crypto: nodeCrypto,
        store: promiseOnly(memory, {
          listByUser: (userId) =>
            failListing ? Promise.reject(new Error('connection lost')) : memory.listByUser(userId),
        }),
      });
      const lines: Array<string | undefined> = [];
      for (let login = 0; login < 3; login++) {
        failListing = login === 2;
        const out = new Map<string, string>();
        const context = await failing.begin(
          {
            method: 'POST',
            path: '/login',
            encrypted: false,
            headers: { get: (name) => (name === 'host' ? 'localhost:3000' : undefined) },
          },
          { get: () => undefined, setCookie: (name, line) => out.set(name, line), setHeader: () => undefined },
        );
        await context.session.authenticate('alice');
        const error: unknown = await context.commit().then(
          () => null,
          (rejection: unknown) => rejection,
        );
        expect(error === null).toBe(login < 2);
        if (login === 2) expect(error).toMatchObject({ code: 'sessions/store-unavailable' });
        lines.push(out.get(COOKIE));
      }
      expect(cookieValue(lines[0])).toBeTruthy();
      expect(cookieValue(lines[1])).toBeTruthy();
      // The failed login's response promises nothing.
      expect(lines[2] === undefined || isClearing(lines[2])).toBe(true);
      expect(await memory.listByUser('alice')).toHaveLength(2);
    });
  });

  describe('low: the CSRF secret of the anonymous visitor does not survive authentication', () => {
    it('a synchronizer token issued before authenticate() is refused after it; a new one is accepted', async () => {
      const t = setup(kind);
      const guard = createCsrfGuard({
        policy: parsePolicy({}),
        secrets: SECRET,
        mode: 'synchronizer',
        crypto: nodeCrypto,
      });
      const visit = await t.begin(undefined);
      const oldToken = await guard.issueToken({ view: visit.view, jar: visit.jar, session: visit.context });
      const cookie = cookieValue(await visit.commit());
      const login = await t.begin(cookie);
      await login.session.authenticate('alice');
      const signedIn = cookieValue(await login.commit());
      const post = async (token: string) => {
        const request = await t.begin(signedIn);
        const view: RequestView = {
          ...request.view,
          method: 'POST',
          headers: { get: (name) => (name === 'x-csrf-token' ? token : request.view.headers.get(name)) },
        };
        return guard.verify({ view, jar: request.jar, session: request.context }).then(
          () => 'passed',
          (error: unknown) => (isSpartanError(error, 'sessions/csrf-invalid') ? 'refused' : error),
        );
      };
      expect(await post(oldToken)).toBe('refused');
      const page = await t.begin(signedIn);
      const newToken = await guard.issueToken({ view: page.view, jar: page.jar, session: page.context });
      await page.commit();
      expect(await post(newToken)).toBe('passed');
    });
  });

  describe('low: session data cannot change the session object’s prototype', () => {
    it('Object.assign with a parsed "__proto__" key neither grants a property nor loses the verbs', async () => {
      const t = setup(kind);
      const request = await t.begin(undefined);
      Object.assign(request.session, JSON.parse('{"__proto__":{"isAdmin":true},"theme":"dark"}'));
      expect(request.session.isAdmin).toBeUndefined();
      expect(Object.getPrototypeOf(request.session)).toBe(Session.prototype);
      expect(typeof request.session.save).toBe('function');
      const cookie = cookieValue(await request.commit());
      const next = await t.begin(cookie);
      expect(next.session.isAdmin).toBeUndefined();
      expect(next.session.theme).toBe('dark');
      expect(Object.keys(next.session)).toEqual(['theme']);
    });

    it('assignments to constructor and prototype are not data and change nothing', async () => {
      const t = setup(kind);
      const request = await t.begin(undefined);
      const session = request.session as unknown as Record<string, unknown>;
      Object.assign(session, { constructor: { evil: true }, prototype: { evil: true } });
      session.kept = 1;
      expect(request.session.constructor).toBe(Session);
      expect(session.prototype).toBeUndefined();
      const next = await t.begin(cookieValue(await request.commit()));
      expect(Object.keys(next.session)).toEqual(['kept']);
    });
  });

  describe('low: data that cannot be stored', () => {
    it.each([
      ['a BigInt', () => ({ balance: 10n })],
      [
        'a circular reference',
        () => {
          const secretField: Record<string, unknown> = {};
          secretField.self = secretField;
          return { secretField };
        },
      ],
    ])('%s is a SpartanError with a safe message, and nothing is stored', async (_, data) => {
      const t = setup(kind);
      const request = await t.begin(undefined);
      Object.assign(request.session, data());
      const error: unknown = await request.commit().then(
        () => null,
        (rejection: unknown) => rejection,
      );
      expect(error).toBeInstanceOf(SpartanError);
      expect((error as SpartanError).code).toBe('sessions/option-type-incorrect');
      expect((error as SpartanError).message).not.toMatch(/secretField|balance|self/);
      expect(request.setCookie()).toBeUndefined();
      expect(t.memory.stats().sessions).toBe(0);
    });
  });
});

describe('rotation timing', () => {
  it('a rotation whose new key is taken (an id collision) fails closed at once instead of retrying the same id', async () => {
    let rotations = 0;
    const t = setup(
      'promise-only store',
      {},
      {
        rotate: async () => {
          rotations++;
          return false;
        },
      },
    );
    const cookie = await t.signIn('alice');
    const rotating = await t.begin(cookie);
    await rotating.session.rotate();
    const error: unknown = await rotating.commit().then(
      () => null,
      (rejection: unknown) => rejection,
    );
    expect(error).toMatchObject({ code: 'sessions/store-unavailable', details: { reason: 'id-collision' } });
    expect(rotations).toBe(1);
    expect(await t.memory.listByUser('alice')).toHaveLength(1);
  });

  it('a renewal that finds its session revoked ends without one', async () => {
    const t = setup('in-process store', { config: { duration: { renewal: 60 } } });
    const cookie = await t.signIn('alice');
    t.clock.advance(2 * MINUTE);
    const renewing = await t.begin(cookie);
    await t.manager.revokeUser('alice');
    expect(isClearing(await renewing.commit())).toBe(true);
    expect(t.memory.stats().sessions).toBe(0);
  });
});
