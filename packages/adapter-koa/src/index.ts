/**
 * `@spartan-sessions/adapter-koa`: spartan-sessions for Koa 2 and 3.
 *
 * Adapters translate, core decides: this package turns a Koa context into core's
 * `RequestView` and `CookieJar`, commits the session after downstream middleware and before
 * Koa writes the response, and throws every `SpartanError` (with `status` and `expose`) for
 * Koa's error handling. It makes no security decision of its own.
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
export type {
  CookieCallback,
  CookieMaker,
  CookieMonster,
  CookieReaderFactory,
  KoaRequestLike,
  KoaResponseLike,
} from './cookies.js';
export { type KoaSessions, type SpartanKoa, type SpartanOptions, spartan } from './spartan.js';

/** What the sessioner and csrf() add to every Koa context. */
interface SpartanContext {
  /** The session (`sessioner`): data as plain properties, verbs on the prototype. */
  session: SessionWithData;
  /** A CSRF token for this response (`csrf()`): masked, different on every response. */
  csrfToken(): string;
}

// Typing by declaration merging. `ExtendableContext` is part of every Koa context type
// (`ParameterizedContext`, `Context`, @koa/router's `RouterContext`); `DefaultContext` is
// merged too, because its `[key: PropertyKey]: any` would otherwise widen the members to `any`.
declare module 'koa' {
  interface ExtendableContext extends SpartanContext {}
  interface DefaultContext extends SpartanContext {}
}
