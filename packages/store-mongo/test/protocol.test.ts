// The order of operations of rotate, destroy and listByUser, and what the store makes of each
// answer. The collection is a recording stand-in answering with scripted results (it evaluates no
// query: the filters' meaning is checked by semantics.test.ts, the whole against a server by
// conformance.test.ts with MONGO_URL).
import { makeStoredSession } from '@spartan-sessions/core/testing';
import { type Collection, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { MongoStore } from '../src/index.js';
import {
  beginRotationUpdate,
  movedFilter,
  restoreUpdate,
  type SessionDocument,
  toReplacement,
} from '../src/internal/documents.js';
import { cursorOf, type StubCollection, stubCollection } from './support/stub.js';

const NOW = Date.UTC(2026, 5, 1);
const clock = { now: () => NOW };
const HOUR = 3_600_000;
const storeOver = (stub: StubCollection) =>
  new MongoStore({ collection: stub as unknown as Collection, clock, createIndexes: false });
const duplicateKey = () => new MongoServerError({ message: 'E11000', code: 11000, codeName: 'DuplicateKey' });
const document = (key: string, overrides: Partial<SessionDocument> = {}, userId: string | null = 'alice') => ({
  _id: key,
  ...toReplacement(makeStoredSession({ userId }), NOW + HOUR),
  ...overrides,
});

describe('rotate', () => {
  const rotate = (store: MongoStore) =>
    store.rotate('old', 'new', makeStoredSession({ userId: 'alice' }), { expiresAt: NOW + HOUR, expectedVersion: 1 });

  it('marks the old record, creates the new one create-only, then deletes the marked old record', async () => {
    const stub = stubCollection({
      updateOne: async () => ({ matchedCount: 1 }),
      replaceOne: async () => ({ matchedCount: 0, upsertedCount: 1 }),
      deleteOne: async () => ({ deletedCount: 1 }),
    });
    expect(await rotate(storeOver(stub))).toBe(true);
    expect(stub.updateOne.mock.calls[0]?.slice(0, 2)).toEqual([
      { _id: 'old', version: 1, expiresAt: { $gt: new Date(NOW) }, movedTo: { $exists: false } },
      beginRotationUpdate('new'),
    ]);
    expect(stub.replaceOne.mock.calls[0]?.[0]).toEqual({ _id: 'new', expiresAt: { $lte: new Date(NOW) } });
    expect(stub.replaceOne.mock.calls[0]?.[2]).toMatchObject({ upsert: true });
    expect(stub.deleteOne.mock.calls[0]?.[0]).toEqual(movedFilter('old', 'new'));
  });

  it('fails without creating anything when the old record is not there at that version', async () => {
    const stub = stubCollection({ updateOne: async () => ({ matchedCount: 0 }) });
    expect(await rotate(storeOver(stub))).toBe(false);
    expect(stub.replaceOne).not.toHaveBeenCalled();
  });

  it('a taken new key (E11000): unmarks the old record and fails; the old record is not deleted', async () => {
    const stub = stubCollection({
      updateOne: async () => ({ matchedCount: 1 }),
      replaceOne: async () => {
        throw duplicateKey();
      },
    });
    expect(await rotate(storeOver(stub))).toBe(false);
    expect(stub.updateOne.mock.calls[1]?.slice(0, 2)).toEqual([movedFilter('old', 'new'), restoreUpdate()]);
    expect(stub.deleteOne).not.toHaveBeenCalled();
  });

  it('a create that fails otherwise leaves the old record marked (the session ends) and rejects', async () => {
    const stub = stubCollection({
      updateOne: async () => ({ matchedCount: 1 }),
      replaceOne: async () => {
        throw new MongoServerError({ message: 'not primary', code: 10107, codeName: 'NotWritablePrimary' });
      },
    });
    await expect(rotate(storeOver(stub))).rejects.toMatchObject({ details: { reason: 'no-primary' } });
    expect(stub.updateOne).toHaveBeenCalledTimes(1);
  });
});

describe('destroy', () => {
  it('a plain record: one findOneAndDelete, nothing else', async () => {
    const stub = stubCollection({ findOneAndDelete: async () => document('k') });
    await storeOver(stub).destroy('k');
    expect(stub.findOneAndDelete.mock.calls[0]?.[0]).toEqual({ _id: 'k' });
    expect(stub.findOneAndReplace).not.toHaveBeenCalled();
  });

  it('a moved record: its target is replaced by a tombstone (upsert), and a chain is followed', async () => {
    const targets = [document('b', { movedTo: 'c' }), null];
    const stub = stubCollection({
      findOneAndDelete: async () => document('a', { movedTo: 'b' }),
      findOneAndReplace: async () => targets.shift(),
    });
    await storeOver(stub).destroy('a');
    expect(stub.findOneAndReplace.mock.calls.map((call) => call[0])).toEqual([{ _id: 'b' }, { _id: 'c' }]);
    const [, tombstone, options] = stub.findOneAndReplace.mock.calls[0] ?? [];
    expect(tombstone).toEqual({ tombstone: true, expiresAt: new Date(NOW + 60_000) });
    expect(options).toMatchObject({ upsert: true, returnDocument: 'before' });
  });

  it('follows at most 8 moves', async () => {
    let hop = 0;
    const stub = stubCollection({
      findOneAndDelete: async () => document('k0', { movedTo: 'k1' }),
      findOneAndReplace: async () => document(`k${++hop}`, { movedTo: `k${hop + 1}` }),
    });
    await storeOver(stub).destroy('k0');
    expect(stub.findOneAndReplace).toHaveBeenCalledTimes(8);
  });

  it('a tombstone upsert that races another insert (E11000) is tried once more', async () => {
    let attempt = 0;
    const stub = stubCollection({
      findOneAndDelete: async () => document('a', { movedTo: 'b' }),
      findOneAndReplace: async () => {
        if (++attempt === 1) throw duplicateKey();
        return document('b');
      },
    });
    await storeOver(stub).destroy('a');
    expect(stub.findOneAndReplace).toHaveBeenCalledTimes(2);
  });

  it('reads a driver 5 result ({ value, ok }) as the document', async () => {
    const stub = stubCollection({
      findOneAndDelete: async () => ({ value: document('a', { movedTo: 'b' }), ok: 1 }),
      findOneAndReplace: async () => ({ value: null, ok: 1 }),
    });
    await storeOver(stub).destroy('a');
    expect(stub.findOneAndReplace).toHaveBeenCalledTimes(1);
  });
});

describe('listByUser', () => {
  /** A stub whose user query answers `rounds` in turn (the last one again), and whose key query answers `targets`. */
  function listing(rounds: unknown[][], targets: unknown[] = []) {
    let round = 0;
    return stubCollection({
      find: (filter) =>
        cursorOf(
          (filter as { _id?: unknown })._id === undefined
            ? (rounds[Math.min(round++, rounds.length - 1)] ?? [])
            : targets,
        ),
    });
  }
  const record = (userId: string | null = 'alice') => makeStoredSession({ userId });

  it("queries the user's unexpired documents until a query finds no new key", async () => {
    const stub = listing([[document('a')], [document('a'), document('b')], [document('a'), document('b')]]);
    const listed = await storeOver(stub).listByUser('alice');
    expect(listed.map((entry) => entry.key).sort()).toEqual(['a', 'b']);
    expect(stub.find).toHaveBeenCalledTimes(3);
    expect(stub.find.mock.calls[0]?.[0]).toEqual({ userId: 'alice', expiresAt: { $gt: new Date(NOW) } });
  });

  it('an empty first query ends it', async () => {
    const stub = listing([[]]);
    expect(await storeOver(stub).listByUser('alice')).toEqual([]);
    expect(stub.find).toHaveBeenCalledTimes(1);
  });

  it('gives up with contention when every query finds new keys', async () => {
    let n = 0;
    const stub = stubCollection({ find: () => cursorOf([document(`k${n++}`)]) });
    await expect(storeOver(stub).listByUser('alice')).rejects.toMatchObject({
      details: { store: 'mongo', operation: 'listByUser', reason: 'contention' },
    });
  });

  it('a moved record whose target is listed: only the target', async () => {
    const stub = listing([[document('old', { movedTo: 'new' }), document('new')]]);
    expect(await storeOver(stub).listByUser('alice')).toEqual([{ key: 'new', record: record() }]);
  });

  it('a moved record whose target holds nothing yet (a rotation under way): the old record under the old key', async () => {
    const stub = listing([[document('old', { movedTo: 'new' })]], []);
    expect(await storeOver(stub).listByUser('alice')).toEqual([{ key: 'old', record: record() }]);
    expect(stub.find.mock.calls.at(-1)?.[0]).toEqual({ _id: { $in: ['new'] } });
  });

  it("a moved record whose target is this user's live record not listed yet: the target", async () => {
    const stub = listing([[document('old', { movedTo: 'new' })]], [document('new')]);
    expect(await storeOver(stub).listByUser('alice')).toEqual([{ key: 'new', record: record() }]);
  });

  it("a moved record whose target is a tombstone or another user's record: nothing", async () => {
    const tombstone = { _id: 'new', tombstone: true, expiresAt: new Date(NOW + 60_000) };
    for (const target of [tombstone, document('new', {}, 'bob')]) {
      const stub = listing([[document('old', { movedTo: 'new' })]], [target]);
      expect(await storeOver(stub).listByUser('alice')).toEqual([]);
    }
  });

  it('a record that moved on between two queries is not listed twice', async () => {
    const stub = listing([[document('old')], [document('old', { movedTo: 'new' }), document('new')]]);
    expect(await storeOver(stub).listByUser('alice')).toEqual([{ key: 'new', record: record() }]);
  });

  it("skips documents that hold another user's record, corrupt data or an expired target", async () => {
    const expiredTarget = document('gone', { expiresAt: new Date(NOW - 1) });
    const stub = listing(
      [[document('x', {}, 'bob'), document('y', { data: '{broken' }), document('old', { movedTo: 'gone' })]],
      [expiredTarget],
    );
    // The target expired before it was read: the rotation never completed, the old record is listed.
    expect(await storeOver(stub).listByUser('alice')).toEqual([{ key: 'old', record: record() }]);
  });
});
