/**
 * `@spartan-sessions/adapter-express`: spartan-sessions for Express 4 and 5.
 *
 * Adapters translate, core decides: this package turns Express requests into core's
 * `RequestView` and `CookieJar`, holds the response until the session is committed, and hands
 * every `SpartanError` to `next(err)`. It makes no security decision of its own.
 */
import type { SessionWithData } from '@spartan-sessions/core';

export type {
  ClearCookieParams,
  ClearedCookie,
  CookieOptions,
  CookieReader,
  CsrfOptions,
  MadeCookie,
  MakeCookieParams,
  Policy,
  PolicyInput,
  Session,
  SessionData,
  SessionEvent,
  SessionMeta,
  SessionStore,
  SessionWithData,
  SpartanErrorCode,
} from '@spartan-sessions/core';
export { isSpartanError, SpartanError } from '@spartan-sessions/core';
export { fetchSecret } from '@spartan-sessions/core/node';
export type { CookieCallback, CookieMaker, CookieMonster, CookieReaderFactory } from './cookies.js';
export { type ExpressSessions, type SpartanExpress, type SpartanOptions, spartan } from './spartan.js';

// Typing by declaration merging (STYLE.md convention 11). The global `Express.Request` is the
// interface `express-serve-static-core`'s `Request` extends; merging there, rather than into
// the `express-serve-static-core` module, needs no resolvable path to that package (pnpm does
// not hoist it next to this package), the way `@types/passport` and `@types/express-session` do.
declare global {
  namespace Express {
    interface Request {
      /** The session (`sessioner`): data as plain properties, verbs on the prototype. */
      session: SessionWithData;
      /** The current session id (`sessioner`). */
      sessionID: string;
      /** A CSRF token for this response (`csrf()`): masked, different on every response. */
      csrfToken(): string;
    }
  }
}
