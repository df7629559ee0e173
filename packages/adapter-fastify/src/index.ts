/**
 * `@spartan-sessions/adapter-fastify`: spartan-sessions for Fastify 5.
 *
 * Adapters translate, core decides: this package turns Fastify requests and replies into core's
 * `RequestView` and `ResponseHeaders`, commits the session in an `onSend` hook before anything
 * is sent, and hands every `SpartanError` (with its `statusCode`) to Fastify's error handler.
 * It makes no security decision of its own.
 */
import type { SessionData, SessionWithData } from '@spartan-sessions/core';

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
export { type FastifySessions, type SpartanFastify, type SpartanOptions, spartan } from './spartan.js';

/** `request.session`: core's `Session` (data as plain properties, the verbs) plus `get`/`set`/`delete`. */
export type FastifySessionObject = SessionWithData & {
  /** A data value, `undefined` when absent (@fastify/session style). */
  get<Key extends keyof SessionData & string>(key: Key): SessionData[Key] | undefined;
  /** Sets a data value (names data can never take, such as the verbs, are ignored). */
  set<Key extends keyof SessionData & string>(key: Key, value: SessionData[Key]): void;
  /** Removes a data value. */
  delete(key: keyof SessionData & string): void;
};

// Typing by declaration merging (STYLE.md convention 11).
declare module 'fastify' {
  interface FastifyRequest {
    /** The session (`sessions.sessioner`), loaded in `onRequest`. */
    session: FastifySessionObject;
  }
  interface FastifyReply {
    /** A CSRF token for this response (`csrf()` hook): masked, different on every call. */
    csrfToken(): string;
  }
}
