import { isSpartanError, SpartanError } from '../errors/errors.js';

/** How long a store call may take before the request fails closed. @default 2000 ms */
export const DEFAULT_STORE_TIMEOUT_MS = 2000;

/**
 * Runs one store call bounded by `timeoutMs`. Any failure or timeout becomes
 * `sessions/store-unavailable` (503): a store error is never read as "no session" (that would
 * log everyone out, or worse, let a revoked session live on), and never hangs a request.
 */
export function callStore<T>(operation: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(new SpartanError('sessions/store-unavailable', undefined, { operation, reason: 'timeout', timeoutMs }));
    }, timeoutMs);
    // Do not keep a process alive for a pending timer (Node returns an object with unref()).
    (timer as { unref?: () => void }).unref?.();
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
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
