import { describe, expect, it } from 'vitest';
import { parseCookieHeader } from '../cookie/serialize.js';
import { createWebCrypto, type SessionCrypto } from '../crypto/crypto.js';
import { nodeCrypto } from '../node/index.js';
import type {
  CookieJar,
  RequestView,
  SessionStore,
  StoredSession,
  StoreRotateOptions,
  StoreSetOptions,
  UserSessionEntry,
} from '../ports.js';
import { MemoryStore } from '../store/memory-store.js';
import { SessionContext } from './context.js';
import { SessionManager } from './manager.js';

const SECRET = 'sync-path-test-secret-with-32-plus-characters';
const COOKIE = '__Host-spartan';

/** An in-process store with the synchronous twins, counting calls; can be told to fail. */
class SyncStore implements SessionStore {
  readonly records = new Map<string, StoredSession>();
  calls = { getSync: 0, setSync: 0, rotateSync: 0, destroySync: 0, async: 0 };
  failWith: Error | null = null;

  getSync(key: string): StoredSession | null {
    this.calls.getSync++;
    if (this.failWith) throw this.failWith;
    const record = this.records.get(key);
    return record === undefined ? null : structuredClone(record);
  }
  setSync(key: string, record: StoredSession, opts: StoreSetOptions): boolean {
    this.calls.setSync++;
    if (this.failWith) throw this.failWith;
    const current = this.records.get(key);
    const matches = opts.expectedVersion === null ? current === undefined : current?.version === opts.expectedVersion;
    if (!matches) return false;
    this.records.set(key, structuredClone(record));
    return true;
  }
  rotateSync(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions): boolean {
    this.calls.rotateSync++;
    if (this.failWith) throw this.failWith;
    if (this.records.get(oldKey)?.version !== opts.expectedVersion || this.records.has(newKey)) return false;
    this.records.delete(oldKey);
    this.records.set(newKey, structuredClone(record));
    return true;
  }
  destroySync(key: string): void {
    this.calls.destroySync++;
    if (this.failWith) throw this.failWith;
    this.records.delete(key);
  }
  async get(key: string) {
    this.calls.async++;
    return this.getSync(key);
  }
  async set(key: string, record: StoredSession, opts: StoreSetOptions) {
    this.calls.async++;
    return this.setSync(key, record, opts);
  }
  async rotate(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions) {
    this.calls.async++;
    return this.rotateSync(oldKey, newKey, record, opts);
  }
  async destroy(key: string) {
    this.calls.async++;
    this.destroySync(key);
  }
  async listByUser(userId: string): Promise<UserSessionEntry[]> {
    this.calls.async++;
    return [...this.records].filter(([, record]) => record.userId === userId).map(([key, record]) => ({ key, record }));
  }
}

/** The same store seen only through its promise methods. */
function asyncOnly(inner: SyncStore): SessionStore {
  return {
    get: (key) => inner.get(key),
    set: (key, record, opts) => inner.set(key, record, opts),
    rotate: (oldKey, newKey, record, opts) => inner.rotate(oldKey, newKey, record, opts),
    destroy: (key) => inner.destroy(key),
    listByUser: (userId) => inner.listByUser(userId),
  };
}

function exchange(cookie: string | undefined) {
  const headers = new Map<string, string>([['host', 'localhost:3000']]);
  if (cookie !== undefined) headers.set('cookie', `${COOKIE}=${cookie}`);
  const view: RequestView = {
    method: 'GET',
    path: '/',
    encrypted: false,
    headers: { get: (name) => headers.get(name) },
  };
  const cookies = parseCookieHeader(headers.get('cookie'));
  const set = new Map<string, string>();
  const jar: CookieJar = {
    get: (name) => cookies.get(name),
    setCookie: (name, serialized) => set.set(name, serialized),
    setHeader: () => undefined,
  };
  const cookieSet = () => {
    const line = set.get(COOKIE);
    return line === undefined ? undefined : line.slice(COOKIE.length + 1, line.indexOf(';'));
  };
  return { view, jar, cookieSet };
}

function managerOver(store: SessionStore, crypto: SessionCrypto = nodeCrypto, policy: unknown = {}) {
  return new SessionManager({ secrets: SECRET, store, crypto, policy });
}

/** Creates a session holding `{ n: 1 }` and returns its cookie value. */
function signIn(manager: SessionManager): string {
  const { view, jar, cookieSet } = exchange(undefined);
  const context = manager.beginNow(view, jar) as SessionContext;
  context.session.n = 1;
  expect(context.commitNow()).toBeUndefined();
  return cookieSet()!;
}

describe('the synchronous path (in-process store, node:crypto)', () => {
  it('loads and commits a new visitor without a promise', () => {
    const store = new SyncStore();
    const manager = managerOver(store);
    const { view, jar, cookieSet } = exchange(undefined);
    const context = manager.beginNow(view, jar);
    expect(context).toBeInstanceOf(SessionContext);
    (context as SessionContext).session.visits = 1;
    expect((context as SessionContext).commitNow()).toBeUndefined();
    expect(cookieSet()).toMatch(/^[\w-]{43}\.[0-9a-z]+[ti]\.[\w-]{43}$/);
    expect(store.records.size).toBe(1);
    expect(store.calls.async).toBe(0);
  });

  it('serves a returning visitor with one synchronous read and one synchronous write', () => {
    const store = new SyncStore();
    const manager = managerOver(store);
    const cookie = signIn(manager);
    store.calls = { getSync: 0, setSync: 0, rotateSync: 0, destroySync: 0, async: 0 };
    const { view, jar } = exchange(cookie);
    const context = manager.beginNow(view, jar) as SessionContext;
    expect(context).toBeInstanceOf(SessionContext);
    expect(context.session.n).toBe(1);
    context.session.n = 2;
    expect(context.commitNow()).toBeUndefined();
    expect(store.calls).toEqual({ getSync: 1, setSync: 1, rotateSync: 0, destroySync: 0, async: 0 });
    expect([...store.records.values()][0]!.data).toEqual({ n: 2 });
  });

  it('verifies a cookie it has not seen before synchronously with node:crypto, and refuses a forged one', () => {
    const store = new SyncStore();
    const cookie = signIn(managerOver(store));
    // A second process: an empty verification cache.
    const other = managerOver(store);
    const loaded = other.beginNow(exchange(cookie).view, exchange(cookie).jar) as SessionContext;
    expect(loaded.session.n).toBe(1);
    const forged = `${cookie.slice(0, 44)}${cookie[44] === 'A' ? 'B' : 'A'}${cookie.slice(45)}`;
    const refused = other.beginNow(exchange(forged).view, exchange(forged).jar) as SessionContext;
    expect(refused).toBeInstanceOf(SessionContext);
    expect(refused.session.n).toBeUndefined();
  });

  it('goes asynchronous where a step must wait: WebCrypto, a store without synchronous twins', async () => {
    const store = new SyncStore();
    const cookie = signIn(managerOver(store));
    const web = managerOver(store, createWebCrypto());
    const viaWebCrypto = web.beginNow(exchange(cookie).view, exchange(cookie).jar);
    expect(viaWebCrypto).toBeInstanceOf(Promise);
    expect((await viaWebCrypto).session.n).toBe(1);

    const asyncStore = managerOver(asyncOnly(store));
    const viaPromises = asyncStore.beginNow(exchange(cookie).view, exchange(cookie).jar);
    expect(viaPromises).toBeInstanceOf(Promise);
    const context = await viaPromises;
    context.session.n = 5;
    const committing = context.commitNow();
    expect(committing).toBeInstanceOf(Promise);
    // A second commit while the first runs joins it.
    expect(context.commitNow()).toBe(committing);
    await committing;
    expect([...store.records.values()][0]!.data).toEqual({ n: 5 });
  });

  it('turns a synchronous store failure into store-unavailable: thrown by beginNow/commitNow, rejected by begin/commit', async () => {
    const store = new SyncStore();
    const manager = managerOver(store);
    const cookie = signIn(manager);
    const loaded = manager.beginNow(exchange(cookie).view, exchange(cookie).jar) as SessionContext;
    loaded.session.n = 3;
    store.failWith = new Error('disk on fire');
    const unavailable = expect.objectContaining({
      code: 'sessions/store-unavailable',
      details: expect.objectContaining({ operation: 'set', reason: 'store-error' }),
    });
    expect(() => loaded.commitNow()).toThrowError(unavailable);
    await expect(loaded.commit()).rejects.toThrowError(unavailable);
    expect(() => manager.beginNow(exchange(cookie).view, exchange(cookie).jar)).toThrowError(
      expect.objectContaining({
        code: 'sessions/store-unavailable',
        details: expect.objectContaining({ operation: 'get' }),
      }),
    );
    await expect(manager.begin(exchange(cookie).view, exchange(cookie).jar)).rejects.toThrowError(
      expect.objectContaining({ code: 'sessions/store-unavailable' }),
    );
  });

  it('a lost compare-and-set is retried at once (re-read, rebase, write in the same tick) and keeps both requests’ writes', () => {
    const store = new SyncStore();
    const manager = managerOver(store);
    const cookie = signIn(manager);
    const first = manager.beginNow(exchange(cookie).view, exchange(cookie).jar) as SessionContext;
    const second = manager.beginNow(exchange(cookie).view, exchange(cookie).jar) as SessionContext;
    first.session.a = 'from first';
    second.session.b = 'from second';
    expect(first.commitNow()).toBeUndefined();
    const before = { ...store.calls };
    // Nothing can come between the re-read and the write on an in-process store: no backoff,
    // no promise, one lost write, one re-read, one winning write.
    expect(second.commitNow()).toBeUndefined();
    expect(store.calls.getSync - before.getSync).toBe(1);
    expect(store.calls.setSync - before.setSync).toBe(2);
    expect(store.calls.async).toBe(before.async);
    expect([...store.records.values()][0]!.data).toEqual({ n: 1, a: 'from first', b: 'from second' });
  });

  it('authenticates (rotation) synchronously, and through the user index when maxSessions asks for it', async () => {
    const store = new SyncStore();
    const manager = managerOver(store);
    const cookie = signIn(manager);
    const context = manager.beginNow(exchange(cookie).view, exchange(cookie).jar) as SessionContext;
    await context.authenticate('ada');
    expect(context.commitNow()).toBeUndefined();
    expect(store.records.size).toBe(1);
    expect([...store.records.values()][0]!.userId).toBe('ada');

    const limited = managerOver(store, nodeCrypto, { config: { users: { maxSessions: 1 } } });
    const next = limited.beginNow(exchange(undefined).view, exchange(undefined).jar) as SessionContext;
    await next.authenticate('ada');
    const committing = next.commitNow();
    expect(committing).toBeInstanceOf(Promise);
    await committing;
    // The older session of ada was evicted; only the one that just authenticated is left.
    expect([...store.records.values()].filter((record) => record.userId === 'ada')).toHaveLength(1);
  });
});

describe('which stores take the synchronous path', () => {
  it('MemoryStore does; a subclass that overrides a promise method (not its twin) is called through it', async () => {
    class Flaky extends MemoryStore {
      down = false;
      override async get(key: string) {
        if (this.down) throw new Error('connection refused');
        return super.get(key);
      }
    }
    const plain = managerOver(new MemoryStore());
    expect(plain.beginNow(exchange(undefined).view, exchange(undefined).jar)).toBeInstanceOf(SessionContext);
    const flaky = new Flaky();
    const manager = managerOver(flaky);
    const first = exchange(undefined);
    const created = await manager.begin(first.view, first.jar);
    created.session.n = 1;
    const committing = created.commitNow();
    expect(committing).toBeInstanceOf(Promise);
    await committing;
    const cookie = first.cookieSet()!;
    const loading = manager.beginNow(exchange(cookie).view, exchange(cookie).jar);
    expect(loading).toBeInstanceOf(Promise);
    expect((await loading).session.n).toBe(1);
    flaky.down = true;
    await expect(manager.begin(exchange(cookie).view, exchange(cookie).jar)).rejects.toMatchObject({
      code: 'sessions/store-unavailable',
    });
  });

  it('a subclass that overrides both a promise method and its twin keeps the synchronous path', () => {
    const seen: string[] = [];
    class Logged extends MemoryStore {
      override async get(key: string) {
        return this.getSync(key);
      }
      override getSync(key: string) {
        seen.push('getSync');
        return super.getSync(key);
      }
    }
    const manager = managerOver(new Logged());
    const cookie = signIn(manager);
    expect(manager.beginNow(exchange(cookie).view, exchange(cookie).jar)).toBeInstanceOf(SessionContext);
    expect(seen).toEqual(['getSync']);
  });
});
