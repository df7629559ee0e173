import { describe, expect, it } from 'vitest';
import { type SessionCrypto, webCrypto } from '../crypto/crypto.js';
import { isSpartanError, SpartanError } from '../errors/errors.js';
import { nodeCrypto } from '../node/index.js';
import type { RequestView, ResponseHeaders } from '../ports.js';
import { MemoryStore } from '../store/memory-store.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { createSpartanCore, SpartanCore } from './setup.js';

const SECRET = 'adapter-test-secret-with-32-plus-characters';

/** A response's headers as a plain map (what a fetch-API adapter would keep). */
function responseHeaders(setCookie: string[] = []) {
  const headers = new Map<string, string>();
  let lines = [...setCookie];
  let sent = false;
  const response: ResponseHeaders & { headers: Map<string, string>; lines(): string[]; send(): void } = {
    headers,
    lines: () => lines,
    send: () => {
      sent = true;
    },
    getSetCookie: () => lines,
    setSetCookie: (next) => {
      lines = [...next];
    },
    setHeader: (name, value) => headers.set(name.toLowerCase(), value),
    removeHeader: (name) => headers.delete(name.toLowerCase()),
    get headersWritable() {
      return !sent;
    },
  };
  return response;
}

function view(options: { method?: string; path?: string; cookie?: string; headers?: Record<string, string> } = {}) {
  const headers = new Map<string, string>([['host', 'localhost:3000'], ...Object.entries(options.headers ?? {})]);
  if (options.cookie !== undefined) headers.set('cookie', options.cookie);
  const result: RequestView = {
    method: options.method ?? 'GET',
    path: options.path ?? '/',
    encrypted: false,
    headers: { get: (name) => headers.get(name) },
  };
  return result;
}

function core(extra: Record<string, unknown> = {}) {
  const clock = createFakeClock();
  return new SpartanCore({ secrets: SECRET, crypto: nodeCrypto, clock, store: new MemoryStore({ clock }), ...extra });
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isSpartanError(error) ? error.code : `not a SpartanError: ${String(error)}`;
  }
  return undefined;
}

describe('SpartanCore: one setup for every adapter', () => {
  it('validates every option with the spec codes, naming the option', () => {
    expect(codeOf(() => createSpartanCore({ secrets: SECRET }))).toBeUndefined();
    expect(codeOf(() => new SpartanCore({} as never))).toBe('sessions/missing-secret');
    expect(codeOf(() => new SpartanCore({ secrets: 'short' }))).toBe('sessions/weak-secret');
    expect(codeOf(() => new SpartanCore(undefined as never))).toBe('sessions/missing-secret');
    expect(codeOf(() => new SpartanCore({ secrets: SECRET, policy: { config: { name: 7 } } as never }))).toBe(
      'sessions/invalid-policy',
    );
    expect(codeOf(() => new SpartanCore({ secrets: SECRET, policy: { sessionPolicy: { enabled: false } } }))).toBe(
      'sessions/disabled-by-policy',
    );
    const wrong: Array<[string, unknown]> = [
      ['store', { get() {} }],
      ['crypto', { hmacSha256() {} }],
      ['crypto', { ...nodeCrypto, sha256Base64url: 'text' }],
      ['clock', { now: 5 }],
      ['onEvent', 'log'],
      ['storeTimeout', -1],
      ['storeTimeout', 1.5],
      ['maxWriteAttempts', 0],
      ['verifiedCookieCacheSize', -1],
    ];
    for (const [option, value] of wrong) {
      let error: unknown;
      try {
        new SpartanCore({ secrets: SECRET, [option]: value });
      } catch (caught) {
        error = caught;
      }
      expect(error, option).toBeInstanceOf(SpartanError);
      expect((error as SpartanError).code, option).toBe('sessions/option-type-incorrect');
      expect((error as SpartanError).details, option).toEqual({ option });
    }
  });

  it('refuses unknown options instead of silently falling back to a default', () => {
    let error: unknown;
    try {
      new SpartanCore({ secrets: SECRET, stor: new MemoryStore() } as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'sessions/option-type-incorrect', details: { option: 'stor' } });
  });

  it('uses the crypto the user chose for CSRF tokens too', async () => {
    let randomCalls = 0;
    const counting: SessionCrypto = {
      ...nodeCrypto,
      randomBytes(length) {
        randomCalls++;
        return nodeCrypto.randomBytes(length);
      },
    };
    const spartan = core({ crypto: counting });
    const scope = spartan.scope(view(), responseHeaders());
    await scope.startSession();
    await scope.csrf(spartan.csrfGuard({ cookie: false }));
    scope.csrfToken();
    expect(randomCalls).toBeGreaterThan(0);
    expect(webCrypto()).not.toBe(counting);
  });

  it('validates csrf() options and gives one guard per mode', () => {
    const spartan = core();
    expect(codeOf(() => spartan.csrfGuard(undefined))).toBe('sessions/missing-csrf-options');
    expect(codeOf(() => spartan.csrfGuard({ cookie: 'yes' }))).toBe('sessions/option-type-incorrect');
    expect(spartan.csrfGuard({ cookie: true })).toBe(spartan.csrfGuard({ cookie: true }));
    expect(spartan.csrfGuard({ cookie: true })).not.toBe(spartan.csrfGuard({ cookie: false }));
  });
});

describe('RequestScope', () => {
  it('merges Set-Cookie by cookie name: replaces its own earlier line, keeps the application’s', async () => {
    const spartan = core();
    const response = responseHeaders(['theme=dark; Path=/', '__Host-spartan=stale; Path=/']);
    const scope = spartan.scope(view(), response);
    const context = await scope.startSession();
    context!.session.n = 1;
    await scope.beforeSend();
    const lines = response.lines();
    expect(lines.filter((line) => line.startsWith('theme='))).toEqual(['theme=dark; Path=/']);
    expect(lines.filter((line) => line.startsWith('__Host-spartan='))).toHaveLength(1);
    expect(lines.find((line) => line.startsWith('__Host-spartan='))).not.toContain('stale');
    expect(response.headers.get('cache-control')).toBe('no-store');
    await scope.makeCookie({ name: 'theme', value: 'light' });
    await scope.makeCookie({ name: 'theme', value: 'blue' });
    expect(response.lines().filter((line) => line.includes('theme='))).toEqual([
      'theme=dark; Path=/',
      '__Host-theme=blue; Path=/; HttpOnly; Secure; SameSite=Lax',
    ]);
    expect(response.lines().filter((line) => line.startsWith('__Host-spartan='))).toHaveLength(1);
  });

  it('starts the session once: a second sessioner on the same request gets null', () => {
    const scope = core().scope(view(), responseHeaders());
    expect(scope.startSession()).not.toBeNull();
    expect(scope.startSession()).toBeNull();
  });

  it('reports a privileged request with stale authentication as its refusal, and commits nothing for it', async () => {
    const spartan = core({ policy: { config: { privileged: { paths: ['/admin'] } } } });
    const scope = spartan.scope(view({ path: '/admin' }), responseHeaders());
    await scope.startSession();
    expect(scope.refusal).toMatchObject({ code: 'sessions/reauthentication-required', status: 401 });
  });

  it('a CSRF refusal is thrown for the error path and leaves the session untouched', async () => {
    const spartan = core();
    const first = responseHeaders();
    const visit = spartan.scope(view(), first);
    await visit.startSession();
    visit.session!.cart = 1;
    await visit.beforeSend();
    const cookie = first.lines()[0]!.split(';')[0]!;
    const response = responseHeaders();
    const forged = spartan.scope(
      view({ method: 'POST', cookie, headers: { 'sec-fetch-site': 'cross-site' } }),
      response,
    );
    await forged.startSession();
    forged.session!.cart = 99;
    expect(() => forged.csrf(spartan.csrfGuard({ cookie: false }))).toThrowError(
      expect.objectContaining({ code: 'sessions/cross-origin-request' }),
    );
    await forged.beforeSend();
    expect(response.lines()).toEqual([]);
    const next = spartan.scope(view({ cookie }), responseHeaders());
    expect((await next.startSession())!.session.cart).toBe(1);
  });

  it('csrfToken() before csrf() ran is a SpartanError; csrfTokenFunction is undefined until then', () => {
    const scope = core().scope(view(), responseHeaders());
    expect(scope.csrfTokenFunction).toBeUndefined();
    expect(codeOf(() => scope.csrfToken())).toBe('sessions/option-type-incorrect');
  });

  it('failureResponse drops the entity headers, marks no-store and gives the status; null once sent', () => {
    const response = responseHeaders();
    response.setHeader('Content-Type', 'text/html');
    response.setHeader('Location', '/next');
    response.setHeader('X-Request-Id', 'abc');
    const scope = core().scope(view(), response);
    const unavailable = new SpartanError('sessions/store-unavailable');
    expect(scope.failureResponse(unavailable)).toBe(503);
    expect([...response.headers.keys()].sort()).toEqual(['cache-control', 'x-request-id']);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(scope.failureResponse(new Error('boom'))).toBe(500);
    expect(scope.failureResponse(Object.assign(new Error('teapot'), { status: 418 }))).toBe(418);
    response.send();
    expect(scope.failureResponse(unavailable)).toBeNull();
  });

  it('writes nothing once the headers are sent', async () => {
    const response = responseHeaders();
    const scope = core().scope(view(), response);
    response.send();
    scope.setCookie('a', 'a=1');
    scope.setHeader('X-A', '1');
    expect(response.lines()).toEqual([]);
    expect(response.headers.size).toBe(0);
  });

  it('reads request cookies from the Cookie header and tools through the policy', async () => {
    const spartan = core();
    const scope = spartan.scope(view({ cookie: 'plain=1; __Host-theme=dark' }), responseHeaders());
    expect(scope.get('plain')).toBe('1');
    expect(scope.cookieReader().get('theme')).toBe('dark');
    expect(scope.clearCookie({ name: 'theme' }).name).toBe('__Host-theme');
  });
});
