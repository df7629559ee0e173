import { isSpartanError, SpartanError } from '../errors/errors.js';
import type {
  SessionStore,
  StoredSession,
  StoredSessionChanges,
  StoreRotateOptions,
  StoreSetOptions,
  StoreUpdateOptions,
} from '../ports.js';
import type { MaybePromise } from './maybe.js';

/** How long a store call may take before the request fails closed. @default 2000 ms */
export const DEFAULT_STORE_TIMEOUT_MS = 2000;

/** The budget of one call; a call of several commands checks it before sending the next one. */
export interface Deadline {
  readonly expired: boolean;
}

/** Runs calls, each bounded by the runner's timeout. */
export type DeadlineRunner = <T>(operation: string, body: (deadline: Deadline) => Promise<T>) => Promise<T>;

/** How a deadline runner turns a timeout or a failure into the error its callers get. */
export interface DeadlineErrors {
  timeout(operation: string, timeoutMs: number): Error;
  failure(operation: string, error: unknown): Error;
}

interface PendingCall {
  readonly at: number;
  expired: boolean;
  readonly operation: string;
  readonly reject: (error: Error) => void;
}

/**
 * A runner whose calls each reject after `timeoutMs` (marking their deadline expired), and whose
 * failures are mapped by `errors`; a late answer after the timeout is ignored.
 *
 * Every call has the same timeout, so deadlines come in call order: one timer watches the
 * oldest pending call instead of one timer per call (a timer, a race and their promises per
 * request are measurable on the returning visitor's path). Store packages use it too.
 */
export function createDeadlineRunner(timeoutMs: number, errors: DeadlineErrors): DeadlineRunner {
  const pending = new Set<PendingCall>();
  let timer: ReturnType<typeof setTimeout> | null = null;

  const arm = (): void => {
    if (timer !== null) return;
    const oldest = pending.values().next();
    if (oldest.done) return;
    timer = setTimeout(sweep, Math.max(0, oldest.value.at - Date.now()));
    // Do not keep a process alive for a pending timer (Node returns an object with unref()).
    (timer as { unref?: () => void }).unref?.();
  };

  const sweep = (): void => {
    timer = null;
    const now = Date.now();
    for (const call of pending) {
      if (call.at > now) break;
      pending.delete(call);
      call.expired = true;
      call.reject(errors.timeout(call.operation, timeoutMs));
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
          // A late answer after the timeout is ignored: the call already failed closed.
          if (pending.delete(call)) resolve(value);
        },
        (error: unknown) => {
          if (pending.delete(call)) reject(errors.failure(operation, error));
        },
      );
    });
}

/** Runs one store call bounded by the caller's timeout. */
export type StoreCaller = <T>(operation: string, call: () => Promise<T>) => Promise<T>;

const STORE_ERRORS: DeadlineErrors = {
  timeout: (operation, timeoutMs) =>
    new SpartanError('sessions/store-unavailable', undefined, { operation, reason: 'timeout', timeoutMs }),
  failure: (operation, error) =>
    isSpartanError(error, 'sessions/store-unavailable')
      ? error
      : new SpartanError(
          'sessions/store-unavailable',
          undefined,
          { operation, reason: 'store-error' },
          { cause: error },
        ),
};

/**
 * A store caller whose calls each fail closed after `timeoutMs`: any failure or timeout
 * becomes `sessions/store-unavailable` (503). A store error is never read as "no session" (that
 * would log everyone out, or worse, let a revoked session live on), and never hangs a request.
 *
 * A `store` that bounds its calls itself (`SessionStore.callTimeout`) gets no second timer: its
 * calls are only mapped to `sessions/store-unavailable` when they fail.
 */
export function createStoreCaller(timeoutMs: number, store?: SessionStore): StoreCaller {
  if (boundsItsCalls(store)) {
    return <T>(operation: string, call: () => Promise<T>): Promise<T> => {
      const fail = (error: unknown): never => {
        throw STORE_ERRORS.failure(operation, error);
      };
      try {
        return call().catch(fail);
      } catch (error) {
        return Promise.reject(STORE_ERRORS.failure(operation, error));
      }
    };
  }
  const run = createDeadlineRunner(timeoutMs, STORE_ERRORS);
  return (operation, call) => run(operation, call);
}

/** Whether `store` declares a bound of its own on every call (a positive, finite `callTimeout`). */
function boundsItsCalls(store: SessionStore | undefined): boolean {
  const bound = store?.callTimeout;
  return typeof bound === 'number' && Number.isFinite(bound) && bound > 0;
}

/** The store calls of a request's load and commit, synchronous when the store offers it. */
export interface RecordCalls {
  /** Whether every call answers synchronously (the store's synchronous twins). */
  readonly synchronous: boolean;
  get(key: string): MaybePromise<StoredSession | null>;
  set(key: string, record: StoredSession, opts: StoreSetOptions): MaybePromise<boolean>;
  rotate(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions): MaybePromise<boolean>;
  destroy(key: string): MaybePromise<void>;
  /** The store's delta save (`SessionStore.update`), `null` when it has none. */
  readonly update:
    | ((key: string, changes: StoredSessionChanges, opts: StoreUpdateOptions) => MaybePromise<number | null>)
    | null;
}

/**
 * Record calls over `store`: its synchronous twins when it has all four (an in-process store:
 * nothing to time out, a throw becomes `store-unavailable` as a rejection would), else its
 * promise methods through `call` (bounded by the timeout).
 */
export function createRecordCalls(store: SessionStore, call: StoreCaller): RecordCalls {
  const { getSync, setSync, rotateSync, destroySync, updateSync, update } = store;
  if (
    typeof getSync === 'function' &&
    typeof setSync === 'function' &&
    typeof rotateSync === 'function' &&
    typeof destroySync === 'function' &&
    twinsAsSpecific(store)
  ) {
    return {
      synchronous: true,
      get(key) {
        try {
          return getSync.call(store, key);
        } catch (error) {
          throw STORE_ERRORS.failure('get', error);
        }
      },
      set(key, record, opts) {
        try {
          return setSync.call(store, key, record, opts);
        } catch (error) {
          throw STORE_ERRORS.failure('set', error);
        }
      },
      rotate(oldKey, newKey, record, opts) {
        try {
          return rotateSync.call(store, oldKey, newKey, record, opts);
        } catch (error) {
          throw STORE_ERRORS.failure('rotate', error);
        }
      },
      destroy(key) {
        try {
          destroySync.call(store, key);
        } catch (error) {
          throw STORE_ERRORS.failure('destroy', error);
        }
      },
      // In step with the other twins: a subclass overriding `update` alone has no delta save here.
      update:
        typeof updateSync === 'function' && depthOf(store, 'updateSync') <= depthOf(store, 'update')
          ? (key, changes, opts) => {
              try {
                return updateSync.call(store, key, changes, opts);
              } catch (error) {
                throw STORE_ERRORS.failure('update', error);
              }
            }
          : null,
    };
  }
  return {
    synchronous: false,
    get: (key) => call('get', () => store.get(key)),
    set: (key, record, opts) => call('set', () => store.set(key, record, opts)),
    rotate: (oldKey, newKey, record, opts) => call('rotate', () => store.rotate(oldKey, newKey, record, opts)),
    destroy: (key) => call('destroy', () => store.destroy(key)),
    update:
      typeof update === 'function'
        ? (key, changes, opts) => call('update', () => update.call(store, key, changes, opts))
        : null,
  };
}

/** How far up the prototype chain of `object` the member `name` is defined (0: on the object). */
function depthOf(object: object, name: string): number {
  let depth = 0;
  for (let at: object | null = object; at !== null; at = Object.getPrototypeOf(at) as object | null, depth++) {
    if (Object.hasOwn(at, name)) return depth;
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * Whether each synchronous twin is defined at least as close to the store as its promise
 * method. A subclass (or a wrapper object) that overrides `get` but not `getSync` — a
 * `MemoryStore` with logging, a test store that fails on demand — must have its override
 * called, so its store is used through the promise methods.
 */
function twinsAsSpecific(store: SessionStore): boolean {
  return (
    depthOf(store, 'getSync') <= depthOf(store, 'get') &&
    depthOf(store, 'setSync') <= depthOf(store, 'set') &&
    depthOf(store, 'rotateSync') <= depthOf(store, 'rotate') &&
    depthOf(store, 'destroySync') <= depthOf(store, 'destroy')
  );
}
