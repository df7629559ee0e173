import { SpartanError } from '@spartan-sessions/core';

/** Why a store call failed, as `SpartanError.details.reason` (safe to log). */
export type FailureReason =
  | 'invalid-argument'
  | 'timeout'
  | 'redis-error'
  | 'connection'
  | 'contention'
  | 'not-replicated';

/** The budget of one store call; its Redis commands check it before they are sent. */
export interface Deadline {
  readonly expired: boolean;
}

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
 * Runs one store call within `timeoutMs`: rejects with `sessions/store-unavailable` when the
 * call fails or when the time is up, whatever ioredis does with its offline queue meanwhile
 * (a command queued while disconnected would otherwise wait for the reconnection). A call
 * still running when time is up sends no further command (`deadline.expired`).
 */
export async function withDeadline<T>(
  operation: string,
  timeoutMs: number,
  body: (deadline: Deadline) => Promise<T>,
): Promise<T> {
  const deadline = { expired: false };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      deadline.expired = true;
      reject(new StoreTimeout(`${operation} exceeded ${timeoutMs} ms`));
    }, timeoutMs);
    // A pending timer must not keep a process alive on its own.
    timer.unref?.();
  });
  try {
    // Promise.race subscribes to both promises, so the loser's later rejection is handled.
    return await Promise.race([body(deadline), timeout]);
  } catch (error) {
    if (error instanceof SpartanError) throw error;
    throw storeUnavailable(operation, reasonOf(error), error);
  } finally {
    clearTimeout(timer);
  }
}

/** Throws when the call's time is up, so a late continuation sends nothing more. */
export function checkDeadline(deadline: Deadline): void {
  if (deadline.expired) throw new StoreTimeout('deadline passed');
}
