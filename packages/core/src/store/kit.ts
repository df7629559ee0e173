// `@spartan-sessions/core/store`: what every store package shares — the deadline its calls run
// under, the errors they fail with, and the argument checks the conformance suite holds every
// store to. One copy here instead of one per store.
import { SpartanError } from '../errors/errors.js';
import { createDeadlineRunner, type Deadline, type DeadlineRunner } from '../session/store-call.js';

export {
  createDeadlineRunner,
  DEFAULT_STORE_TIMEOUT_MS,
  type Deadline,
  type DeadlineErrors,
  type DeadlineRunner,
} from '../session/store-call.js';
export {
  applySessionChanges,
  assertStoredSessionChanges,
  assertStoreUpdateOptions,
  decodeSessionChanges,
  decodeSessionChangesList,
  encodeSessionChanges,
} from './changes.js';
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
} from './validate.js';

/**
 * Why a store call failed, as `SpartanError.details.reason` (safe to log). Stores use these
 * where they fit and may add their own (`'not-replicated'`, `'write-concern'`, …).
 */
export type StoreFailureReason =
  | 'invalid-argument'
  | 'timeout'
  | 'connection'
  | 'contention'
  | 'corrupt-record'
  | (string & {});

/** What a store's errors say about the store: a short id for `details.store` and a name for messages. */
export interface StoreIdentity {
  /** In `details.store`, e.g. `'redis'`, `'mongo'`. */
  id: string;
  /** In messages, e.g. `'Redis'`, `'MongoDB'`. */
  label: string;
}

/** The error a deadline's end is recorded as, in `cause` (also thrown by `checkDeadline`). */
export class StoreTimeout extends Error {
  override readonly name = 'StoreTimeout';
}

/**
 * A copy of `cause` holding only its name, message and (when it is a string or number) its
 * `code`: drivers attach the failed command to their errors (ioredis `err.command.args`, the
 * MongoDB driver's `errInfo`, `keyValue`, the write's documents), which hold session keys and
 * records. Stores whose driver puts values into the message itself sanitize it before.
 */
export function sanitizeCause(cause: unknown): Error {
  if (!(cause instanceof Error)) return new Error(typeof cause === 'string' ? cause : 'non-error rejection');
  const copy = new Error(cause.message) as Error & { code?: string | number };
  copy.name = cause.name;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') copy.code = code;
  return copy;
}

/** The errors of one store package, all `sessions/store-unavailable` (503: core fails closed). */
export interface StoreErrors {
  /** A failure of `operation`, with a reason safe to log; `cause` is kept sanitized. */
  unavailable(operation: string, reason: StoreFailureReason, cause?: unknown): SpartanError;
  /**
   * A bad argument that core's checks (`assertStoreKey`, …) do not judge, shaped like theirs:
   * `problem` names the argument, never its value (keys are session-id hashes, data is the user's).
   */
  invalidArgument(operation: string, argument: string, problem: string): SpartanError;
  /**
   * The runner of the store's calls: each rejects with `unavailable(operation, 'timeout')` after
   * `timeoutMs` and marks its deadline expired (see `checkDeadline`), so no further command of
   * the call is sent; a `SpartanError` passes through; any other failure becomes
   * `unavailable(operation, reasonOf(error), causeOf(error))`. `causeOf` (default: the error
   * itself) lets a store drop what its driver's messages quote of the operation's values before
   * the cause is kept (`sanitizeCause` keeps the message).
   */
  deadlines(
    timeoutMs: number,
    reasonOf: (error: unknown) => StoreFailureReason,
    causeOf?: (error: unknown) => unknown,
  ): DeadlineRunner;
}

/** The errors of the store `identity` (see `StoreErrors`). */
export function createStoreErrors(identity: StoreIdentity): StoreErrors {
  const unavailable = (operation: string, reason: StoreFailureReason, cause?: unknown): SpartanError =>
    new SpartanError(
      'sessions/store-unavailable',
      reason === 'timeout' ? `${identity.label} store did not answer in time` : `${identity.label} store unavailable`,
      { store: identity.id, operation, reason },
      cause === undefined ? undefined : { cause: sanitizeCause(cause) },
    );
  return {
    unavailable,
    invalidArgument: (operation, argument, problem) =>
      new SpartanError('sessions/store-unavailable', `Invalid session store argument: ${problem}`, {
        store: identity.id,
        operation,
        reason: 'invalid-argument',
        argument,
      }),
    deadlines: (timeoutMs, reasonOf, causeOf = (error) => error) =>
      createDeadlineRunner(timeoutMs, {
        timeout: (operation) =>
          unavailable(operation, 'timeout', new StoreTimeout(`${operation} exceeded ${timeoutMs} ms`)),
        failure: (operation, error) =>
          error instanceof SpartanError
            ? error
            : error instanceof StoreTimeout
              ? unavailable(operation, 'timeout', error)
              : unavailable(operation, reasonOf(error), causeOf(error)),
      }),
  };
}

/** Throws when the call's time is up, so a late continuation of a call sends nothing more. */
export function checkDeadline(deadline: Deadline): void {
  if (deadline.expired) throw new StoreTimeout('deadline passed');
}
