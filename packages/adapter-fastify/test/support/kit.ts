import type { AddressInfo } from 'node:net';
import formbody from '@fastify/formbody';
import type { AdapterHarness, KitReply, KitRequest, KitRoute } from '@spartan-sessions/core/testing';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type FastifySessions, spartan } from '../../src/index.js';

/**
 * The adapter conformance kit's harness for Fastify 5: the kit's app as a Fastify app,
 * translated one to one (body parser, sessioner, csrf hook, routes, error handler), nothing more.
 */
export const fastifyHarness: AdapterHarness = {
  async start(app) {
    const { sessions, manager } = spartan(app.spartan);
    const server = Fastify({ forceCloseConnections: true });
    server.setErrorHandler(renderError);
    const area = async (scope: FastifyInstance): Promise<void> => {
      await scope.register(formbody);
      await scope.register(sessions.sessioner);
      if (app.csrf !== undefined) scope.addHook('preHandler', sessions.csrf({ cookie: app.csrf === 'cookie' }));
      for (const route of app.routes)
        scope.route({ method: route.method, url: route.path, handler: handlerOf(route, sessions) });
    };
    if (app.prefix === undefined) await area(server);
    else await server.register(area, { prefix: app.prefix });
    await server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, manager, close: () => server.close() };
  },
};

function handlerOf(route: KitRoute, sessions: FastifySessions) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
    send(reply, await route.handle(kitRequestOf(request, reply, sessions)));
}

function kitRequestOf(request: FastifyRequest, reply: FastifyReply, sessions: FastifySessions): KitRequest {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.query as Record<string, unknown>)) {
    query[name] = String(Array.isArray(value) ? value[0] : value);
  }
  return {
    get session() {
      return request.session;
    },
    body: (request.body as Record<string, unknown> | null | undefined) ?? {},
    query,
    sessionId: () => request.session.id,
    csrfToken: () => reply.csrfToken(),
    cookieMaker: (params) => sessions.cookieMaker(request, reply, params),
    cookieMonster: (params) => sessions.cookieMonster(reply, params),
    cookieReader: () => sessions.cookieReader(request),
  };
}

function send(reply: FastifyReply, answer: KitReply): FastifyReply {
  if (answer.redirect !== undefined) return reply.redirect(answer.redirect, answer.status ?? 302);
  reply.code(answer.status ?? 200);
  if ('json' in answer) return reply.type('application/json; charset=utf-8').send(JSON.stringify(answer.json));
  return reply.type('text/plain; charset=utf-8').send(answer.text ?? '');
}

/**
 * The kit's error contract: `{ error: err.code ?? 'unexpected' }` with the error's status (Fastify
 * names it `statusCode`; `SpartanError` has both), else 500.
 */
function renderError(error: FastifyError & { status?: unknown }, _request: FastifyRequest, reply: FastifyReply) {
  const { code, status, statusCode } = error;
  const answer = typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : 500;
  return reply.code(answer).send({ error: typeof code === 'string' ? code : 'unexpected' });
}
