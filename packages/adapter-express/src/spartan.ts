import {
  type CsrfGuard,
  type CsrfGuardMode,
  type CsrfOptions,
  createCookieTools,
  createCsrfGuard,
  type Policy,
  type PolicyInput,
  SessionManager,
  type SessionManagerOptions,
  validateCsrfOptions,
} from '@spartan-sessions/core';
import { nodeCrypto, readPolicySync } from '@spartan-sessions/core/node';
import type { RequestHandler } from 'express';
import { type CookieMaker, type CookieMonster, type CookieReaderFactory, createCookieFunctions } from './cookies.js';
import { createCsrfMiddleware } from './csrf.js';
import { createSessioner } from './sessioner.js';

/** Options of `spartan(...)`: the `SessionManager`'s, with `policy` also accepted as a file path. */
export interface SpartanOptions extends Omit<SessionManagerOptions, 'policy'> {
  /**
   * A parsed policy (`parsePolicy`), a `security.json` document, or the path of a `security.json`
   * file (read synchronously, once, here).
   * @default every secure default of SPEC §3
   */
  policy?: Policy | PolicyInput | string | undefined;
}

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
  manager: SessionManager;
}

/**
 * Sets spartan-sessions up for Express 4 or 5. Throws `sessions/disabled-by-policy`,
 * `sessions/invalid-policy`, `sessions/missing-secret` or `sessions/weak-secret`.
 */
export function spartan(options: SpartanOptions): SpartanExpress {
  const { policy, ...managerOptions } = options;
  const manager = new SessionManager({
    // Synchronous node:crypto: a returning visitor's cookie is verified without a WebCrypto hop.
    crypto: nodeCrypto,
    ...managerOptions,
    policy: typeof policy === 'string' ? readPolicySync(policy) : policy,
  });
  const tools = createCookieTools({ policy: manager.policy, secrets: options.secrets });
  const guards = new Map<CsrfGuardMode, CsrfGuard>();
  const guardFor = (mode: CsrfGuardMode): CsrfGuard => {
    let guard = guards.get(mode);
    if (guard === undefined) {
      guard = createCsrfGuard({
        policy: manager.policy,
        secrets: options.secrets,
        mode,
        onEvent: options.onEvent,
        crypto: nodeCrypto,
        clock: options.clock,
      });
      guards.set(mode, guard);
    }
    return guard;
  };
  const sessions: ExpressSessions = {
    sessioner: createSessioner(manager),
    ...createCookieFunctions(tools),
    csrf(csrfOptions) {
      const checked = validateCsrfOptions(csrfOptions);
      return createCsrfMiddleware(guardFor(checked.cookie ? 'double-submit' : 'synchronizer'), checked);
    },
  };
  return { sessions, manager };
}
