/**
 * The demo's pages and forms, written once for every framework. A framework's app file
 * (`express-app.ts`, `fastify-app.ts`, `koa-app.ts`) registers `site.routes` with its router and
 * the two CSRF guards, and turns each `Outcome` into its response: the only framework code.
 */
import {
  type Clock,
  isSpartanError,
  type Policy,
  type Session,
  type SessionEvent,
  type SessionManager,
} from '@spartan-sessions/core';
import type { SafeHtml } from './html.js';
import {
  accountBody,
  adminBody,
  homeBody,
  layout,
  loginBody,
  messageBody,
  type Notice,
  reauthBody,
  refusedBody,
  STYLE_SOURCE,
  sessionsBody,
  type Viewer,
} from './pages.js';
import { DEMO_USERS, type DemoUser, type UserDirectory } from './users.js';

/** A request, as the pages see it. */
export interface DemoRequest {
  readonly method: string;
  /** The URL path, without the query. */
  readonly path: string;
  /** The path and query as the browser sent them (where to come back to). */
  readonly url: string;
  query(name: string): string | undefined;
  /** A form field of the parsed `application/x-www-form-urlencoded` body, `''` when absent. */
  field(name: string): string;
  /** A route parameter (`:id`). */
  param(name: string): string;
  /** `undefined` when the sessioner has not run (an error before it). */
  readonly session: Session | undefined;
  /** A CSRF token, or `null` when no guard ran for this request. */
  csrfToken(): string | null;
  /** Whether the login form's guard (double submit) ran rather than the site's. */
  readonly loginForm: boolean;
  /** Runs the site's CSRF guard on a safe request that has not been through one (error pages). */
  issueCsrfToken(): Promise<void>;
}

/** What a route answers: a page, or a `303 See Other`. */
export type Outcome = { status: number; html: string } | { redirect: string };

export interface Route {
  method: 'GET' | 'POST';
  /** An Express / Fastify / @koa/router path (`:id` parameters). */
  path: string;
  /** `login`: double submit (stores nothing); `site`: synchronizer tokens, when `needsCsrf`. */
  guard: 'login' | 'site';
  handle(request: DemoRequest): Outcome | Promise<Outcome>;
}

/** Every page is personal: never cached, never framed, no script at all. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': `default-src 'none'; style-src ${STYLE_SOURCE}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** Form bodies are small: a larger one is refused by the body parser (413). */
export const BODY_LIMIT_BYTES = 8 * 1024;

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The latest session events, newest first, for the admin page. */
export class EventLog {
  readonly entries: SessionEvent[] = [];
  constructor(readonly size = 12) {}

  readonly push = (event: SessionEvent): void => {
    this.entries.unshift(event);
    this.entries.length = Math.min(this.entries.length, this.size);
  };
}

/**
 * A local path to return to after a form, or `fallback`. Refuses what a browser would follow
 * off-site (`//host`, `/\host`, control characters): no open redirect. With `prefix`, only paths
 * under it.
 */
export function safeNext(value: unknown, fallback: string, prefix = '/'): string {
  if (typeof value !== 'string' || value.length > 200) return fallback;
  // Browsers drop tabs and newlines from URLs and read `\` as `/`: `/\t/evil.example` is off-site.
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\') || hasControlCharacter(value)) {
    return fallback;
  }
  if (prefix !== '/' && value !== prefix && !value.startsWith(`${prefix}/`) && !value.startsWith(`${prefix}?`)) {
    return fallback;
  }
  return value;
}

function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A form field of a parsed body (any parser's object), `''` when absent or not a string. */
export function fieldOf(body: unknown, name: string): string {
  if (typeof body !== 'object' || body === null) return '';
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

export interface SiteOptions {
  policy: Policy;
  clock: Clock;
  users: UserDirectory;
  manager: SessionManager;
  /** Filled from `spartan({ onEvent })`. */
  events: EventLog;
}

export interface Site {
  routes: readonly Route[];
  /** Whether the site's guard checks this request (login routes have their own). */
  needsCsrf(request: DemoRequest): boolean;
  notFound(request: DemoRequest): Outcome;
  /** The page for an error a route, a guard or the sessioner raised. */
  failure(error: unknown, request: DemoRequest): Promise<Outcome>;
}

export function createSite({ policy, clock, users, manager, events }: SiteOptions): Site {
  const { duration, privileged } = policy.config;

  const currentUser = (request: DemoRequest): DemoUser | undefined =>
    request.session === undefined ? undefined : users.byId(request.session.meta.userId);

  const viewerOf = (request: DemoRequest): Viewer | null => {
    const user = currentUser(request);
    if (!user) return null;
    // An error page may come before any guard ran, or the login form's guard ran instead (its
    // token would not pass /logout's): then the page shows no sign-out form.
    const csrfToken = request.loginForm ? null : request.csrfToken();
    return { username: user.username, displayName: user.displayName, csrfToken };
  };

  /** A one-time message kept in the session data across a redirect. */
  const flash = (request: DemoRequest, text: string): void => {
    if (request.session) request.session.flash = text;
  };
  const takeFlash = (request: DemoRequest): Notice | null => {
    const text = request.session?.flash;
    if (typeof text !== 'string') return null;
    delete request.session?.flash;
    return { kind: 'ok', text };
  };

  const page = (
    request: DemoRequest,
    status: number,
    content: { title: string; body: SafeHtml; viewer?: Viewer | null; notice?: Notice | null },
  ): Outcome => {
    const viewer = content.viewer === undefined ? viewerOf(request) : content.viewer;
    const notice = content.notice === undefined ? takeFlash(request) : content.notice;
    return { status, html: layout({ title: content.title, path: request.path, viewer, notice, body: content.body }) };
  };

  const redirect = (location: string): Outcome => ({ redirect: location });

  /** Anonymous visitors go to the login page and back. */
  const toLogin = (request: DemoRequest): Outcome =>
    redirect(`/login?next=${encodeURIComponent(request.method === 'GET' ? request.url : '/')}`);

  /** A route for signed-in users only. */
  const signedIn =
    (handle: (request: DemoRequest, user: DemoUser, session: Session) => Outcome | Promise<Outcome>) =>
    (request: DemoRequest): Outcome | Promise<Outcome> => {
      const user = currentUser(request);
      return user && request.session ? handle(request, user, request.session) : toLogin(request);
    };

  const csrfToken = (request: DemoRequest): string => {
    const token = request.csrfToken();
    if (token === null) throw new Error('demo: a form page without a CSRF guard');
    return token;
  };

  const loginPage = (
    request: DemoRequest,
    status: number,
    form: { username: string; next: string; error: string | null },
  ) =>
    page(request, status, {
      title: 'Sign in',
      viewer: null,
      body: loginBody({ ...form, csrfToken: csrfToken(request), accounts: DEMO_USERS }),
    });

  const reauthPage = (request: DemoRequest, status: number, user: DemoUser, next: string, error: string | null) =>
    page(request, status, {
      title: 'Confirm it’s you',
      body: reauthBody({
        csrfToken: csrfToken(request),
        username: user.username,
        next,
        authenticatedAt: request.session?.meta.authenticatedAt ?? null,
        reauthAfterMs: privileged.reauthAfter * 1000,
        now: clock.now(),
        error,
      }),
    });

  const routes: Route[] = [
    {
      method: 'GET',
      path: '/login',
      guard: 'login',
      handle: (request) => {
        const next = safeNext(request.query('next'), '/account');
        if (currentUser(request)) return redirect(next);
        return loginPage(request, 200, { username: '', next, error: null });
      },
    },
    {
      method: 'POST',
      path: '/login',
      guard: 'login',
      handle: async (request) => {
        const username = request.field('username');
        const next = safeNext(request.field('next'), '/account');
        const user = await users.verify(username, request.field('password'));
        if (!user || !request.session)
          return loginPage(request, 401, { username, next, error: 'Wrong username or password.' });
        // New id, user recorded, sign-in time set: whatever id the visitor had before is now useless.
        await request.session.authenticate(user.id);
        flash(request, `Welcome, ${user.displayName}. Your session got a new id as you signed in.`);
        return redirect(next);
      },
    },
    {
      method: 'GET',
      path: '/',
      guard: 'site',
      handle: (request) => {
        const user = currentUser(request);
        const meta = request.session?.meta;
        const facts =
          user && meta
            ? {
                createdAt: meta.createdAt,
                lastSeenAt: meta.lastSeenAt,
                expiresAt: meta.expiresAt,
                idleExpiresAt: meta.idleExpiresAt,
                authenticatedAt: meta.authenticatedAt,
                zone: meta.zone,
                now: clock.now(),
                idleLimitMs: duration.idle * 1000,
                ttlMs: duration.ttl * 1000,
              }
            : null;
        const signedOut = request.query('signed-out') !== undefined && !user;
        return page(request, 200, {
          title: 'Home',
          body: homeBody(viewerOf(request), facts),
          ...(signedOut && {
            notice: { kind: 'ok', text: 'You are signed out. That session is gone from the server.' },
          }),
        });
      },
    },
    {
      method: 'POST',
      path: '/logout',
      guard: 'site',
      handle: async (request) => {
        await request.session?.destroy();
        return redirect('/?signed-out');
      },
    },
    {
      method: 'GET',
      path: '/account',
      guard: 'site',
      handle: signedIn((request, user) =>
        page(request, 200, {
          title: 'Account',
          body: accountBody({
            userId: user.id,
            username: user.username,
            displayName: user.displayName,
            csrfToken: csrfToken(request),
          }),
        }),
      ),
    },
    {
      method: 'POST',
      path: '/account/name',
      guard: 'site',
      handle: signedIn((request, user) => {
        const displayName = request.field('displayName').trim().slice(0, 60);
        if (displayName.length > 0) {
          user.displayName = displayName;
          flash(request, 'Display name saved.');
        }
        return redirect('/account');
      }),
    },
    {
      method: 'GET',
      path: '/sessions',
      guard: 'site',
      handle: signedIn(async (request, _user, session) => {
        const rows = await session.listUserSessions();
        return page(request, 200, { title: 'Active sessions', body: sessionsBody(rows, csrfToken(request)) });
      }),
    },
    {
      method: 'POST',
      path: '/sessions/revoke-others',
      guard: 'site',
      handle: signedIn(async (request, _user, session) => {
        const revoked = await session.revokeOtherSessions();
        flash(request, revoked === 1 ? 'Signed out 1 other session.' : `Signed out ${revoked} other sessions.`);
        return redirect('/sessions');
      }),
    },
    // ── The privileged area. The sessioner refuses stale sign-ins here before these routes run
    // (`sessions/reauthentication-required`, turned into the password form by `failure`);
    // `/admin/reauth` is excluded from the area in security.json so that form can be posted.
    {
      method: 'GET',
      path: '/admin/reauth',
      guard: 'site',
      handle: signedIn((request, user) =>
        reauthPage(request, 200, user, safeNext(request.query('next'), '/admin', '/admin'), null),
      ),
    },
    {
      method: 'POST',
      path: '/admin/reauth',
      guard: 'site',
      handle: signedIn(async (request, user, session) => {
        const next = safeNext(request.field('next'), '/admin', '/admin');
        if (!(await users.checkPassword(user, request.field('password')))) {
          return reauthPage(request, 401, user, next, 'Wrong password.');
        }
        await session.reauthenticate();
        return redirect(next);
      }),
    },
    {
      method: 'GET',
      path: '/admin',
      guard: 'site',
      handle: signedIn((request, user, session) =>
        page(request, 200, {
          title: 'Admin',
          body: adminBody({
            csrfToken: csrfToken(request),
            authenticatedAt: session.meta.authenticatedAt ?? clock.now(),
            reauthAfterMs: privileged.reauthAfter * 1000,
            privilegedIdleMs: privileged.idle * 1000,
            now: clock.now(),
            users: users.all().map((each) => ({ ...each, self: each.id === user.id })),
            events: events.entries,
          }),
        }),
      ),
    },
    {
      method: 'POST',
      path: '/admin/users/:id/revoke',
      guard: 'site',
      handle: signedIn(async (request, user) => {
        const target = users.byId(request.param('id'));
        if (!target) return redirect('/admin');
        const count = await manager.revokeUser(target.id);
        // This session was one of them: its record is gone, so there is nothing left to show.
        if (target.id === user.id) return redirect('/?signed-out');
        flash(request, `Signed out ${count} ${count === 1 ? 'session' : 'sessions'} of ${target.username}.`);
        return redirect('/admin');
      }),
    },
  ];

  const failure = async (error: unknown, request: DemoRequest): Promise<Outcome> => {
    // The error page must not fail in turn: it shows a navigation bar only when the session works.
    const safeViewer = (): Viewer | null => {
      try {
        return viewerOf(request);
      } catch {
        return null;
      }
    };
    if (isSpartanError(error, 'sessions/reauthentication-required')) {
      const user = currentUser(request);
      const next = request.method === 'GET' ? safeNext(request.url, '/admin', '/admin') : '/admin';
      if (!user) return redirect(`/login?next=${encodeURIComponent(next)}`);
      // A form posted in the privileged area after the sign-in went stale: its body was never
      // checked, so nothing runs; ask for the password on a page of its own.
      if (!SAFE_METHODS.has(request.method)) return redirect(`/admin/reauth?next=${encodeURIComponent(next)}`);
      // Asked in place, with 401: after the password the browser comes back to this address.
      // The sessioner refused before any guard ran, so the form's token is issued here.
      if (request.csrfToken() === null) await request.issueCsrfToken();
      return reauthPage(request, 401, user, next, null);
    }
    if (isSpartanError(error, 'sessions/csrf-invalid') || isSpartanError(error, 'sessions/cross-origin-request')) {
      const viewer = safeViewer();
      return page(request, 403, {
        title: 'Request refused',
        viewer,
        notice: null,
        body: refusedBody(error.code, viewer !== null),
      });
    }
    if (isSpartanError(error, 'sessions/store-unavailable')) {
      return page(request, 503, {
        title: 'Session store unavailable',
        viewer: null,
        notice: null,
        body: messageBody(
          'Session store unavailable',
          'Sessions cannot be checked right now, so nothing that needs one is served. Please try again in a moment.',
          'Sessions fail closed: a store outage is never mistaken for "no session".',
        ),
      });
    }
    const status = statusOf(error);
    if (status >= 500) console.error(error);
    return page(request, status, {
      title: status < 500 ? 'Bad request' : 'Error',
      viewer: safeViewer(),
      notice: null,
      body: messageBody(
        status < 500 ? 'Bad request' : 'Something went wrong',
        'The server could not handle this request.',
      ),
    });
  };

  return {
    routes,
    needsCsrf: (request) => !SAFE_METHODS.has(request.method) || currentUser(request) !== undefined,
    notFound: (request) =>
      page(request, 404, { title: 'Not found', body: messageBody('Not found', 'There is no page at this address.') }),
    failure,
  };
}

/** An error's HTTP status (`status` or `statusCode`, as body parsers set them), 500 otherwise. */
function statusOf(error: unknown): number {
  if (typeof error !== 'object' || error === null) return 500;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : 500;
  return value >= 400 && value < 600 ? value : 500;
}
