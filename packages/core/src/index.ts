/**
 * `@spartan-sessions/core`: what an application (and a store package) uses. What only adapters
 * need is in `@spartan-sessions/core/adapter`; Node-only helpers in `@spartan-sessions/core/node`;
 * test helpers and the conformance suites in `@spartan-sessions/core/testing`.
 */
export type { CookieOptions } from './cookie/cookie-policy.js';
export type {
  ClearCookieParams,
  ClearedCookie,
  CookieReader,
  MadeCookie,
  MakeCookieParams,
} from './cookie/cookie-tools.js';
export { createWebCrypto, type SessionCrypto, webCrypto } from './crypto/crypto.js';
export { MIN_SECRET_LENGTH } from './crypto/secrets.js';
export { type CsrfGuardMode, type CsrfGuardOptions, type CsrfOptions, createCsrfGuard } from './csrf/index.js';
export type { SpartanErrorCode, SpartanErrorDetails } from './errors/errors.js';
export { ERROR_CODES, isSpartanError, SpartanError } from './errors/errors.js';
export type { Policy, PolicyConfig, PolicyInput } from './policy/policy.js';
export { defaultPolicy, parsePolicy } from './policy/policy.js';
export * from './ports.js';
export { keyHashOf } from './session/ids.js';
export {
  defaultPassportUserId,
  type PassportOptions,
  type RevokeUserOptions,
  SessionManager,
  type SessionManagerOptions,
  type UserSessionSummary,
} from './session/manager.js';
export type { MaybePromise } from './session/maybe.js';
export {
  type CookieLifetime,
  Session,
  type SessionCallback,
  type SessionCookie,
  type SessionData,
  type SessionMeta,
  type SessionWithData,
  type UserSessionInfo,
} from './session/session.js';
// Store packages find the deadline runner and the store errors in `@spartan-sessions/core/store`
// (with the argument checks below, which stay here too).
export { DEFAULT_STORE_TIMEOUT_MS } from './session/store-call.js';
export {
  MemoryStore,
  type MemoryStoreEviction,
  type MemoryStoreEvictionListener,
  type MemoryStoreOptions,
  type MemoryStoreStats,
} from './store/memory-store.js';
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
