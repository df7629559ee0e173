import formbody from '@fastify/formbody';
import { Authenticator } from '@fastify/passport';
import Fastify, { type FastifyInstance } from 'fastify';
import { Strategy as LocalStrategy } from 'passport-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spartan } from '../src/index.js';
import { Client, linesOf, SECRET, SESSION_COOKIE } from './support/client.js';

interface User {
  id: string;
  name: string;
}

const USERS: Record<string, User & { password: string }> = {
  alice: { id: 'u-1', name: 'alice', password: 'correct horse' },
};

describe('@fastify/passport 4 with a local strategy on the sessioner', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    const { sessions } = spartan({ secrets: SECRET });
    const passport = new Authenticator();
    passport.use(
      'local',
      new LocalStrategy((username, password, done) => {
        const user = USERS[username];
        if (user === undefined || user.password !== password) return done(null, false);
        return done(null, { id: user.id, name: user.name });
      }),
    );
    passport.registerUserSerializer(async (user: User) => user.id);
    passport.registerUserDeserializer(async (id: string) => {
      const user = Object.values(USERS).find((candidate) => candidate.id === id);
      return user === undefined ? null : { id: user.id, name: user.name };
    });

    app = Fastify();
    await app.register(formbody);
    await app.register(sessions.sessioner);
    await app.register(passport.initialize());
    await app.register(passport.secureSession());
    app.get('/visit', async (request) => {
      request.session.visited = true;
      return { id: request.session.id };
    });
    app.post(
      '/login',
      { preValidation: passport.authenticate('local', { successRedirect: '/me', failureRedirect: '/login' }) },
      async () => 'unreachable',
    );
    app.get('/me', async (request) => ({
      user: request.user ?? null,
      visited: request.session.visited ?? null,
      // The Passport login authenticated the session as the serialized user (core's passport option).
      userId: request.session.meta.userId,
    }));
    app.post('/logout', async (request, reply) => {
      await request.logout();
      return reply.redirect('/');
    });
    await app.ready();
  });

  afterAll(() => app.close());

  it('logs in with a redirect, and the next request sees request.user', async () => {
    const client = new Client(app);
    const login = await client.post('/login', { username: 'alice', password: 'correct horse' });
    expect(login.statusCode).toBe(302);
    expect(login.headers.location).toBe('/me');
    expect(linesOf(login, SESSION_COOKIE)).toHaveLength(1);
    expect((await client.get('/me')).json()).toMatchObject({ user: { id: 'u-1', name: 'alice' }, userId: 'u-1' });
  });

  it('refuses a wrong password with the failure redirect and no user', async () => {
    const client = new Client(app);
    const login = await client.post('/login', { username: 'alice', password: 'wrong' });
    expect(login.headers.location).toBe('/login');
    expect((await client.get('/me')).json().user).toBeNull();
  });

  it('changes the session id at login (regenerate), and the old cookie is worthless', async () => {
    const client = new Client(app);
    const before = (await client.get('/visit')).json<{ id: string }>().id;
    const oldCookie = client.session!;
    await client.post('/login', { username: 'alice', password: 'correct horse' });
    expect(client.session).not.toBe(oldCookie);
    const after = (await client.get('/visit')).json<{ id: string }>().id;
    expect(after).not.toBe(before);
    const stale = new Client(app);
    stale.cookies.set(SESSION_COOKIE, oldCookie);
    expect((await stale.get('/me')).json()).toEqual({ user: null, visited: null, userId: null });
  });

  it('logs out: the user is gone, and the signed-in cookie no longer signs anyone in', async () => {
    const client = new Client(app);
    await client.post('/login', { username: 'alice', password: 'correct horse' });
    const signedIn = client.session!;
    const logout = await client.post('/logout');
    expect(logout.statusCode).toBe(302);
    expect((await client.get('/me')).json().user).toBeNull();
    const stale = new Client(app);
    stale.cookies.set(SESSION_COOKIE, signedIn);
    expect((await stale.get('/me')).json().user).toBeNull();
  });
});
