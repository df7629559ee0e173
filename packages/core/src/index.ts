export { type CookieOptions, CookiePolicy } from './cookie/cookie-policy.js';
export {
  type ClearCookieParams,
  type ClearedCookie,
  type CookieReader,
  type CookieTools,
  type CookieToolsOptions,
  createCookieTools,
  decodeCookieValue,
  encodeCookieValue,
  type MadeCookie,
  type MakeCookieParams,
} from './cookie/cookie-tools.js';
export { MAX_COOKIE_BYTES, parseCookieHeader, readCookie, serializeCookie } from './cookie/serialize.js';
export { isSecureRequest, requestOrigin, type TransportPolicy } from './cookie/transport.js';
export { createWebCrypto, type SessionCrypto, webCrypto } from './crypto/crypto.js';
export { base64urlDecode, base64urlEncode, timingSafeEqual } from './crypto/encoding.js';
export { MIN_SECRET_LENGTH, normalizeSecrets } from './crypto/secrets.js';
export {
  type CsrfGuardMode,
  type CsrfGuardOptions,
  type CsrfOptions,
  type CsrfRejectionReason,
  checkRequestOrigin,
  createCsrfGuard,
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
} from './csrf/index.js';
export type { SpartanErrorCode, SpartanErrorDetails } from './errors/errors.js';
export { ERROR_CODES, isSpartanError, SpartanError } from './errors/errors.js';
export type { Policy, PolicyConfig, PolicyInput } from './policy/policy.js';
export { defaultPolicy, parsePolicy } from './policy/policy.js';
export * from './ports.js';
export { SessionContext } from './session/context.js';
export { keyHashOf, SessionIdCodec, type SessionIdentity, type VerifiedCookie } from './session/ids.js';
export { matchesPrefix, SessionManager, type SessionManagerOptions } from './session/manager.js';
export type { MaybePromise } from './session/maybe.js';
export {
  RESERVED_SESSION_KEYS,
  Session,
  type SessionCallback,
  type SessionMeta,
  type UserSessionInfo,
} from './session/session.js';
export type { SessionCookieWriter } from './session/session-cookie.js';
export {
  createDeadlineRunner,
  DEFAULT_STORE_TIMEOUT_MS,
  type Deadline,
  type DeadlineErrors,
  type DeadlineRunner,
} from './session/store-call.js';
export { MemoryStore, type MemoryStoreOptions, type MemoryStoreStats } from './store/memory-store.js';
export {
  assertExpectedVersion,
  assertExpiresAt,
  assertRotationKeys,
  assertStoredSession,
  assertStoreKey,
  assertStoreRotateOptions,
  assertStoreSetOptions,
  assertUserId,
  validateStoredSession,
} from './store/validate.js';
