import type { AdapterHarness, KitReply, KitRequest, KitRoute } from '@spartan-sessions/core/testing';
import type { ErrorRequestHandler, IRouter, Request, RequestHandler, Response } from 'express';
import { type ExpressSessions, spartan } from '../../src/index.js';
import { listen } from './http.js';
import type { Framework } from './matrix.js';

/**
 * The adapter conformance kit's harness for Express 4 and 5: the kit's app as an Express app,
 * translated one to one (body parsers, sessioner, csrf, routes, error handler), nothing more.
 */
export function expressHarness({ express }: Framework): AdapterHarness {
  return {
    async start(app) {
      const { sessions, manager } = spartan(app.spartan);
      const server = express();
      const area: IRouter = app.prefix === undefined ? server : express.Router();
      area.use(express.urlencoded({ extended: false }), express.json());
      area.use(sessions.sessioner);
      if (app.csrf !== undefined) area.use(sessions.csrf({ cookie: app.csrf === 'cookie' }));
      for (const route of app.routes) {
        if (route.method === 'GET') area.get(route.path, handlerOf(route, sessions));
        else area.post(route.path, handlerOf(route, sessions));
      }
      if (app.prefix !== undefined) server.use(app.prefix, area);
      server.use(renderError);
      const running = await listen(server);
      return { url: running.url, manager, close: running.close };
    },
  };
}

function handlerOf(route: KitRoute, sessions: ExpressSessions): RequestHandler {
  return (req, res, next) => {
    let reply: KitReply | Promise<KitReply>;
    try {
      reply = route.handle(kitRequestOf(req, res, sessions));
    } catch (error) {
      next(error);
      return;
    }
    // Express 4 does not catch a rejected handler: hand it to next(err) ourselves.
    Promise.resolve(reply).then((answer) => send(res, answer), next);
  };
}

function kitRequestOf(req: Request, res: Response, sessions: ExpressSessions): KitRequest {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.query as Record<string, unknown>)) {
    query[name] = String(Array.isArray(value) ? value[0] : value);
  }
  return {
    get session() {
      return req.session;
    },
    body: (req.body as Record<string, unknown> | undefined) ?? {},
    query,
    sessionId: () => req.sessionID,
    csrfToken: () => req.csrfToken(),
    cookieMaker: (params) => sessions.cookieMaker(req, res, params),
    cookieMonster: (params) => sessions.cookieMonster(res, params),
    cookieReader: () => sessions.cookieReader(req),
  };
}

function send(res: Response, reply: KitReply): void {
  if (reply.redirect !== undefined) {
    res.redirect(reply.status ?? 302, reply.redirect);
    return;
  }
  res.status(reply.status ?? 200);
  if ('json' in reply) res.json(reply.json);
  else res.type('text/plain').send(reply.text ?? '');
}

/** The kit's error contract: `{ error: err.code ?? 'unexpected' }` with `err.status ?? 500`. */
const renderError: ErrorRequestHandler = (err, _req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  const { code, status } = (err ?? {}) as { code?: unknown; status?: unknown };
  res.status(typeof status === 'number' ? status : 500).json({ error: typeof code === 'string' ? code : 'unexpected' });
};
