import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CsrfGuard } from '@spartan-sessions/core';
import type { RequestScope, SessionContext, SpartanCore } from '@spartan-sessions/core/adapter';
import { holdResponse, nodeScope } from '@spartan-sessions/core/node';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { exposeCsrfToken, exposeSession, installRequestAccessors } from './internal/request-accessors.js';

/** The request's scope; privileged areas match `originalUrl` (the full path), not a router's `req.url`. */
export function scopeOf(
  core: SpartanCore,
  req: IncomingMessage & { originalUrl?: string },
  res: ServerResponse,
): RequestScope {
  return nodeScope(core, req, res, req.originalUrl ?? req.url);
}

/** `sessions.sessioner`: loads the session, exposes `req.session`, holds the response until it is committed. */
export function createSessioner(core: SpartanCore): RequestHandler {
  installRequestAccessors();
  return function sessioner(req: Request, res: Response, next: NextFunction): void {
    const scope = scopeOf(core, req, res);
    let loading: ReturnType<RequestScope['startSession']>;
    try {
      loading = scope.startSession();
    } catch (error) {
      next(error);
      return;
    }
    // A second sessioner on the same request: the first one owns the session.
    if (loading === null) {
      next();
      return;
    }
    const attach = (_context: SessionContext): void => {
      exposeSession(req);
      holdResponse(res, scope, next);
      // The error page of a refused privileged request still has its session.
      next(scope.refusal ?? undefined);
    };
    if (loading instanceof Promise) loading.then(attach, next);
    else attach(loading);
  };
}

/** `sessions.csrf(options)`: verifies unsafe requests, then exposes `req.csrfToken()`; refusals go to `next(err)`. */
export function createCsrfMiddleware(core: SpartanCore, guard: CsrfGuard): RequestHandler {
  installRequestAccessors();
  return function csrf(req: Request, res: Response, next: NextFunction): void {
    const scope = scopeOf(core, req, res);
    const ready = (): void => {
      exposeCsrfToken(req);
      holdResponse(res, scope, next);
      next();
    };
    let checking: ReturnType<RequestScope['csrf']>;
    try {
      checking = scope.csrf(guard);
    } catch (error) {
      next(error);
      return;
    }
    if (checking instanceof Promise) checking.then(ready, next);
    else ready();
  };
}
