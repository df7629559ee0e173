/**
 * `@spartan-sessions/core/adapter`: what an adapter for a web framework needs, and an
 * application does not. An adapter translates; every decision is core's. The calls it makes, in
 * order, are described in docs/adapters.md: `new SpartanCore(options)` once, then per request a
 * `RequestScope` (`startSession`, `refusal`, `csrf`, `beforeSend`, `failureResponse`).
 */

export { callWithCallback, type NodeCallback, withCallback } from '../session/callbacks.js';
export { SessionContext } from '../session/context.js';
export type { MaybePromise } from '../session/maybe.js';
export { isPromiseLike } from '../session/maybe.js';
export { RequestScope } from './request-scope.js';
export { createSpartanCore, SpartanCore, type SpartanCoreOptions } from './setup.js';
