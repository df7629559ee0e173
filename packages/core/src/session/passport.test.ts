import { describe, expect, it } from 'vitest';
import { isSpartanError } from '../errors/errors.js';
import { nodeCrypto } from '../node/index.js';
import { parsePolicy } from '../policy/policy.js';
import type { CookieJar, RequestView, SessionEvent } from '../ports.js';
import { MemoryStore } from '../store/memory-store.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { defaultPassportUserId, type PassportOptions, SessionManager } from './manager.js';
import type { Session } from './session.js';

// What Passport 0.6+ does at login (SessionManager.logIn): regenerate, then store the
// serialized user under session.passport.user, then save. At logout: delete passport.user,
// save, regenerate.
const SECRET = 'passport-test-secret-with-32-plus-characters!';

function request(cookie?: string): { view: RequestView; jar: CookieJar; out: Map<string, string> } {
  const out = new Map<string, string>();
  const view: RequestView = {
    method: 'POST',
    path: '/login',
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

function setup(passport?: PassportOptions | false, maxSessions = 0) {
  const clock = createFakeClock();
  const events: SessionEvent[] = [];
  const manager = new SessionManager({
    secrets: SECRET,
    clock,
    crypto: nodeCrypto,
    store: new MemoryStore({ clock }),
    policy: parsePolicy({ config: { users: { maxSessions } } }),
    onEvent: (event) => events.push(event),
    ...(passport !== undefined && { passport }),
  });
  /** One request whose handler gets the current session object through `session()`. */
  async function visit(cookie: string | undefined, handle: (session: () => Session) => Promise<void> | void) {
    const { view, jar, out } = request(cookie);
    const context = await manager.begin(view, jar);
    await handle(() => context.session);
    await context.commit();
    const line = out.get('__Host-spartan');
    return line === undefined ? cookie : /^__Host-spartan=([^;]*)/.exec(line)?.[1];
  }
  async function passportLogin(cookie: string | undefined, user: unknown, save = true) {
    return visit(cookie, async (session) => {
      await session().regenerate();
      session().passport = { user };
      if (save) await session().save();
    });
  }
  return { manager, events, visit, passportLogin };
}

describe('Passport logins authenticate the session (passport option)', () => {
  it('a login (regenerate + passport.user + save) authenticates as that user: meta, listUserSessions, revokeUser', async () => {
    const { manager, visit, passportLogin, events } = setup();
    const cookie = await passportLogin(undefined, 'u-1');
    await visit(cookie, async (session) => {
      expect(session().meta.userId).toBe('u-1');
      expect(session().meta.authenticatedAt).not.toBeNull();
      expect(await session().listUserSessions()).toHaveLength(1);
    });
    // The audit trail names the user from the login on.
    expect(events.find((event) => event.type === 'created')?.userId).toBe('u-1');
    expect(await manager.revokeUser('u-1')).toBe(1);
    await visit(cookie, (session) => {
      expect(session().meta.userId).toBeNull();
      expect(session().passport).toBeUndefined();
    });
  });

  it('also when the response ends without save() (@fastify/passport lets onSend store it)', async () => {
    const { visit, passportLogin } = setup();
    const cookie = await passportLogin(undefined, 'u-2', false);
    await visit(cookie, (session) => {
      expect(session().meta.userId).toBe('u-2');
    });
  });

  it('maxSessions counts Passport logins', async () => {
    const { visit, passportLogin } = setup(undefined, 2);
    const first = await passportLogin(undefined, 'u-3');
    await passportLogin(undefined, 'u-3');
    await passportLogin(undefined, 'u-3');
    // The oldest of three is evicted.
    await visit(first, (session) => {
      expect(session().meta.userId).toBeNull();
    });
  });

  it('maps serialized users by default: string, number, { id }; other shapes authenticate nobody', async () => {
    expect(defaultPassportUserId('alice')).toBe('alice');
    expect(defaultPassportUserId(42)).toBe('42');
    expect(defaultPassportUserId({ id: 7, name: 'x' })).toBe('7');
    expect(defaultPassportUserId({ id: 'u-9' })).toBe('u-9');
    for (const shape of ['', Number.NaN, { name: 'no id' }, true, [1]]) expect(defaultPassportUserId(shape)).toBeNull();
    const { visit, passportLogin } = setup();
    const cookie = await passportLogin(undefined, { name: 'no id' });
    await visit(cookie, (session) => {
      expect(session().meta.userId).toBeNull();
      expect(session().passport).toEqual({ user: { name: 'no id' } });
    });
  });

  it('@fastify/passport stores the serialized user as session.passport itself: the same login', async () => {
    const { visit } = setup();
    const cookie = await visit(undefined, async (session) => {
      await session().regenerate();
      session().passport = 'u-5';
    });
    await visit(cookie, (session) => {
      expect(session().meta.userId).toBe('u-5');
    });
  });

  it('passport.userId maps the Passport user to an id', async () => {
    const { visit, passportLogin } = setup({ userId: (user) => `account:${(user as { email: string }).email}` });
    const cookie = await passportLogin(undefined, { email: 'a@example.com' });
    await visit(cookie, (session) => {
      expect(session().meta.userId).toBe('account:a@example.com');
    });
  });

  it('passport: false turns it off', async () => {
    const { visit, passportLogin } = setup(false);
    const cookie = await passportLogin(undefined, 'u-1');
    await visit(cookie, (session) => {
      expect(session().meta.userId).toBeNull();
      expect(session().passport).toEqual({ user: 'u-1' });
    });
  });

  it('passport.user written into a live session without regenerate() is not a login', async () => {
    const { visit } = setup();
    const cookie = await visit(undefined, (session) => {
      session().n = 1;
    });
    const after = await visit(cookie, async (session) => {
      session().passport = { user: 'u-1' };
      await session().save();
    });
    await visit(after, (session) => {
      expect(session().meta.userId).toBeNull();
    });
  });

  it('an explicit authenticate() wins over the Passport user', async () => {
    const { visit } = setup();
    const cookie = await visit(undefined, async (session) => {
      await session().regenerate();
      session().passport = { user: 'passport-id' };
      await session().authenticate('app-id');
    });
    await visit(cookie, (session) => {
      expect(session().meta.userId).toBe('app-id');
    });
  });

  it("Passport's logout (delete passport.user, save, regenerate) leaves no user", async () => {
    const { visit, passportLogin } = setup();
    const cookie = await passportLogin(undefined, 'u-1');
    const after = await visit(cookie, async (session) => {
      delete (session().passport as { user?: unknown }).user;
      await session().save();
      await session().regenerate();
    });
    await visit(after, (session) => {
      expect(session().meta.userId).toBeNull();
    });
  });

  it('a bad passport option is sessions/option-type-incorrect', () => {
    for (const passport of [true, 'yes', { userId: 'id' }, null]) {
      let error: unknown;
      try {
        new SessionManager({ secrets: SECRET, passport: passport as never });
      } catch (caught) {
        error = caught;
      }
      expect(isSpartanError(error) && error.code, JSON.stringify(passport)).toBe('sessions/option-type-incorrect');
    }
  });
});
