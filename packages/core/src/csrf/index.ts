export type { CsrfGuardMode, CsrfGuardOptions, CsrfRejectionReason } from './guard.js';
export { createCsrfGuard, csrfCookieName, isSafeMethod } from './guard.js';
export type { CsrfOptions } from './options.js';
export { validateCsrfOptions } from './options.js';
export type { OriginCheck, OriginCheckResult, OriginPolicy, OriginRejectionReason } from './origin.js';
export { checkRequestOrigin, createOriginCheck, normalizeOrigin } from './origin.js';
export { createCsrfSecret, isCsrfSecret, maskCsrfToken, readSubmittedToken, verifyCsrfToken } from './token.js';
