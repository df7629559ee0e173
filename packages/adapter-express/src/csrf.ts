import type { CsrfGuard, CsrfOptions, CsrfRequest, CsrfTokenIssuer } from '@spartan-sessions/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { exchangeOf } from './internal/exchange.js';
import { exposeCsrfToken, installRequestAccessors } from './internal/request-accessors.js';
import { holdResponseUntilCommitted } from './internal/response-hooks.js';

/**
 * The CSRF middleware (SPEC §7 `csrf({ cookie })`): verifies unsafe requests (origin, then
 * token) and exposes `req.csrfToken()`. Refusals reach `next(err)` as a `SpartanError`
 * (`sessions/cross-origin-request`, `sessions/csrf-invalid`, 403).
 *
 * `req.csrfToken()` is synchronous, as csurf's is: the middleware loads the request's secret
 * (`guard.prepare`) without creating one, and the first `req.csrfToken()` creates it. A visitor
 * who never sees a form gets no session and no CSRF cookie. A double-submit cookie minted by
 * `req.csrfToken()` is sealed and written before the response's first byte.
 */
export function createCsrfMiddleware(guard: CsrfGuard, options: CsrfOptions): RequestHandler {
  installRequestAccessors();
  const synchronizer = !options.cookie;
  return function csrf(req: Request, res: Response, next: NextFunction): void {
    let request: CsrfRequest;
    let verifying: unknown;
    try {
      const exchange = exchangeOf(req, res);
      request = { view: exchange.view, jar: exchange.jar };
      // Synchronizer tokens live in the session: the request's SessionContext holds the secret.
      // Without the sessioner core refuses with an error that says to install it.
      if (synchronizer && exchange.context !== null) request.session = exchange.context;
      // Synchronous unless a double-submit cookie not seen before must be unsealed.
      verifying = guard.verifyNow(request);
    } catch (error) {
      refuse(req, res, next, error);
      return;
    }
    if (verifying instanceof Promise) {
      verifying.then(
        () => expose(guard, synchronizer, request, req, res, next),
        (error: unknown) => refuse(req, res, next, error),
      );
    } else {
      expose(guard, synchronizer, request, req, res, next);
    }
  };
}

/** A refused request leaves the session untouched (core's `refuse()`); the error goes to Express. */
function refuse(req: Request, res: Response, next: NextFunction, error: unknown): void {
  exchangeOf(req, res).context?.refuse();
  next(error);
}

/** Prepares the request's token issuer and exposes `req.csrfToken()`; every outcome is a `next()` call. */
function expose(
  guard: CsrfGuard,
  synchronizer: boolean,
  request: CsrfRequest,
  req: Request,
  res: Response,
  next: NextFunction,
): void {
  let preparing: CsrfTokenIssuer | Promise<CsrfTokenIssuer>;
  try {
    preparing = guard.prepareNow(request);
  } catch (error) {
    next(error);
    return;
  }
  const ready = (issuer: CsrfTokenIssuer): void => {
    try {
      const exchange = exchangeOf(req, res);
      exchange.csrfToken = () => issuer.token();
      exposeCsrfToken(req);
      if (!synchronizer) holdResponseUntilCommitted(res, { commitNow: () => issuer.flush() }, next);
    } catch (error) {
      next(error);
      return;
    }
    next();
  };
  if (preparing instanceof Promise) preparing.then(ready, next);
  else ready(preparing);
}
