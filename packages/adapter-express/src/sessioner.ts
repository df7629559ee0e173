import type { IncomingMessage } from 'node:http';
import type { SessionManager } from '@spartan-sessions/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { EXCHANGE, type ExchangeCarrier, exchangeOf } from './internal/exchange.js';
import { holdResponseUntilCommitted } from './internal/response-hooks.js';

/** `req.sessionID`: one shared getter, so attaching it costs no closure. */
const SESSION_ID: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: IncomingMessage & ExchangeCarrier): string | undefined {
    return this[EXCHANGE]?.context?.session.id;
  },
};

/**
 * `req.session`: read through the context, because core's `regenerate()` replaces the session
 * object (as express-session does; Passport's `keepSessionInfo` merges the old one into the
 * new one). Assigning to it replaces the property, as plain assignment would.
 */
const SESSION: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: IncomingMessage & ExchangeCarrier) {
    return this[EXCHANGE]?.context?.session;
  },
  set(this: IncomingMessage, value: unknown) {
    Object.defineProperty(this, 'session', { value, writable: true, configurable: true, enumerable: true });
  },
};

/**
 * The session middleware (SPEC §7 `sessioner`): loads the request's session, exposes it as
 * `req.session` / `req.sessionID`, and commits it before the first byte of the response.
 * Store errors and a privileged-area refusal reach `next(err)` as a `SpartanError`.
 */
export function createSessioner(manager: SessionManager): RequestHandler {
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
    Object.defineProperty(req, 'session', SESSION);
    Object.defineProperty(req, 'sessionID', SESSION_ID);
    holdResponseUntilCommitted(res, context, next);
    // After attaching: the error page of a refused privileged request still has its session.
    failure = context.accessError;
  } catch (error) {
    failure = error;
  }
  if (failure === null) next();
  else next(failure);
}
