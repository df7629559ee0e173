/** A node-style callback, accepted as express-session and the original module do. */
export type NodeCallback<T = void> = (error: Error | null, result?: T) => void;

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * `promise`, also reported to `callback` when one is given (express-session's
 * `req.session.save(cb)`, the original module's `cookieMaker(req, res, params, cb)`). With a
 * callback the caller handles the error there, so the returned promise then never rejects (it
 * resolves `undefined` on failure) and is never an unhandled rejection.
 */
export function withCallback<T>(promise: Promise<T>, callback: NodeCallback<T> | undefined): Promise<T> {
  if (typeof callback !== 'function') return promise;
  promise.then(
    (value) => callback(null, value),
    (error: unknown) => callback(asError(error)),
  );
  return promise.catch(() => undefined as T);
}

/**
 * `run()`, its result or error also reported to `callback` when one is given (synchronously).
 * With a callback it never throws: the error goes to the callback and `undefined` is returned.
 */
export function callWithCallback<T>(run: () => T, callback: NodeCallback<T> | undefined): T {
  if (typeof callback !== 'function') return run();
  let result: T;
  try {
    result = run();
  } catch (error) {
    callback(asError(error));
    return undefined as T;
  }
  callback(null, result);
  return result;
}
