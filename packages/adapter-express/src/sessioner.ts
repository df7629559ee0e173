import type { SessionContext, SessionManager } from '@spartan-sessions/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type Exchange, exchangeOf } from './internal/exchange.js';
import { exposeSession, installRequestAccessors } from './internal/request-accessors.js';
import { holdResponseUntilCommitted } from './internal/response-hooks.js';

/**
 * The session middleware (SPEC §7 `sessioner`): loads the request's session, exposes it as
 * `req.session` / `req.sessionID`, and commits it before the first byte of the response.
 * Store errors and a privileged-area refusal reach `next(err)` as a `SpartanError`.
 */
export function createSessioner(manager: SessionManager): RequestHandler {
  installRequestAccessors();
  return function sessioner(req: Request, res: Response, next: NextFunction): void {
    const exchange = exchangeOf(req, res);
    if (exchange.sessioner) {
      // Mounted twice: the first one owns the session.
      next();
      return;
    }
    exchange.sessioner = true;
    let loading: SessionContext | Promise<SessionContext>;
    try {
      // Synchronous for a returning visitor on the embedded store: no promise before `next()`.
      loading = manager.beginNow(exchange.view, exchange.jar);
    } catch (error) {
      next(error);
      return;
    }
    if (loading instanceof Promise) {
      loading.then((context) => attach(req, res, next, exchange, context), next);
    } else {
      attach(req, res, next, exchange, loading);
    }
  };
}

function attach(req: Request, res: Response, next: NextFunction, exchange: Exchange, context: SessionContext): void {
  exchange.context = context;
  exposeSession(req);
  holdResponseUntilCommitted(res, context, next);
  // After attaching: the error page of a refused privileged request still has its session.
  if (context.accessError === null) next();
  else next(context.accessError);
}
