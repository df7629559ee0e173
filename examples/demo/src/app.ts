/**
 * The demo application: every page and form, wired to spartan-sessions. `main.ts` runs it;
 * the browser test builds its own instance with a fake clock.
 */
import { fileURLToPath } from 'node:url';
import { spartan } from '@spartan-sessions/adapter-express';
import {
  type Clock,
  isSpartanError,
  type Policy,
  type SessionEvent,
  type SessionStore,
  systemClock,
} from '@spartan-sessions/core';
import { readPolicySync } from '@spartan-sessions/core/node';
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
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
import { DEMO_USERS, type DemoUser, UserDirectory } from './users.js';

/** The demo's `security.json` (beside `src/` and `dist/`). */
export const POLICY_PATH = fileURLToPath(new URL('../security.json', import.meta.url));

export interface DemoAppOptions {
  /** Session secrets (each at least 32 characters); the first signs. */
  secrets: string | readonly string[];
  /** A parsed policy. @default the demo's `security.json` */
  policy?: Policy;
  /** Where sessions live. @default the adapter's in-memory store */
  store?: SessionStore | undefined;
  /** Time source for sessions and pages (ms since the epoch); tests pass a fake clock. @default `Date.now` */
  clock?: Clock;
  /** Also receives every session event (the admin page keeps the latest ones). */
  onEvent?: (event: SessionEvent) => void;
}

export type DemoManager = ReturnType<typeof spartan>['manager'];

export interface DemoApp {
  app: Express;
  manager: DemoManager;
  users: UserDirectory;
  policy: Policy;
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** How many session events the admin page remembers. */
const EVENT_LOG_SIZE = 12;

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

function field(body: unknown, name: string): string {
  if (typeof body !== 'object' || body === null) return '';
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

export function createDemoApp(options: DemoAppOptions): DemoApp {
  const policy = options.policy ?? readPolicySync(POLICY_PATH);
  const clock = options.clock ?? systemClock;
  const users = new UserDirectory();
  const events: SessionEvent[] = [];
  const onEvent = (event: SessionEvent): void => {
    events.unshift(event);
    events.length = Math.min(events.length, EVENT_LOG_SIZE);
    options.onEvent?.(event);
  };
  const { sessions, manager } = spartan({
    policy,
    secrets: options.secrets,
    onEvent,
    clock,
    ...(options.store !== undefined && { store: options.store }),
  });
  const { duration, privileged } = policy.config;

  const app = express();
  app.disable('x-powered-by');
  // Every page is personal and no-store: validators would only make conditional requests pointless.
  app.set('etag', false);
  app.use((_req, res, next) => {
    // Pages carry personal data and forms: never cached, never framed, no script at all.
    res.setHeader(
      'Content-Security-Policy',
      `default-src 'none'; style-src ${STYLE_SOURCE}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  app.use(sessions.sessioner);
  app.use(express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 }));

  const currentUser = (req: Request): DemoUser | undefined => users.byId(req.session.meta.userId);

  // Two CSRF guards. The login form uses double submit: its secret is in a sealed cookie, so
  // showing the form stores nothing (a session record per `GET /login` let anyone fill the store
  // with anonymous sessions: issue 12). Every other form is a signed-in user's and uses
  // synchronizer tokens, the secret in the session.
  const loginCsrf = sessions.csrf({ cookie: true });
  const csrf = sessions.csrf({ cookie: false });
  /**
   * A token for an error page's form. The sessioner hands a privileged-area refusal to the error
   * handler before `csrf` ran, so the token is issued here (safe requests only: they pass the
   * guard without a token).
   */
  const issueCsrfToken = (req: Request, res: Response): Promise<void> =>
    new Promise((resolve, reject) => {
      if (typeof req.csrfToken === 'function') resolve();
      else csrf(req, res, (error?: unknown) => (error ? reject(error) : resolve()));
    });

  const viewerOf = (req: Request): Viewer | null => {
    const user = currentUser(req);
    if (!user) return null;
    // An error handler may run before `csrf` did, or the login form's guard ran instead (its
    // token would not pass /logout's): then the page shows no sign-out form.
    const csrfToken = typeof req.csrfToken === 'function' && !req.res?.locals.loginForm ? req.csrfToken() : null;
    return { username: user.username, displayName: user.displayName, csrfToken };
  };

  /** A one-time message kept in the session data across a redirect. */
  const flash = (req: Request, text: string): void => {
    req.session.flash = text;
  };
  const takeFlash = (req: Request): Notice | null => {
    const text = req.session.flash;
    if (typeof text !== 'string') return null;
    delete req.session.flash;
    return { kind: 'ok', text };
  };

  const send = (
    req: Request,
    res: Response,
    status: number,
    page: { title: string; body: SafeHtml; viewer?: Viewer | null; notice?: Notice | null },
  ): void => {
    const viewer = page.viewer === undefined ? viewerOf(req) : page.viewer;
    const notice = page.notice === undefined ? takeFlash(req) : page.notice;
    res
      .status(status)
      .type('html')
      .send(layout({ title: page.title, path: req.path, viewer, notice, body: page.body }));
  };

  /** Sends anonymous visitors to the login page and back; resolves the user otherwise. */
  const requireUser = (req: Request, res: Response): DemoUser | undefined => {
    const user = currentUser(req);
    if (!user) res.redirect(303, `/login?next=${encodeURIComponent(req.method === 'GET' ? req.originalUrl : '/')}`);
    return user;
  };

  const renderLogin = (
    req: Request,
    res: Response,
    status: number,
    form: { username: string; next: string; error: string | null },
  ) => {
    send(req, res, status, {
      title: 'Sign in',
      viewer: null,
      body: loginBody({ ...form, csrfToken: req.csrfToken(), accounts: DEMO_USERS }),
    });
  };

  const renderReauth = (
    req: Request,
    res: Response,
    status: number,
    user: DemoUser,
    next: string,
    error: string | null,
  ) => {
    send(req, res, status, {
      title: 'Confirm it’s you',
      body: reauthBody({
        csrfToken: req.csrfToken(),
        username: user.username,
        next,
        authenticatedAt: req.session.meta.authenticatedAt,
        reauthAfterMs: privileged.reauthAfter * 1000,
        now: clock.now(),
        error,
      }),
    });
  };

  // The login form: registered before the site-wide guard below, so Express's own route matching
  // (case-insensitive, optional trailing slash) decides which guard a request gets.
  const loginForm = (req: Request, res: Response, next: (error?: unknown) => void): void => {
    res.locals.loginForm = true;
    loginCsrf(req, res, next);
  };
  app.get('/login', loginForm, (req, res) => {
    const next = safeNext(req.query.next, '/account');
    if (currentUser(req)) {
      res.redirect(303, next);
      return;
    }
    renderLogin(req, res, 200, { username: '', next, error: null });
  });

  app.post('/login', loginForm, async (req, res) => {
    const username = field(req.body, 'username');
    const next = safeNext(field(req.body, 'next'), '/account');
    const user = await users.verify(username, field(req.body, 'password'));
    if (!user) {
      renderLogin(req, res, 401, { username, next, error: 'Wrong username or password.' });
      return;
    }
    // New id, user recorded, sign-in time set: whatever id the visitor had before is now useless.
    await req.session.authenticate(user.id);
    flash(req, `Welcome, ${user.displayName}. Your session got a new id as you signed in.`);
    res.redirect(303, next);
  });

  // Synchronizer tokens for everything else. The guard checks every unsafe request; safe requests
  // of anonymous visitors skip it (they see no form that needs a token, and req.csrfToken() would
  // be the only thing to store a session for them).
  const needsCsrf = (req: Request): boolean => !SAFE_METHODS.has(req.method) || currentUser(req) !== undefined;
  app.use((req, res, next) => {
    if (needsCsrf(req)) csrf(req, res, next);
    else next();
  });

  app.get('/', (req, res) => {
    const user = currentUser(req);
    const meta = req.session.meta;
    const facts = user
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
    const signedOut = req.query['signed-out'] !== undefined && !user;
    send(req, res, 200, {
      title: 'Home',
      body: homeBody(viewerOf(req), facts),
      ...(signedOut && { notice: { kind: 'ok', text: 'You are signed out. That session is gone from the server.' } }),
    });
  });

  app.post('/logout', async (req, res) => {
    await req.session.destroy();
    res.redirect(303, '/?signed-out');
  });

  app.get('/account', (req, res) => {
    const user = requireUser(req, res);
    if (!user) return;
    send(req, res, 200, {
      title: 'Account',
      body: accountBody({
        userId: user.id,
        username: user.username,
        displayName: user.displayName,
        csrfToken: req.csrfToken(),
      }),
    });
  });

  app.post('/account/name', (req, res) => {
    const user = requireUser(req, res);
    if (!user) return;
    const displayName = field(req.body, 'displayName').trim().slice(0, 60);
    if (displayName.length > 0) {
      user.displayName = displayName;
      flash(req, 'Display name saved.');
    }
    res.redirect(303, '/account');
  });

  app.get('/sessions', async (req, res) => {
    const user = requireUser(req, res);
    if (!user) return;
    const rows = await req.session.listUserSessions();
    send(req, res, 200, { title: 'Active sessions', body: sessionsBody(rows, req.csrfToken()) });
  });

  app.post('/sessions/revoke-others', async (req, res) => {
    const user = requireUser(req, res);
    if (!user) return;
    const revoked = await req.session.revokeOtherSessions();
    flash(req, revoked === 1 ? 'Signed out 1 other session.' : `Signed out ${revoked} other sessions.`);
    res.redirect(303, '/sessions');
  });

  // ── The privileged area. The sessioner refuses stale sign-ins here before these handlers run
  // (`sessions/reauthentication-required`, turned into the password form below); `/admin/reauth`
  // is excluded from the area in security.json so that form can be posted.
  app.get('/admin/reauth', (req, res) => {
    const user = requireUser(req, res);
    if (!user) return;
    renderReauth(req, res, 200, user, safeNext(req.query.next, '/admin', '/admin'), null);
  });

  app.post('/admin/reauth', async (req, res) => {
    const user = requireUser(req, res);
    if (!user) return;
    const next = safeNext(field(req.body, 'next'), '/admin', '/admin');
    if (!(await users.checkPassword(user, field(req.body, 'password')))) {
      renderReauth(req, res, 401, user, next, 'Wrong password.');
      return;
    }
    await req.session.reauthenticate();
    res.redirect(303, next);
  });

  app.get('/admin', (req, res) => {
    const user = requireUser(req, res);
    if (!user) return;
    send(req, res, 200, {
      title: 'Admin',
      body: adminBody({
        csrfToken: req.csrfToken(),
        authenticatedAt: req.session.meta.authenticatedAt ?? clock.now(),
        reauthAfterMs: privileged.reauthAfter * 1000,
        privilegedIdleMs: privileged.idle * 1000,
        now: clock.now(),
        users: users.all().map((each) => ({ ...each, self: each.id === user.id })),
        events,
      }),
    });
  });

  app.post('/admin/users/:id/revoke', async (req, res) => {
    const user = requireUser(req, res);
    if (!user) return;
    const target = users.byId(String(req.params.id));
    if (!target) {
      res.redirect(303, '/admin');
      return;
    }
    const count = await manager.revokeUser(target.id);
    if (target.id === user.id) {
      // This session was one of them: its record is gone, so there is nothing left to show.
      res.redirect(303, '/?signed-out');
      return;
    }
    flash(req, `Signed out ${count} ${count === 1 ? 'session' : 'sessions'} of ${target.username}.`);
    res.redirect(303, '/admin');
  });

  app.use((req, res) => {
    send(req, res, 404, { title: 'Not found', body: messageBody('Not found', 'There is no page at this address.') });
  });

  const onError: ErrorRequestHandler = (error: unknown, req, res, passOn) => {
    if (res.headersSent) {
      passOn(error);
      return;
    }
    // The error page must not fail in turn: it shows a navigation bar only when the session works.
    const safeViewer = (): Viewer | null => {
      try {
        return req.session ? viewerOf(req) : null;
      } catch {
        return null;
      }
    };
    if (isSpartanError(error, 'sessions/reauthentication-required')) {
      const user = req.session ? currentUser(req) : undefined;
      const next = req.method === 'GET' ? safeNext(req.originalUrl, '/admin', '/admin') : '/admin';
      if (!user) {
        res.redirect(303, `/login?next=${encodeURIComponent(next)}`);
      } else if (!SAFE_METHODS.has(req.method)) {
        // A form posted in the privileged area after the sign-in went stale: its body was never
        // checked, so nothing runs; ask for the password on a page of its own.
        res.redirect(303, `/admin/reauth?next=${encodeURIComponent(next)}`);
      } else {
        // Asked in place, with 401: after the password the browser comes back to this address.
        issueCsrfToken(req, res).then(
          () => renderReauth(req, res, 401, user, next, null),
          (tokenError: unknown) => passOn(tokenError),
        );
      }
      return;
    }
    if (isSpartanError(error, 'sessions/csrf-invalid') || isSpartanError(error, 'sessions/cross-origin-request')) {
      const viewer = safeViewer();
      send(req, res, 403, {
        title: 'Request refused',
        viewer,
        notice: null,
        body: refusedBody(error.code, viewer !== null),
      });
      return;
    }
    if (isSpartanError(error, 'sessions/store-unavailable')) {
      send(req, res, 503, {
        title: 'Session store unavailable',
        viewer: null,
        notice: null,
        body: messageBody(
          'Session store unavailable',
          'Sessions cannot be checked right now, so nothing that needs one is served. Please try again in a moment.',
          'Sessions fail closed: a store outage is never mistaken for "no session".',
        ),
      });
      return;
    }
    const status =
      typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
        ? error.status
        : 500;
    if (status >= 500) console.error(error);
    send(req, res, status >= 400 && status < 600 ? status : 500, {
      title: status < 500 ? 'Bad request' : 'Error',
      viewer: safeViewer(),
      notice: null,
      body: messageBody(
        status < 500 ? 'Bad request' : 'Something went wrong',
        'The server could not handle this request.',
      ),
    });
  };
  app.use(onError);

  return { app, manager, users, policy };
}
