/**
 * The parts of the driver's `Collection` the store calls. The store is given the user's driver
 * objects (or a mongoose connection, which brings its own copy of the driver), so it relies on
 * these methods only, never on `instanceof`.
 */
export interface SessionCollection {
  readonly collectionName: string;
  findOne(filter: object, options: object): Promise<unknown>;
  find(filter: object, options: object): { toArray(): Promise<unknown[]> };
  replaceOne(
    filter: object,
    replacement: object,
    options: object,
  ): Promise<{ matchedCount: number; upsertedCount: number }>;
  updateOne(filter: object, update: object, options: object): Promise<{ matchedCount: number }>;
  deleteOne(filter: object, options: object): Promise<{ deletedCount: number }>;
  findOneAndDelete(filter: object, options: object): Promise<unknown>;
  findOneAndReplace(filter: object, replacement: object, options: object): Promise<unknown>;
  createIndexes(indexes: object[], options?: object): Promise<unknown>;
}

/** A `Db` as the store uses it. */
export interface DatabaseLike {
  collection(name: string): unknown;
}

/** A `MongoClient` as the store uses it. */
export interface ClientLike {
  db(name?: string): unknown;
  close(): Promise<void>;
}

/** A mongoose `Connection` as the store uses it (duck-typed: mongoose is no dependency). */
export interface MongooseConnectionLike {
  /** The connection's native `Db`, once it is open. */
  readonly db?: DatabaseLike | null | undefined;
  /** Resolves once the connection is open (mongoose 6 and later). */
  asPromise?(): Promise<unknown>;
}

const COLLECTION_METHODS = [
  'findOne',
  'find',
  'replaceOne',
  'updateOne',
  'deleteOne',
  'findOneAndDelete',
  'findOneAndReplace',
  'createIndexes',
] as const;

export function isCollectionLike(value: unknown): value is SessionCollection {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.collectionName === 'string' &&
    COLLECTION_METHODS.every((method) => typeof candidate[method] === 'function')
  );
}

export function isDatabaseLike(value: unknown): value is DatabaseLike {
  return (
    typeof value === 'object' && value !== null && typeof (value as { collection?: unknown }).collection === 'function'
  );
}

export function isClientLike(value: unknown): value is ClientLike {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { db?: unknown; close?: unknown };
  return typeof candidate.db === 'function' && typeof candidate.close === 'function';
}

export function isMongooseConnectionLike(value: unknown): value is MongooseConnectionLike {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { db?: unknown; asPromise?: unknown };
  return isDatabaseLike(candidate.db) || typeof candidate.asPromise === 'function';
}
