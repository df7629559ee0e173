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

/** Runs store calls, each within the same timeout (see `createDeadlines`). */
export type DeadlineRunner = <T>(operation: string, body: (deadline: Deadline) => Promise<T>) => Promise<T>;

interface PendingCall {
  readonly at: number;
  expired: boolean;
  readonly operation: string;
  readonly reject: (error: SpartanError) => void;
}

/**
 * A runner whose calls each reject with `sessions/store-unavailable` (`timeout`) after
 * `timeoutMs`, marking their deadline expired so no further command of the call is sent. All
 * calls share one timeout, so their deadlines come in call order: one timer watches the oldest
 * pending call (a timer, a race and two promises per call are measurable on the returning
 * visitor's path).
 */
export function createDeadlines(timeoutMs: number): DeadlineRunner {
  const pending = new Set<PendingCall>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const arm = (): void => {
    if (timer !== null) return;
    const oldest = pending.values().next();
    if (oldest.done) return;
    timer = setTimeout(sweep, Math.max(0, oldest.value.at - Date.now()));
    // A pending timer must not keep a process alive on its own.
    timer.unref?.();
  };
  const sweep = (): void => {
    timer = null;
    const now = Date.now();
    for (const call of pending) {
      if (call.at > now) break;
      pending.delete(call);
      call.expired = true;
      call.reject(
        storeUnavailable(call.operation, 'timeout', new StoreTimeout(`${call.operation} exceeded ${timeoutMs} ms`)),
      );
    }
    arm();
  };
  return <T>(operation: string, body: (deadline: Deadline) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const call: PendingCall = { at: Date.now() + timeoutMs, expired: false, operation, reject };
      pending.add(call);
      arm();
      let result: Promise<T>;
      try {
        result = body(call);
      } catch (error) {
        result = Promise.reject(error);
      }
      result.then(
        (value) => {
          if (pending.delete(call)) resolve(value);
        },
        (error: unknown) => {
          if (!pending.delete(call)) return;
          reject(error instanceof SpartanError ? error : storeUnavailable(operation, reasonOf(error), error));
        },
      );
    });
}

/** Throws when the call's time is up, so a late continuation sends nothing more. */
export function checkDeadline(deadline: Deadline): void {
  if (deadline.expired) throw new StoreTimeout('deadline passed');
}
