/**
 * Issue 12 item 4 over HTTP: a flood of anonymous requests that each store a session must not
 * sign anyone out of the in-memory store. A small Express app (the demo itself no longer stores
 * anything for anonymous visitors): `/visit` keeps a counter in a new session, as a cart or a
 * synchronizer-token form would; `/sign-in/:user` signs in; `/me` says who the cookie belongs to.
 */
import { spartan } from '@spartan-sessions/adapter-express';
import { MemoryStore, type SessionEvent } from '@spartan-sessions/core';
import { createFakeClock } from '@spartan-sessions/core/testing';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalhostServer, listenOnLocalhost } from '../src/listen.js';

const COOKIE = '__Host-spartan';
const SECRET = 'a secret for the anonymous flood test, 32+ chars';

function sessionCookie(response: Response): string | undefined {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .find((pair) => pair.startsWith(`${COOKIE}=`) && pair.length > COOKIE.length + 1);
}

async function floodApp(maxSessions: number) {
  const clock = createFakeClock(Date.now());
  const store = new MemoryStore({ maxSessions, clock });
  const events: SessionEvent[] = [];
  const { sessions } = spartan({ secrets: SECRET, store, clock, onEvent: (event) => events.push(event) });
  const app = express();
  app.use(sessions.sessioner);
  app.get('/visit', (req, res) => {
    req.session.visits = (typeof req.session.visits === 'number' ? req.session.visits : 0) + 1;
    res.send('ok');
  });
  app.get('/sign-in/:user', async (req, res) => {
    await req.session.authenticate(String(req.params.user));
    res.send('signed in');
  });
  app.get('/me', (req, res) => {
    res.send(req.session.meta.userId ?? 'anonymous');
  });
  const server = await listenOnLocalhost(app, 0);
  const get = (path: string, cookie?: string) =>
    fetch(`${server.url}${path}`, cookie === undefined ? {} : { headers: { cookie } });
  return { store, events, server, get };
}

describe('an anonymous flood against the in-memory store (issue 12)', () => {
  let server: LocalhostServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('200 anonymous sessions into a store of 50 sign nobody out; each eviction is an audited anonymous one', async () => {
    const flood = await floodApp(50);
    server = flood.server;
    const alice = sessionCookie(await flood.get('/sign-in/alice'));
    expect(alice).toBeDefined();
    for (let index = 0; index < 200; index++) {
      const response = await flood.get('/visit');
      expect(response.status).toBe(200);
      expect(sessionCookie(response)).toBeDefined();
      await response.body?.cancel();
    }
    expect(flood.store.stats()).toEqual({ sessions: 50, users: 1, indexedSessions: 1 });
    expect(await (await flood.get('/me', alice)).text()).toBe('alice');

    const evicted = flood.events.filter((event) => event.reason === 'evicted');
    expect(evicted).toHaveLength(200 - 49);
    expect(evicted.every((event) => event.type === 'destroyed' && event.userId === undefined)).toBe(true);
    expect(JSON.stringify(flood.events)).not.toContain(alice!.slice(COOKIE.length + 1, COOKIE.length + 1 + 43));
  });

  it('when every session held is signed in, a visitor who would store one gets 503, and nobody is signed out', async () => {
    const flood = await floodApp(5);
    server = flood.server;
    const users = ['alice', 'bob', 'carol', 'dave', 'erin'];
    const cookies: string[] = [];
    for (const user of users) cookies.push(sessionCookie(await flood.get(`/sign-in/${user}`))!);
    for (let index = 0; index < 20; index++) {
      const response = await flood.get('/visit');
      expect(response.status).toBe(503);
      expect(sessionCookie(response)).toBeUndefined();
      await response.body?.cancel();
    }
    // Reading needs no room: an anonymous visitor who stores nothing is served.
    expect((await flood.get('/me')).status).toBe(200);
    for (const [index, user] of users.entries()) {
      expect(await (await flood.get('/me', cookies[index])).text()).toBe(user);
    }
    expect(flood.events.filter((event) => event.reason === 'evicted')).toEqual([]);
  });
});
