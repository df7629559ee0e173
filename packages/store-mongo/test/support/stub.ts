import { vi } from 'vitest';

/**
 * A stand-in for a driver `Collection` in unit tests: it records the calls the store makes and
 * answers each with what the test scripts (a canned result, or one of the driver's own errors).
 * It evaluates no query: what the filters mean is tested with mingo (semantics.test.ts), what a
 * server does with them against MongoDB itself (conformance.test.ts, with MONGO_URL).
 */
export type CollectionMethod =
  | 'findOne'
  | 'find'
  | 'replaceOne'
  | 'updateOne'
  | 'deleteOne'
  | 'findOneAndDelete'
  | 'findOneAndReplace'
  | 'createIndexes';

export type StubCollection = { collectionName: string } & Record<
  CollectionMethod,
  ReturnType<typeof vi.fn<(...args: unknown[]) => unknown>>
>;

export function stubCollection(
  answers: Partial<Record<CollectionMethod, (...args: unknown[]) => unknown>> = {},
  collectionName = 'sessions',
): StubCollection {
  const method = (name: CollectionMethod) =>
    vi.fn<(...args: unknown[]) => unknown>(
      answers[name] ??
        (name === 'createIndexes'
          ? async () => ['spartan_expiresAt_ttl', 'spartan_userId']
          : () => {
              throw new Error(`the test did not script ${name}`);
            }),
    );
  return {
    collectionName,
    findOne: method('findOne'),
    find: method('find'),
    replaceOne: method('replaceOne'),
    updateOne: method('updateOne'),
    deleteOne: method('deleteOne'),
    findOneAndDelete: method('findOneAndDelete'),
    findOneAndReplace: method('findOneAndReplace'),
    createIndexes: method('createIndexes'),
  };
}

/** A `find` answer: a cursor whose `toArray` resolves `documents`. */
export const cursorOf = (documents: unknown[]) => ({ toArray: async () => documents });
