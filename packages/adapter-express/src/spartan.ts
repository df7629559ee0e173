import type { CsrfOptions } from '@spartan-sessions/core';
import type { SpartanCore } from '@spartan-sessions/core/adapter';
import { type NodeSpartanOptions, nodeSpartanCore } from '@spartan-sessions/core/node';
import type { RequestHandler } from 'express';
import { type CookieMaker, type CookieMonster, type CookieReaderFactory, createCookieFunctions } from './cookies.js';
import { createCsrfMiddleware, createSessioner } from './middleware.js';

/** Options of `spartan(...)` (SPEC §7): core's, with `policy` also accepted as a file path. */
export type SpartanOptions = NodeSpartanOptions;

/** The module object's `sessions` (SPEC §7). */
export interface ExpressSessions {
  /** The session middleware: `app.use(sessions.sessioner)`. */
  sessioner: RequestHandler;
  /** Sets a cookie under the policy (httpOnly/secure/sameSite forced, prefix added). */
  cookieMaker: CookieMaker;
  /** Expires a cookie with the matching path/domain/prefix. */
  cookieMonster: CookieMonster;
  /** Reads request cookies under their policy names: `get(name)`, `sealed(name)`. */
  cookieReader: CookieReaderFactory;
  /** CSRF middleware: `cookie: true` double submit, `cookie: false` synchronizer (after the sessioner). */
  csrf(options: CsrfOptions): RequestHandler;
}

/** What `spartan(...)` returns. */
export interface SpartanExpress {
  sessions: ExpressSessions;
  /** The session engine, e.g. for `manager.revokeUser(userId)`. */
  manager: SpartanCore['manager'];
}

/**
 * Sets spartan-sessions up for Express 4 or 5. Throws `sessions/disabled-by-policy`,
 * `sessions/invalid-policy`, `sessions/missing-secret`, `sessions/weak-secret` or
 * `sessions/option-type-incorrect`.
 */
export function spartan(options: SpartanOptions): SpartanExpress {
  const core = nodeSpartanCore(options);
  const sessions: ExpressSessions = {
    sessioner: createSessioner(core),
    ...createCookieFunctions(core),
    csrf: (csrfOptions) => createCsrfMiddleware(core, core.csrfGuard(csrfOptions)),
  };
  return { sessions, manager: core.manager };
}
