/**
 * Synchronous when it can be, asynchronous when it must be.
 *
 * A returning visitor's request on an in-process store needs no I/O: its cookie was verified
 * before, the store answers synchronously, node:crypto hashes synchronously. Written with
 * `async`/`await`, that request would still pay a promise and a microtask per step, and the
 * adapter would have to hold the response until a later tick (measured: docs/performance.md).
 * So the session's load and commit are written once, as generators that `yield` each value
 * that may be a promise, and `drive` runs them: step by step on the caller's stack while
 * every yielded value is plain, switching to `await` from the first promise on. One body of
 * logic serves both paths, so the two cannot drift apart.
 */

/** A value, or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** A body written for `drive`: it yields values that may be promises and gets them back settled. */
export type Steps<T> = Generator<unknown, T, unknown>;

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * `const x = yield* settle(maybe)`: `x` is the value, awaited only when it is a promise. A plain
 * value is returned at once instead of being yielded up through every `yield*` to `drive` and
 * sent back down. Each `yield*` still makes a generator object: the steps every returning
 * visitor takes (the cookie check, the store read, the write) spell it out instead,
 * `isPromiseLike(v) ? ((yield v) as T) : v`.
 */
export function* settle<T>(value: MaybePromise<T>): Steps<T> {
  return isPromiseLike(value) ? ((yield value) as T) : value;
}

/**
 * Runs `steps` to the end: returns its result synchronously when no step yielded a promise,
 * else a promise of it. An error thrown synchronously is thrown; once asynchronous, it rejects.
 */
export function drive<T>(steps: Steps<T>): MaybePromise<T> {
  let step = steps.next();
  while (!step.done) {
    if (isPromiseLike(step.value)) return finish(steps, step.value);
    step = steps.next(step.value);
  }
  return step.value;
}

async function finish<T>(steps: Steps<T>, first: PromiseLike<unknown>): Promise<T> {
  let pending: unknown = first;
  for (;;) {
    let step: IteratorResult<unknown, T>;
    if (isPromiseLike(pending)) {
      let settled: unknown;
      let failed = false;
      try {
        settled = await pending;
      } catch (error) {
        failed = true;
        settled = error;
      }
      step = failed ? steps.throw(settled) : steps.next(settled);
    } else {
      step = steps.next(pending);
    }
    if (step.done) return step.value;
    pending = step.value;
  }
}
