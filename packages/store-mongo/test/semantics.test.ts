// The store's filters and update documents, run through mingo (an implementation of MongoDB's
// query and update language) against the documents the store writes: a wrong operator, a
// compare-and-set filter that can never match (or matches too much), or a field name MongoDB
// would refuse fails here, without a MongoDB server. What the server itself does (atomicity,
// E11000, the TTL monitor) is tested against a real one when MONGO_URL is set (conformance.test.ts).
import type { StoredSession } from '@spartan-sessions/core';
import { makeStoredSession, STORED_SESSION_TIME } from '@spartan-sessions/core/testing';
import { Query } from 'mingo';
import { update } from 'mingo/updater';
import { describe, expect, it } from 'vitest';
import {
  beginRotationUpdate,
  createFilter,
  fromDocument,
  INDEXES,
  incarnationFilter,
  keysFilter,
  liveFilter,
  movedFilter,
  restoreUpdate,
  type SessionDocument,
  type SessionFilter,
  tombstoneReplacement,
  toReplacement,
  userFilter,
  versionFilter,
} from '../src/internal/documents.js';
import { awkwardData, badFieldNames } from './support/fixtures.js';

const NOW = STORED_SESSION_TIME + 3_600_000;
const LATER = NOW + 3_600_000;

const matches = (filter: SessionFilter, document: SessionDocument): boolean =>
  new Query(filter).test(document as unknown as Record<string, unknown>);

function stored(key: string, record: StoredSession, expiresAt = LATER): SessionDocument {
  return { _id: key, ...toReplacement(record, expiresAt) };
}

/** Applies an update document as MongoDB would (mingo), returning the changed copy. */
function updated(document: SessionDocument, modifier: object): SessionDocument {
  const copy = structuredClone(document);
  update(copy as unknown as Record<string, unknown>, modifier);
  return copy;
}

const live = stored('k', makeStoredSession({ version: 3, userId: 'alice' }));
const expired = stored('k', makeStoredSession({ version: 3, userId: 'alice' }), NOW);
const moved = updated(live, beginRotationUpdate('new'));
const tombstone: SessionDocument = { _id: 'k', ...tombstoneReplacement(NOW, 60_000) };
const expiredTombstone: SessionDocument = { _id: 'k', ...tombstoneReplacement(NOW - 120_000, 60_000) };

describe('documents MongoDB can store', () => {
  it('no field name starts with "$" or holds "." in any document the store writes, whatever the data keys', () => {
    const record = makeStoredSession({ userId: 'alice', csrfSecret: 'c2VjcmV0', data: awkwardData() });
    for (const document of [stored('k', record), updated(stored('k', record), beginRotationUpdate('n')), tombstone]) {
      expect(badFieldNames(document)).toEqual([]);
    }
  });

  it('data with "$" and "." keys survives a MongoDB update of the document unchanged', () => {
    const record = makeStoredSession({ userId: 'alice', data: awkwardData() });
    const restored = updated(updated(stored('k', record), beginRotationUpdate('n')), restoreUpdate());
    expect(fromDocument(restored)).toEqual(record);
  });

  it('replacements carry no _id and no update operator (a replaceOne, not an update)', () => {
    for (const replacement of [toReplacement(makeStoredSession(), LATER), tombstoneReplacement(NOW, 1000)]) {
      expect('_id' in replacement).toBe(false);
      expect(Object.keys(replacement).filter((name) => name.startsWith('$'))).toEqual([]);
    }
  });
});

describe('compare-and-set filter (versionFilter)', () => {
  it('matches the live record under the key at the expected version', () => {
    expect(matches(versionFilter('k', 3, NOW), live)).toBe(true);
  });

  it('matches nothing else: another version, another key, expired by the store clock, moved, a tombstone', () => {
    expect(matches(versionFilter('k', 2, NOW), live)).toBe(false);
    expect(matches(versionFilter('k', 4, NOW), live)).toBe(false);
    expect(matches(versionFilter('other', 3, NOW), live)).toBe(false);
    expect(matches(versionFilter('k', 3, NOW), expired)).toBe(false);
    expect(matches(versionFilter('k', 3, LATER), live)).toBe(false);
    expect(matches(versionFilter('k', 3, NOW), moved)).toBe(false);
    expect(matches(versionFilter('k', 3, NOW), tombstone)).toBe(false);
  });

  it('judges expiry to the millisecond by the clock it is given', () => {
    expect(matches(versionFilter('k', 3, LATER - 1), live)).toBe(true);
    expect(matches(versionFilter('k', 3, LATER), live)).toBe(false);
  });
});

describe('create-only filter (createFilter, sent as an upsert)', () => {
  it('matches a document under the key only once it has expired: record, moved record, tombstone', () => {
    expect(matches(createFilter('k', NOW), expired)).toBe(true);
    expect(matches(createFilter('k', NOW), expiredTombstone)).toBe(true);
    expect(matches(createFilter('k', LATER), moved)).toBe(true);
  });

  it('never matches a live document (so the upsert inserts and hits E11000): record, moved, tombstone', () => {
    expect(matches(createFilter('k', NOW), live)).toBe(false);
    expect(matches(createFilter('k', NOW), moved)).toBe(false);
    expect(matches(createFilter('k', NOW), tombstone)).toBe(false);
    expect(matches(createFilter('k', NOW), { ...live, _id: 'other', expiresAt: new Date(0) })).toBe(false);
  });

  it('has _id as its only equality, so an upsert inserts exactly { _id, ...replacement }', () => {
    const equalities = Object.entries(createFilter('k', NOW)).filter(
      ([, value]) => typeof value !== 'object' || value === null || value instanceof Date,
    );
    expect(equalities).toEqual([['_id', 'k']]);
  });
});

describe('rotation', () => {
  it('begin marks the old record: it no longer reads as a record, no CAS matches it, movedFilter does', () => {
    expect(moved.movedTo).toBe('new');
    expect(fromDocument(moved)).toBeUndefined();
    expect(matches(versionFilter('k', 3, NOW), moved)).toBe(false);
    expect(matches(movedFilter('k', 'new'), moved)).toBe(true);
    expect(matches(movedFilter('k', 'elsewhere'), moved)).toBe(false);
    expect(matches(movedFilter('k', 'new'), live)).toBe(false);
  });

  it('a second begin of the same old record cannot match (one rotation wins)', () => {
    expect(matches(versionFilter('k', 3, NOW), updated(live, beginRotationUpdate('first')))).toBe(false);
  });

  it('restore gives back the record exactly as it was', () => {
    const restored = updated(moved, restoreUpdate());
    expect(restored).toEqual(live);
    expect(matches(versionFilter('k', 3, NOW), restored)).toBe(true);
  });
});

describe('other filters', () => {
  it('liveFilter matches any live document under the key, not an expired one', () => {
    for (const document of [live, moved, tombstone]) expect(matches(liveFilter('k', NOW), document)).toBe(true);
    expect(matches(liveFilter('k', NOW), expired)).toBe(false);
    expect(matches(liveFilter('k', NOW), expiredTombstone)).toBe(false);
  });

  it('incarnationFilter matches the document read, not one a create put there since', () => {
    expect(matches(incarnationFilter(expired), expired)).toBe(true);
    expect(matches(incarnationFilter(expired), stored('k', makeStoredSession({ version: 1 })))).toBe(false);
  });

  it("userFilter matches the user's live records and moved records only", () => {
    const anonymous = stored('anon', makeStoredSession({ userId: null }));
    const prefix = stored('al', makeStoredSession({ userId: 'al' }));
    expect(matches(userFilter('alice', NOW), live)).toBe(true);
    expect(matches(userFilter('alice', NOW), moved)).toBe(true);
    expect(matches(userFilter('alice', NOW), expired)).toBe(false);
    expect(matches(userFilter('alice', NOW), tombstone)).toBe(false);
    expect(matches(userFilter('alice', NOW), anonymous)).toBe(false);
    expect(matches(userFilter('al', NOW), live)).toBe(false);
    expect(matches(userFilter('al', NOW), prefix)).toBe(true);
  });

  it('a userId that looks like an operator is a plain value', () => {
    const document = stored('k', makeStoredSession({ userId: '$ne' }));
    expect(matches(userFilter('$ne', NOW), document)).toBe(true);
    expect(matches(userFilter('$ne', NOW), live)).toBe(false);
  });

  it('keysFilter matches exactly the documents under the keys given', () => {
    expect(matches(keysFilter(['a', 'k']), live)).toBe(true);
    expect(matches(keysFilter(['a', 'b']), live)).toBe(false);
    expect(matches(keysFilter([]), live)).toBe(false);
  });
});

describe('indexes', () => {
  it('TTL on the Date field expiresAt with expireAfterSeconds 0, sparse on userId, names fixed', () => {
    expect(INDEXES).toEqual([
      { key: { expiresAt: 1 }, name: 'spartan_expiresAt_ttl', expireAfterSeconds: 0 },
      { key: { userId: 1 }, name: 'spartan_userId', sparse: true },
    ]);
    expect(live.expiresAt).toBeInstanceOf(Date);
    expect(tombstone.expiresAt).toBeInstanceOf(Date);
  });
});
