import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { AdapterHarness, KitReply, KitRequest, KitRoute } from '@spartan-sessions/core/testing';
import type { Middleware, ParameterizedContext } from 'koa';
import { type KoaSessions, spartan } from '../../src/index.js';
import { listen } from './http.js';
import type { Framework } from './matrix.js';

/**
 * The adapter conformance kit's harness for Koa 2 and 3: the kit's app as a Koa app, translated
 * one to one (error renderer, body parser, sessioner, csrf, routes on @koa/router), nothing more.
 */
export function koaHarness({ Koa }: Framework): AdapterHarness {
  return {
    async start(app) {
      const { sessions, manager } = spartan(app.spartan);
      const server = new Koa();
      server.use(renderError);
      const router = new Router(app.prefix === undefined ? {} : { prefix: app.prefix });
      // Under a prefix, everything is mounted in the router, as an app mounts a sub-app.
      const use = (middleware: Middleware) =>
        app.prefix === undefined ? server.use(middleware) : router.use(middleware);
      use(bodyParser());
      use(sessions.sessioner);
      if (app.csrf !== undefined) use(sessions.csrf({ cookie: app.csrf === 'cookie' }));
      for (const route of app.routes) {
        if (route.method === 'GET') router.get(route.path, handlerOf(route, sessions));
        else router.post(route.path, handlerOf(route, sessions));
      }
      server.use(router.routes());
      const running = await listen(server);
      return { url: running.url, manager, close: running.close };
    },
  };
}

function handlerOf(route: KitRoute, sessions: KoaSessions): Middleware {
  return async (ctx) => send(ctx, await route.handle(kitRequestOf(ctx, sessions)));
}

function kitRequestOf(ctx: ParameterizedContext, sessions: KoaSessions): KitRequest {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.query)) {
    query[name] = String(Array.isArray(value) ? value[0] : value);
  }
  return {
    get session() {
      return ctx.session;
    },
    body: (ctx.request as { body?: Record<string, unknown> }).body ?? {},
    query,
    sessionId: () => ctx.session.id,
    csrfToken: () => ctx.csrfToken(),
    cookieMaker: (params) => sessions.cookieMaker(ctx.request, ctx.response, params),
    cookieMonster: (params) => sessions.cookieMonster(ctx.response, params),
    cookieReader: () => sessions.cookieReader(ctx.request),
  };
}

function send(ctx: ParameterizedContext, reply: KitReply): void {
  if (reply.redirect !== undefined) {
    ctx.redirect(reply.redirect);
    ctx.status = reply.status ?? 302;
    return;
  }
  ctx.status = reply.status ?? 200;
  if ('json' in reply) {
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(reply.json);
  } else {
    ctx.type = 'text/plain';
    ctx.body = reply.text ?? '';
  }
}

/** The kit's error contract: `{ error: err.code ?? 'unexpected' }` with `err.status ?? 500`, headers kept. */
const renderError: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (err) {
    const { code, status } = (err ?? {}) as { code?: unknown; status?: unknown };
    ctx.status = typeof status === 'number' ? status : 500;
    ctx.body = { error: typeof code === 'string' ? code : 'unexpected' };
  }
};
