import { createStoreErrors, type StoreFailureReason } from '@spartan-sessions/core/store';

/** The errors of this store: every one `sessions/store-unavailable` (503), store `mongo`. */
export const MONGO_ERRORS = createStoreErrors({ id: 'mongo', label: 'MongoDB' });

/**
 * Errors are told apart by their `name` and `code`, never by `instanceof`: a mongoose connection
 * brings its own copy of the driver, whose error classes are not this package's.
 */
interface DriverErrorShape {
  name?: unknown;
  code?: unknown;
  codeName?: unknown;
  hasErrorLabel?: unknown;
}

/** Server error codes that mean "no primary to take this now" (a failover, a step-down). */
const NO_PRIMARY_CODES: ReadonlySet<number> = new Set([
  189, // PrimarySteppedDown
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
  91, // ShutdownInProgress
]);
/** MaxTimeMSExpired: the server stopped the operation at its `maxTimeMS`. */
const MAX_TIME_EXPIRED = 50;
/** DuplicateKey. */
const DUPLICATE_KEY = 11000;
/** IndexOptionsConflict, IndexKeySpecsConflict: an index on those keys exists with other options. */
const INDEX_CONFLICT_CODES: ReadonlySet<number> = new Set([85, 86]);

function shapeOf(error: unknown): DriverErrorShape {
  return typeof error === 'object' && error !== null ? (error as DriverErrorShape) : {};
}

/** The driver's write concern error (`MongoWriteConcernError`), or an error carrying one. */
function isWriteConcernError(error: unknown): boolean {
  if (shapeOf(error).name === 'MongoWriteConcernError') return true;
  const carried = (error as { writeConcernError?: unknown } | null)?.writeConcernError;
  return typeof carried === 'object' && carried !== null;
}

/**
 * The insert of a create-only write failed because the key is taken: the server's duplicate key
 * error (E11000) on the write itself. A write concern error never counts, whatever its code: the
 * write may not have been replicated, so it is a failure, never an answer.
 */
export function isDuplicateKey(error: unknown): boolean {
  if (isWriteConcernError(error)) return false;
  const { name, code } = shapeOf(error);
  return code === DUPLICATE_KEY && name === 'MongoServerError';
}

/** An index with those keys exists under another name or with other options (the user's own). */
export function isIndexConflict(error: unknown): boolean {
  const { name, code } = shapeOf(error);
  return name === 'MongoServerError' && typeof code === 'number' && INDEX_CONFLICT_CODES.has(code);
}

/**
 * Why a driver call failed, as `details.reason` (safe to log):
 * - `write-concern`: the write was not acknowledged as the client's write concern asks (for
 *   `w: 'majority'`: not on a majority) — never read as success;
 * - `no-primary`: no server could take the operation (server selection failed, a failover or
 *   step-down under way);
 * - `timeout`: the server stopped it at `maxTimeMS`, or the driver's own timeout;
 * - `connection`: the network, or a client that is closed or not connected;
 * - `mongo-error`: any other error the server answered with;
 * - `driver-error`: anything else the driver threw.
 */
export function reasonOf(error: unknown): StoreFailureReason {
  if (isWriteConcernError(error)) return 'write-concern';
  const shape = shapeOf(error);
  const name = typeof shape.name === 'string' ? shape.name : '';
  const code = typeof shape.code === 'number' ? shape.code : undefined;
  if (name === 'MongoServerSelectionError') return 'no-primary';
  if (name === 'MongoOperationTimeoutError' || name === 'MongoNetworkTimeoutError') return 'timeout';
  if (
    name === 'MongoNetworkError' ||
    name === 'MongoTopologyClosedError' ||
    name === 'MongoNotConnectedError' ||
    name === 'MongoClientClosedError' ||
    name === 'PoolClearedError' ||
    name === 'PoolClosedError'
  ) {
    return 'connection';
  }
  if (code !== undefined && NO_PRIMARY_CODES.has(code)) return 'no-primary';
  if (code === MAX_TIME_EXPIRED) return 'timeout';
  if (name === 'MongoServerError') return 'mongo-error';
  return 'driver-error';
}

/**
 * The cause kept for logs: a server error's message can quote the values of the operation (E11000
 * names the duplicate `_id`, a validation error the document), so it is replaced by its code
 * name; driver errors (network, selection) keep theirs (hosts and ports, no session data).
 */
export function safeCause(error: unknown): unknown {
  const shape = shapeOf(error);
  if (!(error instanceof Error)) return error;
  if (shape.name !== 'MongoServerError' && shape.name !== 'MongoWriteConcernError') return error;
  const copy = new Error(
    `${typeof shape.codeName === 'string' ? shape.codeName : 'server error'} (code ${String(shape.code ?? 'unknown')})`,
  );
  copy.name = error.name;
  return Object.assign(copy, typeof shape.code === 'number' ? { code: shape.code } : {});
}
