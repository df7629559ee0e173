import type { CsrfOptions, Policy, PolicyInput } from '@spartan-sessions/core';
import { SpartanCore, type SpartanCoreOptions } from '@spartan-sessions/core/adapter';
import { nodeCrypto, readPolicySync } from '@spartan-sessions/core/node';
import type { FastifyPluginCallback, preHandlerHookHandler } from 'fastify';
import { type CookieMaker, type CookieMonster, type CookieReaderFactory, createCookieFunctions } from './cookies.js';
import { createCsrfHook, createSessioner } from './plugin.js';

/** Options of `spartan(...)` (SPEC §7), with `policy` also accepted as a file path. */
export interface SpartanOptions extends Omit<SpartanCoreOptions, 'policy'> {
  /**
   * A parsed policy (`parsePolicy`), a `security.json` document, or the path of a `security.json`
   * file (read synchronously, once, here).
   * @default every secure default of SPEC §3
   */
  policy?: Policy | PolicyInput | string | undefined;
}

/** The module object's `sessions` (SPEC §7). */
export interface FastifySessions {
  /** The session plugin: `await app.register(sessions.sessioner)`. */
  sessioner: FastifyPluginCallback;
  /** Sets a cookie under the policy (httpOnly/secure/sameSite forced, prefix added). */
  cookieMaker: CookieMaker;
  /** Expires a cookie with the matching path/domain/prefix. */
  cookieMonster: CookieMonster;
  /** Reads request cookies under their policy names: `get(name)`, `sealed(name)`. */
  cookieReader: CookieReaderFactory;
  /** A CSRF `preHandler` hook: `cookie: true` double submit, `cookie: false` synchronizer (needs the sessioner). */
  csrf(options: CsrfOptions): preHandlerHookHandler;
}

/** What `spartan(...)` returns. */
export interface SpartanFastify {
  sessions: FastifySessions;
  /** The session engine, e.g. for `manager.revokeUser(userId)`. */
  manager: SpartanCore['manager'];
}

/**
 * Sets spartan-sessions up for Fastify 5. Throws `sessions/disabled-by-policy`,
 * `sessions/invalid-policy`, `sessions/missing-secret`, `sessions/weak-secret` or
 * `sessions/option-type-incorrect`.
 */
export function spartan(options: SpartanOptions): SpartanFastify {
  const policy = options?.policy;
  const core = new SpartanCore({
    // Synchronous node:crypto: a returning visitor's cookie is verified without a WebCrypto hop.
    crypto: nodeCrypto,
    ...options,
    policy: typeof policy === 'string' ? readPolicySync(policy) : policy,
  });
  const sessions: FastifySessions = {
    sessioner: createSessioner(core),
    ...createCookieFunctions(core),
    csrf: (csrfOptions) => createCsrfHook(core, core.csrfGuard(csrfOptions)),
  };
  return { sessions, manager: core.manager };
}
