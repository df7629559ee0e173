export type { SpartanErrorCode, SpartanErrorDetails } from './errors/errors.js';
export { ERROR_CODES, isSpartanError, SpartanError } from './errors/errors.js';
export type { Policy, PolicyConfig, PolicyInput } from './policy/policy.js';
export { defaultPolicy, parsePolicy } from './policy/policy.js';
export * from './ports.js';
