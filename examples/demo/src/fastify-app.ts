/**
 * The demo on Fastify 5: `site.ts` holds the pages; this file registers them with Fastify and
 * `@spartan-sessions/adapter-fastify`, and turns their outcomes into replies.
 */
import formbody from '@fastify/formbody';
import { spartan } from '@spartan-sessions/adapter-fastify';
import type { Session } from '@spartan-sessions/core';
import Fastify, { type FastifyReply, type FastifyRequest, type preHandlerHookHandler } from 'fastify';
import type { DemoAppParts, DemoServerApp } from './app.js';
import { BODY_LIMIT_BYTES, createSite, type DemoRequest, fieldOf, type Outcome, SECURITY_HEADERS } from './site.js';

type Guard = 'login' | 'site';

export async function createFastifyApp({
  spartanOptions,
  users,
  events,
  policy,
  clock,
}: DemoAppParts): Promise<DemoServerApp> {
  const { sessions, manager } = spartan(spartanOptions);
  const site = createSite({ policy, clock, users, manager, events });
  // Double submit for the login form (showing it stores nothing), synchronizer tokens elsewhere.
  const loginCsrf = sessions.csrf({ cookie: true });
  const csrf = sessions.csrf({ cookie: false });
  /** Which guard passed for a request: `reply.csrfToken()` works only after one did. */
  const guarded = new WeakMap<FastifyRequest, Guard>();

  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES });

  const runGuard = (guard: Guard, request: FastifyRequest, reply: FastifyReply): Promise<void> =>
    new Promise((resolve, reject) => {
      (guard === 'login' ? loginCsrf : csrf).call(app, request, reply, (error?: Error) => {
        if (error) {
          reject(error);
          return;
        }
        guarded.set(request, guard);
        resolve();
      });
    });

  const requestOf = (request: FastifyRequest, reply: FastifyReply): DemoRequest => {
    const query = request.query as Record<string, unknown>;
    const params = request.params as Record<string, unknown>;
    return {
      method: request.method,
      path: request.url.split('?', 1)[0] ?? '/',
      url: request.url,
      query: (name) => {
        const value = query[name];
        return typeof value === 'string' ? value : undefined;
      },
      field: (name) => fieldOf(request.body, name),
      param: (name) => String(params[name] ?? ''),
      // Undefined when an error came before the sessioner.
      session: request.session as Session | undefined,
      csrfToken: () => (guarded.has(request) ? reply.csrfToken() : null),
      loginForm: guarded.get(request) === 'login',
      issueCsrfToken: () => runGuard('site', request, reply),
    };
  };

  const send = (reply: FastifyReply, outcome: Outcome): FastifyReply =>
    'redirect' in outcome
      ? reply.redirect(outcome.redirect, 303)
      : reply.code(outcome.status).type('text/html; charset=utf-8').send(outcome.html);

  const loginGuard: preHandlerHookHandler = (request, reply) => runGuard('login', request, reply);
  // The site's guard checks every unsafe request; safe requests of anonymous visitors skip it
  // (they see no form that needs a token, and a token would be the only thing to store a session).
  const siteGuard: preHandlerHookHandler = async (request, reply) => {
    if (site.needsCsrf(requestOf(request, reply))) await runGuard('site', request, reply);
  };

  await app.register(formbody, { bodyLimit: BODY_LIMIT_BYTES });
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  await app.register(sessions.sessioner);

  for (const route of site.routes) {
    app.route({
      method: route.method,
      url: route.path,
      preHandler: route.guard === 'login' ? loginGuard : siteGuard,
      handler: async (request, reply) => send(reply, await route.handle(requestOf(request, reply))),
    });
  }
  app.setNotFoundHandler({ preHandler: siteGuard }, async (request, reply) =>
    send(reply, site.notFound(requestOf(request, reply))),
  );
  app.setErrorHandler(async (error, request, reply) =>
    send(reply, await site.failure(error, requestOf(request, reply))),
  );

  await app.ready();
  return {
    handler: (req, res) => app.routing(req, res),
    manager,
    close: () => app.close(),
  };
}
