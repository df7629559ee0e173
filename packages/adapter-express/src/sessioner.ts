import type { SessionManager } from '@spartan-sessions/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { exchangeOf } from './internal/exchange.js';
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
    void loadSession(manager, req, res, next);
  };
}

/** Never rejects: every outcome is a `next()` call. */
async function loadSession(manager: SessionManager, req: Request, res: Response, next: NextFunction): Promise<void> {
  const exchange = exchangeOf(req, res);
  if (exchange.sessioner) {
    // Mounted twice: the first one owns the session.
    next();
    return;
  }
  exchange.sessioner = true;
  let failure: unknown = null;
  try {
    const context = await manager.begin(exchange.view, exchange.jar);
    exchange.context = context;
    exposeSession(req);
    holdResponseUntilCommitted(res, context, next);
    // After attaching: the error page of a refused privileged request still has its session.
    failure = context.accessError;
  } catch (error) {
    failure = error;
  }
  if (failure === null) next();
  else next(failure);
}
