import { describe, expect, it } from 'vitest';
import { isSpartanError } from '../errors/errors.js';
import { nodeCrypto } from '../node/index.js';
import { parsePolicy } from '../policy/policy.js';
import type { CookieJar, RequestView } from '../ports.js';
import { MemoryStore } from '../store/memory-store.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { SessionManager } from './manager.js';

// One session's cookie lifetime ("remember me"): setCookieLifetime() and express-session's
// req.session.cookie view, always within the policy (a cookie never outlives its session).
const SECRET = 'cookie-lifetime-test-secret-32-characters!!';
const HOUR = 3_600_000;
const TTL_SECONDS = 12 * 3600;

function request(cookie?: string): { view: RequestView; jar: CookieJar; out: Map<string, string> } {
  const out = new Map<string, string>();
  const view: RequestView = {
    method: 'GET',
    path: '/',
    encrypted: false,
    headers: { get: (name) => (name === 'host' ? 'localhost' : undefined) },
  };
  const jar: CookieJar = {
    get: (name) => (name === '__Host-spartan' ? cookie : undefined),
    setCookie: (name, line) => out.set(name, line),
    setHeader: () => undefined,
  };
  return { view, jar, out };
}

function setup() {
  const clock = createFakeClock();
  const manager = new SessionManager({
    secrets: SECRET,
    clock,
    crypto: nodeCrypto,
    store: new MemoryStore({ clock }),
    policy: parsePolicy({ config: { duration: { ttl: TTL_SECONDS, idle: 1800, touchAfter: 0, renewal: 0 } } }),
  });
  const start = clock.now();
  /** One request: runs `handle` on the session, commits, returns the Set-Cookie line (if any). */
  async function visit(
    cookie: string | undefined,
    handle: (session: Awaited<ReturnType<SessionManager['begin']>>['session']) => void | Promise<void>,
  ): Promise<{ line: string | undefined; cookie: string | undefined }> {
    const { view, jar, out } = request(cookie);
    const context = await manager.begin(view, jar);
    await handle(context.session);
    await context.commit();
    const line = out.get('__Host-spartan');
    return { line, cookie: line === undefined ? cookie : /^__Host-spartan=([^;]*)/.exec(line)?.[1] };
  }
  return { clock, manager, start, visit };
}

const expiresOf = (line: string | undefined): number | null => {
  const match = /; Expires=([^;]+)/.exec(line ?? '');
  return match === null ? null : Date.parse(match[1]!);
};

describe('per-session cookie lifetime (remember me)', () => {
  it('by default the cookie expires with the session (createdAt + ttl)', async () => {
    const { start, visit } = setup();
    const { line } = await visit(undefined, (session) => {
      session.n = 1;
      expect(session.cookie.maxAge).toBe(TTL_SECONDS * 1000);
      expect(session.cookie.expires?.getTime()).toBe(start + TTL_SECONDS * 1000);
    });
    expect(expiresOf(line)).toBe(Math.floor((start + TTL_SECONDS * 1000) / 1000) * 1000);
  });

  it("'browser-session': no Expires, kept across requests and rotations, and the server still ends the session", async () => {
    const { clock, visit } = setup();
    const first = await visit(undefined, (session) => {
      session.n = 1;
      session.setCookieLifetime('browser-session');
      expect(session.cookie.maxAge).toBeNull();
      expect(session.cookie.expires).toBeNull();
    });
    expect(first.line).toBeDefined();
    expect(first.line).not.toContain('Expires=');
    // A later rotation (login) issues a cookie that is still a browser-session cookie.
    const login = await visit(first.cookie, async (session) => {
      expect(session.cookie.maxAge).toBeNull();
      await session.authenticate('alice');
    });
    expect(login.line).toBeDefined();
    expect(login.line).not.toContain('Expires=');
    // The session's own limits still hold: past the idle limit it is gone.
    clock.advance(2 * HOUR);
    await visit(login.cookie, (session) => {
      expect(session.meta.userId).toBeNull();
    });
  });

  it('a number of seconds sets Expires from now, capped at the absolute end (never longer than the policy)', async () => {
    const { start, visit } = setup();
    const short = await visit(undefined, (session) => {
      session.n = 1;
      session.setCookieLifetime(3600);
      expect(session.cookie.maxAge).toBe(HOUR);
    });
    expect(expiresOf(short.line)).toBe(start + HOUR);
    const long = await visit(undefined, (session) => {
      session.n = 1;
      session.setCookieLifetime(30 * 24 * 3600);
      expect(session.cookie.maxAge).toBe(TTL_SECONDS * 1000);
    });
    expect(expiresOf(long.line)).toBe(start + TTL_SECONDS * 1000);
  });

  it('changing the lifetime of a stored session issues its cookie again, same session', async () => {
    const { start, visit } = setup();
    const first = await visit(undefined, (session) => {
      session.n = 1;
    });
    const remembered = await visit(first.cookie, (session) => {
      session.setCookieLifetime(2 * 3600);
    });
    expect(expiresOf(remembered.line)).toBe(start + 2 * HOUR);
    const unchanged = await visit(remembered.cookie, (session) => {
      expect(session.n).toBe(1);
      expect(session.cookie.maxAge).toBe(2 * HOUR);
    });
    expect(unchanged.line).toBeUndefined();
    // Back to the policy's lifetime.
    const reset = await visit(remembered.cookie, (session) => {
      session.setCookieLifetime('policy');
    });
    expect(expiresOf(reset.line)).toBe(start + TTL_SECONDS * 1000);
  });

  it("express-session's req.session.cookie.maxAge (ms) and .expires = false work through the same rule", async () => {
    const { start, visit } = setup();
    const remembered = await visit(undefined, (session) => {
      session.n = 1;
      session.cookie.maxAge = 3 * HOUR;
    });
    expect(expiresOf(remembered.line)).toBe(start + 3 * HOUR);
    const browser = await visit(undefined, (session) => {
      session.n = 1;
      session.cookie.expires = false;
    });
    expect(browser.line).not.toContain('Expires=');
    const nulled = await visit(undefined, (session) => {
      session.n = 1;
      session.cookie.maxAge = null;
    });
    expect(nulled.line).not.toContain('Expires=');
  });

  it('regenerate() starts over with the policy lifetime; the cookie is neither data nor assignable', async () => {
    const { manager, start, visit } = setup();
    await visit(undefined, async (session) => {
      session.n = 1;
      session.setCookieLifetime('browser-session');
      expect(Object.keys(session)).toEqual(['n']);
      expect(JSON.parse(JSON.stringify(session))).toEqual({ n: 1 });
      (session as { cookie: unknown }).cookie = { maxAge: 1 };
      expect(session.cookie.maxAge).toBeNull();
    });
    // regenerate() gives the request a new session object (express-session semantics).
    const { view, jar, out } = request();
    const context = await manager.begin(view, jar);
    context.session.setCookieLifetime('browser-session');
    await context.session.regenerate();
    context.session.n = 2;
    expect(context.session.cookie.maxAge).toBe(TTL_SECONDS * 1000);
    await context.commit();
    expect(expiresOf(out.get('__Host-spartan'))).toBe(start + TTL_SECONDS * 1000);
  });

  it('session.cookie.expires = a Date sets the lifetime up to that instant; the view serializes as JSON', async () => {
    const { start, visit } = setup();
    const { line } = await visit(undefined, (session) => {
      session.n = 1;
      session.cookie.expires = new Date(start + 5 * HOUR);
      expect(JSON.parse(JSON.stringify(session.cookie))).toEqual({
        maxAge: 5 * HOUR,
        expires: new Date(start + 5 * HOUR).toISOString(),
      });
      let error: unknown;
      try {
        session.cookie.expires = new Date(Number.NaN);
      } catch (caught) {
        error = caught;
      }
      expect(isSpartanError(error) && error.code).toBe('sessions/option-type-incorrect');
    });
    expect(expiresOf(line)).toBe(start + 5 * HOUR);
  });

  it('a cookie lifetime alone does not make a session (sessions stay lazy)', async () => {
    const { visit } = setup();
    const { line } = await visit(undefined, (session) => {
      session.setCookieLifetime('browser-session');
    });
    expect(line).toBeUndefined();
  });

  it('a lifetime that is not a finite number is sessions/option-type-incorrect', async () => {
    const { visit } = setup();
    await visit(undefined, (session) => {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '3600' as unknown as number]) {
        let error: unknown;
        try {
          session.setCookieLifetime(bad);
        } catch (caught) {
          error = caught;
        }
        expect(isSpartanError(error) && error.code).toBe('sessions/option-type-incorrect');
      }
    });
  });
});
