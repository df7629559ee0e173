import { type CookieJar, type Session, SessionManager, type SessionStore } from '@spartan-sessions/core';
import { parseCookieHeader } from '@spartan-sessions/core/adapter';
import { nodeCrypto } from '@spartan-sessions/core/node';

const SECRET = 'store-redis-test-secret-with-32-plus-characters';

/**
 * Core's `SessionManager` over a store, driven like an adapter drives it: each `request` builds
 * a request view and a cookie jar, loads the session, runs the handler and commits. The
 * "browser" keeps the session cookie between requests.
 */
export function sessionApp(store: SessionStore) {
  const manager = new SessionManager({ secrets: SECRET, store, crypto: nodeCrypto });
  const cookieName = manager.cookieName;
  let cookie: string | undefined;

  /** One request; resolves the session's `Set-Cookie` line of the response, if there was one. */
  async function request(handler: (session: Session) => unknown = () => {}): Promise<string | undefined> {
    const headers = new Map([['host', 'localhost:3000']]);
    if (cookie !== undefined) headers.set('cookie', `${cookieName}=${cookie}`);
    const cookies = parseCookieHeader(headers.get('cookie'));
    const set = new Map<string, string>();
    const jar: CookieJar = {
      get: (name) => cookies.get(name),
      setCookie: (name, serialized) => set.set(name, serialized),
      setHeader: () => {},
    };
    const context = await manager.begin(
      { method: 'POST', path: '/', encrypted: false, headers: { get: (name) => headers.get(name) } },
      jar,
    );
    await handler(context.session);
    await context.commit();
    const line = set.get(cookieName);
    if (line !== undefined) {
      cookie = /Max-Age=0/i.test(line) ? undefined : line.slice(cookieName.length + 1, line.indexOf(';'));
    }
    return line;
  }

  return {
    manager,
    request,
    get cookie() {
      return cookie;
    },
  };
}
