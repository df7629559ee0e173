import { afterEach } from 'vitest';
import type { PolicyInput } from '../../policy/policy.js';
import type { SessionEvent } from '../../ports.js';
import type { SessionManager } from '../../session/manager.js';
import { createFakeClock, type FakeClock } from '../fake-clock.js';
import { Browser } from './browser.js';
import type { ProbeStore, StoreKind } from './store.js';
import type { AdapterHarness, KitApp, KitReply, KitRequest, KitRoute, KitServer } from './types.js';

/** The secret of every kit app (never a real one). */
export const KIT_SECRET = 'adapter-conformance-kit-secret-0123456789';

/** What a kit test gets back from `start`. */
export interface RunningApp {
  url: string;
  /** The path prefix the app is mounted under (`''` when none). */
  prefix: string;
  manager: SessionManager;
  store: ProbeStore;
  clock: FakeClock;
  /** Every event the app emitted, in order. */
  events: SessionEvent[];
  /** A new cookie-less browser for this app (paths are given without the prefix). */
  browser(): Browser;
}

/** What a test asks of its app. */
export interface AppSetup {
  policy?: PolicyInput;
  csrf?: KitApp['csrf'];
  prefix?: string;
  storeTimeout?: number;
  /** Throw from `onEvent` after recording the event (a broken audit sink). */
  throwingOnEvent?: boolean;
  /** Routes added to the kit's standard ones (they win on the same method and path). */
  routes?: KitRoute[] | ((app: { store: ProbeStore; clock: FakeClock }) => KitRoute[]);
}

export type StartApp = (setup?: AppSetup) => Promise<RunningApp>;

/** Everything a section of the kit needs. */
export interface KitContext {
  kind: StoreKind;
  start: StartApp;
}

/**
 * A `start` that mounts an app through the harness with a fresh fake clock, a fresh probe store
 * of `kind`, and the kit's routes; every app started by a test is closed after it.
 */
export function createStarter(harness: AdapterHarness, kind: StoreKind): StartApp {
  const running: KitServer[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.close()));
  });
  return async (setup = {}) => {
    const clock = createFakeClock();
    const store = kind.make(clock);
    const events: SessionEvent[] = [];
    const extra = typeof setup.routes === 'function' ? setup.routes({ store, clock }) : (setup.routes ?? []);
    const overridden = new Set(extra.map((route) => `${route.method} ${route.path}`));
    const routes = [...STANDARD_ROUTES.filter((route) => !overridden.has(`${route.method} ${route.path}`)), ...extra];
    const app: KitApp = {
      spartan: {
        secrets: KIT_SECRET,
        store,
        clock,
        onEvent(event) {
          events.push(event);
          if (setup.throwingOnEvent === true) throw new Error('the audit sink is down');
        },
        ...(setup.policy !== undefined && { policy: setup.policy }),
        ...(setup.storeTimeout !== undefined && { storeTimeout: setup.storeTimeout }),
      },
      routes,
      ...(setup.csrf !== undefined && { csrf: setup.csrf }),
      ...(setup.prefix !== undefined && { prefix: setup.prefix }),
    };
    const server = await harness.start(app);
    running.push(server);
    const prefix = setup.prefix ?? '';
    return {
      url: server.url,
      prefix,
      manager: server.manager,
      store,
      clock,
      events,
      browser: () => new Browser(server.url + prefix, server.manager.cookieName),
    };
  };
}

/** What `GET /read` and most kit routes answer: the session as the handler sees it. */
export interface SessionView {
  data: Record<string, unknown>;
  id: string;
  userId: string | null;
  zone: string;
  authenticatedAt: number | null;
}

/** The error body every harness renders. */
export interface ErrorBody {
  error: string;
}

export function viewOf(request: KitRequest): SessionView {
  const { meta } = request.session;
  return {
    data: { ...request.session },
    id: request.sessionId(),
    userId: meta.userId,
    zone: meta.zone,
    authenticatedAt: meta.authenticatedAt,
  };
}

const sessionReply = (request: KitRequest): KitReply => ({ json: viewOf(request) });

export function get(path: string, handle: KitRoute['handle']): KitRoute {
  return { method: 'GET', path, handle };
}

export function post(path: string, handle: KitRoute['handle']): KitRoute {
  return { method: 'POST', path, handle };
}

/** An application error with a status and a code, as an app would throw one. */
export function applicationError(): Error {
  return Object.assign(new Error('the application failed after changing the session'), {
    status: 409,
    code: 'app/conflict',
  });
}

/**
 * The routes every kit app has. GET routes change state too (`/set`, `/login`, …): the kit's
 * apps without CSRF middleware are not browsers' targets, and GET keeps the tests short.
 */
export const STANDARD_ROUTES: readonly KitRoute[] = [
  get('/noop', () => ({ text: 'ok' })),
  get('/read', sessionReply),
  get('/set', (request) => {
    Object.assign(request.session, request.query);
    return sessionReply(request);
  }),
  post('/set', (request) => {
    Object.assign(request.session, request.body);
    return sessionReply(request);
  }),
  get('/login', async (request) => {
    await request.session.authenticate(request.query.user ?? 'alice');
    return sessionReply(request);
  }),
  post('/login', async (request) => {
    await request.session.authenticate(String(request.body.user ?? 'alice'));
    return sessionReply(request);
  }),
  get('/rotate', async (request) => {
    await request.session.rotate();
    return sessionReply(request);
  }),
  get('/regenerate', async (request) => {
    await request.session.regenerate();
    request.session.fresh = true;
    return sessionReply(request);
  }),
  get('/destroy', async (request) => {
    await request.session.destroy();
    return { text: 'bye' };
  }),
  get('/sessions', async (request) => ({ json: await request.session.listUserSessions() })),
  get('/revoke-others', async (request) => ({ json: { revoked: await request.session.revokeOtherSessions() } })),
  get('/login-then-fail', async (request) => {
    await request.session.authenticate(request.query.user ?? 'alice');
    throw applicationError();
  }),
  get('/home', sessionReply),
  get('/admin', sessionReply),
  get('/admin/reauth', () => ({ text: 'please sign in again' })),
  post('/admin/reauth', async (request) => {
    await request.session.reauthenticate();
    return sessionReply(request);
  }),
  post('/admin/do', () => ({ text: 'done' })),
  get('/form', (request) => ({ json: { token: request.csrfToken(), again: request.csrfToken() } })),
  post('/submit', () => ({ json: { ok: true } })),
];
