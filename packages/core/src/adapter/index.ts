/**
 * `@spartan-sessions/core/adapter`: what an adapter for a web framework needs, and an
 * application does not. An adapter translates; every decision is core's. The calls it makes, in
 * order, are described in docs/adapters.md: `new SpartanCore(options)` once, then per request a
 * `RequestScope` (`startSession`, `refusal`, `csrf`, `beforeSend`, `failureResponse`).
 */
export { CookiePolicy } from '../cookie/cookie-policy.js';
export {
  type CookieTools,
  type CookieToolsOptions,
  createCookieTools,
  decodeCookieValue,
  encodeCookieValue,
} from '../cookie/cookie-tools.js';
export { MAX_COOKIE_BYTES, parseCookieHeader, readCookie, serializeCookie } from '../cookie/serialize.js';
export { isSecureRequest, requestOrigin, type TransportPolicy } from '../cookie/transport.js';
export { base64urlDecode, base64urlEncode, timingSafeEqual } from '../crypto/encoding.js';
export { normalizeSecrets } from '../crypto/secrets.js';
export {
  type CsrfRejectionReason,
  checkRequestOrigin,
  createCsrfSecret,
  createOriginCheck,
  csrfCookieName,
  isCsrfSecret,
  isSafeMethod,
  maskCsrfToken,
  normalizeOrigin,
  type OriginCheck,
  type OriginCheckResult,
  type OriginPolicy,
  type OriginRejectionReason,
  readSubmittedToken,
  validateCsrfOptions,
  verifyCsrfToken,
} from '../csrf/index.js';
export { callWithCallback, type NodeCallback, withCallback } from '../session/callbacks.js';
export { SessionContext } from '../session/context.js';
export { type SessionEnd, SessionIdCodec, type SessionIdentity, type VerifiedCookie } from '../session/ids.js';
export { matchesPrefix } from '../session/manager.js';
export { isPromiseLike } from '../session/maybe.js';
export { RESERVED_SESSION_KEYS } from '../session/session.js';
export type { SessionCookieWriter } from '../session/session-cookie.js';
export {
  type CookieMakerFor,
  type CookieMonsterFor,
  type CookieReaderFor,
  type CookieScopes,
  cookieFunctionsOver,
} from './cookie-functions.js';
export { RequestScope } from './request-scope.js';
export { createSpartanCore, SpartanCore, type SpartanCoreOptions } from './setup.js';
