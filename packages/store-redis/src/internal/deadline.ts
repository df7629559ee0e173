import { createDeadlineRunner, type Deadline, type DeadlineRunner, SpartanError } from '@spartan-sessions/core';

/** Why a store call failed, as `SpartanError.details.reason` (safe to log). */
export type FailureReason =
  | 'invalid-argument'
  | 'timeout'
  | 'redis-error'
  | 'connection'
  | 'contention'
  | 'not-replicated';

class StoreTimeout extends Error {
  override readonly name = 'StoreTimeout';
}

/** A `sessions/store-unavailable` error whose message and details never carry a key or data. */
export function storeUnavailable(operation: string, reason: FailureReason, cause?: unknown): SpartanError {
  return new SpartanError(
    'sessions/store-unavailable',
    reason === 'timeout' ? 'Redis store did not answer in time' : 'Redis store unavailable',
    { store: 'redis', operation, reason },
    cause === undefined ? undefined : { cause: sanitize(cause) },
  );
}

/** Shaped like core's store argument errors (`assertStoreKey`, …), for the checks it does not make. */
export function invalidArgument(operation: string, argument: string, problem: string): SpartanError {
  return new SpartanError('sessions/store-unavailable', `Invalid session store argument: ${problem}`, {
    store: 'redis',
    operation,
    reason: 'invalid-argument',
    argument,
  });
}

/**
 * ioredis attaches the failed command (`err.command.args`: session keys and records) to its
 * errors; the cause kept for logs holds only the error's name and message.
 */
function sanitize(cause: unknown): Error {
  if (!(cause instanceof Error)) return new Error(String(cause));
  const copy = new Error(cause.message);
  copy.name = cause.name;
  return copy;
}

function reasonOf(error: unknown): FailureReason {
  if (error instanceof StoreTimeout) return 'timeout';
  // ReplyError: Redis answered with an error (script error, CLUSTERDOWN, OOM, …). Everything
  // else (closed connection, MaxRetriesPerRequestError, ClusterAllFailedError) is the link.
  return error instanceof Error && error.name === 'ReplyError' ? 'redis-error' : 'connection';
}

/**
 * The runner of a store's calls: each rejects with `sessions/store-unavailable` (`timeout`)
 * after `timeoutMs` and marks its deadline expired, so no further command of the call is sent;
 * every other failure is mapped by `storeUnavailable` (core's single-timer deadline runner).
 */
export function createDeadlines(timeoutMs: number): DeadlineRunner {
  return createDeadlineRunner(timeoutMs, {
    timeout: (operation) =>
      storeUnavailable(operation, 'timeout', new StoreTimeout(`${operation} exceeded ${timeoutMs} ms`)),
    failure: (operation, error) =>
      error instanceof SpartanError ? error : storeUnavailable(operation, reasonOf(error), error),
  });
}

/** Throws when the call's time is up, so a late continuation sends nothing more. */
export function checkDeadline(deadline: Deadline): void {
  if (deadline.expired) throw new StoreTimeout('deadline passed');
}
