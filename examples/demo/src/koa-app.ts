/**
 * The demo on Koa: `site.ts` holds the pages; this file registers them with Koa, `@koa/router`
 * and `@spartan-sessions/adapter-koa`, and turns their outcomes into responses.
 */
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { spartan } from '@spartan-sessions/adapter-koa';
import type { Session } from '@spartan-sessions/core';
import Koa, { type Context, type Middleware } from 'koa';
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

export function createKoaApp({ spartanOptions, users, events, policy, clock }: DemoAppParts): DemoServerApp {
  const { sessions, manager } = spartan(spartanOptions);
  const site = createSite({ policy, clock, users, manager, events });
  // Double submit for the login form (showing it stores nothing), synchronizer tokens elsewhere.
  const loginCsrf = sessions.csrf({ cookie: true });
  const csrf = sessions.csrf({ cookie: false });

  const requestOf = (ctx: Context): DemoRequest => ({
    method: ctx.method,
    path: ctx.path,
    url: ctx.originalUrl,
    query: (name) => {
      const value = ctx.query[name];
      return typeof value === 'string' ? value : undefined;
    },
    field: (name) => fieldOf(ctx.request.body, name),
    param: (name) => String((ctx.params as Record<string, unknown> | undefined)?.[name] ?? ''),
    // Undefined when an error came before the sessioner.
    session: ctx.session as Session | undefined,
    csrfToken: () => (typeof ctx.csrfToken === 'function' ? ctx.csrfToken() : null),
    loginForm: ctx.state.loginForm === true,
    issueCsrfToken: () => csrf(ctx, async () => {}),
  });

  const respond = (ctx: Context, outcome: Outcome): void => {
    if ('redirect' in outcome) {
      ctx.redirect(outcome.redirect);
      ctx.status = 303;
    } else {
      ctx.status = outcome.status;
      ctx.type = 'html';
      ctx.body = outcome.html;
    }
  };

  /** Errors become the site's error pages (a refused request, a failed store, a bad body). */
  const errorPages: Middleware = async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      respond(ctx, await site.failure(error, requestOf(ctx)));
    }
  };

  const app = new Koa();
  // Outermost: the headers of every page, and the error pages of errors the sessioner raises
  // (a refused privileged request, a store failure). The session headers it wrote stay set.
  app.use(async (ctx, next) => {
    ctx.set(SECURITY_HEADERS);
    await errorPages(ctx, next);
  });
  app.use(async (ctx, next) => {
    if (ctx.path === '/favicon.ico') ctx.status = 204;
    else await next();
  });
  app.use(sessions.sessioner);
  // Inside the sessioner: errors of guards and routes become pages before the session is saved.
  app.use(errorPages);
  app.use(bodyParser({ enableTypes: ['form'], formLimit: BODY_LIMIT_BYTES }));

  const router = (routes: readonly Route[], guard: Middleware): Router => {
    const each = new Router();
    for (const route of routes) {
      const handler: Middleware = async (ctx) => respond(ctx, await route.handle(requestOf(ctx)));
      if (route.method === 'GET') each.get(route.path, guard, handler);
      else each.post(route.path, guard, handler);
    }
    return each;
  };
  // The login routes come before the site-wide guard, so the router's own matching
  // (case-insensitive, optional trailing slash) decides which guard a request gets.
  const loginGuard: Middleware = (ctx, next) => {
    ctx.state.loginForm = true;
    return loginCsrf(ctx, next);
  };
  app.use(
    router(
      site.routes.filter((route) => route.guard === 'login'),
      loginGuard,
    ).routes(),
  );
  // The site's guard checks every unsafe request; safe requests of anonymous visitors skip it.
  app.use((ctx, next) => (site.needsCsrf(requestOf(ctx)) ? csrf(ctx, next) : next()));
  app.use(
    router(
      site.routes.filter((route) => route.guard === 'site'),
      (_ctx, next) => next(),
    ).routes(),
  );
  app.use((ctx) => respond(ctx, site.notFound(requestOf(ctx))));

  return { handler: app.callback(), manager, close: async () => {} };
}
