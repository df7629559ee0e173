import { describe, expect, it } from 'vitest';
import { type Browser, isCleared } from './browser.js';
import { get, type KitContext, type RunningApp, type SessionView } from './fixture.js';

async function signIn(app: RunningApp, user: string): Promise<Browser> {
  const browser = app.browser();
  const response = await browser.get(`/login?user=${user}`);
  expect(response.status).toBe(200);
  return browser;
}

const userOf = async (browser: Browser) => (await browser.get('/read')).json<SessionView>().userId;

/** A user's sessions: maxSessions, revokeUser, listUserSessions, revokeOtherSessions (SPEC §3, §6). */
export function describeUsers({ start }: KitContext): void {
  describe("a user's sessions", () => {
    it('users.maxSessions evicts the oldest sessions of a user beyond the limit', async () => {
      const app = await start({ policy: { config: { users: { maxSessions: 2 } } } });
      const first = await signIn(app, 'carol');
      app.clock.advance(1000);
      const second = await signIn(app, 'carol');
      app.clock.advance(1000);
      const third = await signIn(app, 'carol');
      expect(await app.store.inner.listByUser('carol')).toHaveLength(2);
      expect(await userOf(first)).toBeNull();
      expect(await userOf(second)).toBe('carol');
      expect(await userOf(third)).toBe('carol');
    });

    it('a sign-in whose maxSessions enforcement fails answers 503 without a live session cookie, and the limit holds', async () => {
      const app = await start({ policy: { config: { users: { maxSessions: 2 } } } });
      await signIn(app, 'dora');
      await signIn(app, 'dora');
      app.store.failListing = true;
      const third = app.browser();
      const response = await third.get('/login?user=dora');
      app.store.failListing = false;
      expect(response.status).toBe(503);
      expect(third.session).toBeUndefined();
      expect(await app.store.inner.listByUser('dora')).toHaveLength(2);
    });

    it("manager.revokeUser() ends the user's sessions: the next request has none", async () => {
      const app = await start();
      const browser = await signIn(app, 'dave');
      const other = await signIn(app, 'dave');
      const bystander = await signIn(app, 'eve');
      expect(await app.manager.revokeUser('dave')).toBe(2);
      expect(app.events.filter((event) => event.type === 'revoked')).toHaveLength(2);
      for (const each of [browser, other]) {
        const read = (await each.get('/read')).json<SessionView>();
        expect(read).toMatchObject({ data: {}, userId: null });
      }
      expect(await userOf(bystander)).toBe('eve');
    });

    it('a user revoked while one of their requests rotates stays signed out', async () => {
      let reached!: () => void;
      const waiting = new Promise<void>((resolve) => {
        reached = resolve;
      });
      let open!: () => void;
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      const app = await start({
        routes: [
          get('/slow-rotate', async (request) => {
            await request.session.rotate();
            // The request is still running (a slow body, a slow API) when the user is revoked.
            reached();
            await opened;
            return { text: 'rotated' };
          }),
        ],
      });
      const browser = await signIn(app, 'mallory');
      const rotating = browser.get('/slow-rotate');
      await waiting;
      expect(await app.manager.revokeUser('mallory')).toBe(1);
      open();
      const response = await rotating;
      const cookie = response.cookie('__Host-spartan');
      if (cookie !== undefined) expect(isCleared(cookie), cookie.line).toBe(true);
      expect(await app.store.inner.listByUser('mallory')).toEqual([]);
      expect(await userOf(browser)).toBeNull();
    });

    it('listUserSessions() lists the live sessions without ids, marking the current one; revokeOtherSessions() ends the others', async () => {
      const app = await start();
      const laptop = await signIn(app, 'erin');
      const phone = await signIn(app, 'erin');
      await signIn(app, 'frank');
      const listed = await laptop.get('/sessions');
      const sessions = listed.json<Array<Record<string, unknown>>>();
      expect(sessions).toHaveLength(2);
      expect(sessions.filter((session) => session.current === true)).toHaveLength(1);
      for (const session of sessions) {
        expect(Object.keys(session).sort()).toEqual(['createdAt', 'current', 'expiresAt', 'lastSeenAt', 'zone']);
      }
      for (const cookie of [laptop.session!, phone.session!]) {
        expect(listed.body).not.toContain(cookie.slice(0, cookie.indexOf('.')));
      }
      expect((await laptop.get('/revoke-others')).json()).toEqual({ revoked: 1 });
      expect(await userOf(phone)).toBeNull();
      expect(await userOf(laptop)).toBe('erin');
      const after = (await laptop.get('/sessions')).json<Array<Record<string, unknown>>>();
      expect(after).toHaveLength(1);
      expect(after[0]!.current).toBe(true);
      expect(await app.store.inner.listByUser('frank')).toHaveLength(1);
    });
  });
}
