import type { CsrfOptions } from '@spartan-sessions/core';
import type { SpartanCore } from '@spartan-sessions/core/adapter';
import { type NodeSpartanOptions, nodeSpartanCore } from '@spartan-sessions/core/node';
import type { FastifyPluginCallback, preHandlerHookHandler } from 'fastify';
import { type CookieMaker, type CookieMonster, type CookieReaderFactory, createCookieFunctions } from './cookies.js';
import { createCsrfHook, createSessioner } from './plugin.js';

/** Options of `spartan(...)` (SPEC §7): core's, with `policy` also accepted as a file path. */
export type SpartanOptions = NodeSpartanOptions;

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
  const core = nodeSpartanCore(options);
  const sessions: FastifySessions = {
    sessioner: createSessioner(core),
    ...createCookieFunctions(core),
    csrf: (csrfOptions) => createCsrfHook(core, core.csrfGuard(csrfOptions)),
  };
  return { sessions, manager: core.manager };
}
