export type { SpartanErrorCode, SpartanErrorDetails } from './errors/errors.js';
export { ERROR_CODES, isSpartanError, SpartanError } from './errors/errors.js';
export type { Policy, PolicyConfig, PolicyInput } from './policy/policy.js';
export { defaultPolicy, parsePolicy } from './policy/policy.js';
export * from './ports.js';
export { MemoryStore, type MemoryStoreOptions, type MemoryStoreStats } from './store/memory-store.js';
export {
  assertExpectedVersion,
  assertExpiresAt,
  assertStoredSession,
  assertStoreKey,
  assertStoreSetOptions,
  assertUserId,
  validateStoredSession,
} from './store/validate.js';
