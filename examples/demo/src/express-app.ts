/**
 * The demo on Express 5: `site.ts` holds the pages; this file registers them with Express and
 * `@spartan-sessions/adapter-express`, and turns their outcomes into responses.
 */
import { spartan } from '@spartan-sessions/adapter-express';
import type { Session } from '@spartan-sessions/core';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { DemoAppParts, DemoServerApp } from './app.js';
import {
  BODY_LIMIT_BYTES,
  createSite,
  type DemoRequest,
  fieldOf,
  type Outcome,
  type Route,
  SECURITY_HEADERS,
} from './site.js';

export function createExpressApp({ spartanOptions, users, events, policy, clock }: DemoAppParts): DemoServerApp {
  const { sessions, manager } = spartan(spartanOptions);
  const site = createSite({ policy, clock, users, manager, events });

  // Two CSRF guards. The login form uses double submit: its secret is in a sealed cookie, so
  // showing the form stores nothing (a session record per `GET /login` let anyone fill the store
  // with anonymous sessions: issue 12). Every other form is a signed-in user's and uses
  // synchronizer tokens, the secret in the session.
  const loginCsrf = sessions.csrf({ cookie: true });
  const csrf = sessions.csrf({ cookie: false });

  const requestOf = (req: Request, res: Response): DemoRequest => ({
    method: req.method,
    path: req.path,
    url: req.originalUrl,
    query: (name) => {
      const value = req.query[name];
      return typeof value === 'string' ? value : undefined;
    },
    field: (name) => fieldOf(req.body, name),
    param: (name) => String(req.params[name] ?? ''),
    // Undefined when an error came before the sessioner.
    session: req.session as Session | undefined,
    csrfToken: () => (typeof req.csrfToken === 'function' ? req.csrfToken() : null),
    loginForm: res.locals.loginForm === true,
    issueCsrfToken: () =>
      new Promise((resolve, reject) => csrf(req, res, (error?: unknown) => (error ? reject(error) : resolve()))),
  });

  const reply = (res: Response, outcome: Outcome): void => {
    if ('redirect' in outcome) res.redirect(303, outcome.redirect);
    else res.status(outcome.status).type('html').send(outcome.html);
  };

  const app = express();
  app.disable('x-powered-by');
  // Every page is personal and no-store: validators would only make conditional requests pointless.
  app.set('etag', false);
  app.use((_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  app.use(sessions.sessioner);
  app.use(express.urlencoded({ extended: false, limit: BODY_LIMIT_BYTES, parameterLimit: 20 }));

  const loginForm: RequestHandler = (req, res, next) => {
    res.locals.loginForm = true;
    loginCsrf(req, res, next);
  };
  // Synchronizer tokens for everything else. The guard checks every unsafe request; safe requests
  // of anonymous visitors skip it (they see no form that needs a token, and req.csrfToken() would
  // be the only thing to store a session for them).
  const siteCsrf: RequestHandler = (req, res, next) => {
    if (site.needsCsrf(requestOf(req, res))) csrf(req, res, next);
    else next();
  };
  const add = (route: Route, guards: RequestHandler[]): void => {
    const handler: RequestHandler = (req, res, next) => {
      Promise.resolve()
        .then(() => route.handle(requestOf(req, res)))
        .then((outcome) => reply(res, outcome), next);
    };
    if (route.method === 'GET') app.get(route.path, ...guards, handler);
    else app.post(route.path, ...guards, handler);
  };
  // The login routes come before the site-wide guard, so Express's own route matching
  // (case-insensitive, optional trailing slash) decides which guard a request gets.
  for (const route of site.routes) if (route.guard === 'login') add(route, [loginForm]);
  app.use(siteCsrf);
  for (const route of site.routes) if (route.guard === 'site') add(route, []);

  app.use((req, res) => reply(res, site.notFound(requestOf(req, res))));

  const onError: ErrorRequestHandler = (error: unknown, req, res, passOn) => {
    if (res.headersSent) {
      passOn(error);
      return;
    }
    site.failure(error, requestOf(req, res)).then((outcome) => reply(res, outcome), passOn);
  };
  app.use(onError);

  return { handler: app, manager, close: async () => {} };
}
