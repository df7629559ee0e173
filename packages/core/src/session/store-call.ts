import { isSpartanError, SpartanError } from '../errors/errors.js';

/** How long a store call may take before the request fails closed. @default 2000 ms */
export const DEFAULT_STORE_TIMEOUT_MS = 2000;

/** Runs one store call bounded by the caller's timeout. */
export type StoreCaller = <T>(operation: string, call: () => Promise<T>) => Promise<T>;

interface PendingCall {
  readonly deadline: number;
  readonly operation: string;
  readonly reject: (error: SpartanError) => void;
}

/**
 * A store caller whose calls each fail closed after `timeoutMs`: any failure or timeout
 * becomes `sessions/store-unavailable` (503). A store error is never read as "no session" (that
 * would log everyone out, or worse, let a revoked session live on), and never hangs a request.
 *
 * Every call has the same timeout, so deadlines come in call order: one timer watches the
 * oldest pending call instead of one timer per call (a timer per request is measurable on the
 * returning visitor's path).
 */
export function createStoreCaller(timeoutMs: number): StoreCaller {
  const pending = new Set<PendingCall>();
  let timer: ReturnType<typeof setTimeout> | null = null;

  const arm = (): void => {
    if (timer !== null) return;
    const oldest = pending.values().next();
    if (oldest.done) return;
    timer = setTimeout(sweep, Math.max(0, oldest.value.deadline - Date.now()));
    // Do not keep a process alive for a pending timer (Node returns an object with unref()).
    (timer as { unref?: () => void }).unref?.();
  };

  const sweep = (): void => {
    timer = null;
    const now = Date.now();
    for (const entry of pending) {
      if (entry.deadline > now) break;
      pending.delete(entry);
      entry.reject(
        new SpartanError('sessions/store-unavailable', undefined, {
          operation: entry.operation,
          reason: 'timeout',
          timeoutMs,
        }),
      );
    }
    arm();
  };

  return <T>(operation: string, call: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const entry: PendingCall = { deadline: Date.now() + timeoutMs, operation, reject };
      pending.add(entry);
      arm();
      let result: Promise<T>;
      try {
        result = call();
      } catch (error) {
        result = Promise.reject(error);
      }
      result.then(
        (value) => {
          // A late answer after the timeout is ignored: the request already failed closed.
          if (pending.delete(entry)) resolve(value);
        },
        (error: unknown) => {
          if (!pending.delete(entry)) return;
          reject(
            isSpartanError(error, 'sessions/store-unavailable')
              ? error
              : new SpartanError(
                  'sessions/store-unavailable',
                  undefined,
                  { operation, reason: 'store-error' },
                  { cause: error },
                ),
          );
        },
      );
    });
}

/** One store call bounded by `timeoutMs` (see `createStoreCaller`). */
export function callStore<T>(operation: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  return createStoreCaller(timeoutMs)(operation, call);
}
