import type { CsrfGuard, CsrfOptions, CsrfRequest } from '@spartan-sessions/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { exchangeOf } from './internal/exchange.js';

/**
 * The CSRF middleware (SPEC §7 `csrf({ cookie })`): verifies unsafe requests (origin, then
 * token) and exposes `req.csrfToken()`. Refusals reach `next(err)` as a `SpartanError`
 * (`sessions/cross-origin-request`, `sessions/csrf-invalid`, 403).
 *
 * `req.csrfToken()` is synchronous, as csurf's is, while core issues tokens asynchronously
 * (the double-submit secret is sealed with WebCrypto): the middleware issues the request's token
 * up front and `req.csrfToken()` returns it. Like csurf, this gives every visitor passing through
 * a CSRF secret (in the session, or in the sealed cookie).
 */
export function createCsrfMiddleware(guard: CsrfGuard, options: CsrfOptions): RequestHandler {
  const synchronizer = !options.cookie;
  return function csrf(req: Request, res: Response, next: NextFunction): void {
    void protect(guard, synchronizer, req, res, next);
  };
}

/** Never rejects: every outcome is a `next()` call. */
async function protect(
  guard: CsrfGuard,
  synchronizer: boolean,
  req: Request,
  res: Response,
  next: NextFunction,
): Promise<void> {
  let token: string;
  try {
    const exchange = exchangeOf(req, res);
    const request: CsrfRequest = { view: exchange.view, jar: exchange.jar };
    // Synchronizer tokens live in the session: the request's SessionContext holds the secret.
    // Without the sessioner core refuses with an error that says to install it.
    if (synchronizer && exchange.context !== null) request.session = exchange.context;
    await guard.verify(request);
    token = await guard.issueToken(request);
  } catch (error) {
    next(error);
    return;
  }
  req.csrfToken = () => token;
  next();
}
