import { makeStoredSession, STORED_SESSION_TIME } from '@spartan-sessions/core/testing';
import { describe, expect, it } from 'vitest';
import { awkwardData, badFieldNames } from '../../test/support/fixtures.js';
import { fromDocument, isExpired, toReplacement, UnserializableData } from './documents.js';

const NOW = STORED_SESSION_TIME + 60_000;

describe('toReplacement / fromDocument', () => {
  it('round-trips data whose keys hold "$" and "." exactly, with no such field name in the document', () => {
    const record = makeStoredSession({ userId: 'alice', data: awkwardData() });
    const document = { _id: 'k', ...toReplacement(record, NOW) };
    expect(badFieldNames(document)).toEqual([]);
    expect(typeof document.data).toBe('string');
    // Through BSON the data string is UTF-8: JSON has escaped the lone surrogate, so it survives.
    expect(document.data).toContain('\\ud800');
    expect(fromDocument(structuredClone(document))).toEqual(record);
  });

  it('omits userId for an anonymous session (the sparse index holds only signed-in ones) and reads it back as null', () => {
    const document = { _id: 'k', ...toReplacement(makeStoredSession({ userId: null }), NOW) };
    expect('userId' in document).toBe(false);
    expect(fromDocument(document)?.userId).toBeNull();
  });

  it('stores expiresAt as a Date rounded down to the millisecond (a session never outlives its end)', () => {
    expect(toReplacement(makeStoredSession(), NOW + 0.9).expiresAt).toEqual(new Date(NOW));
  });

  it('refuses data JSON cannot hold (a BigInt, a cycle)', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => toReplacement(makeStoredSession({ data: { big: 1n } }), NOW)).toThrow(UnserializableData);
    expect(() => toReplacement(makeStoredSession({ data: cyclic }), NOW)).toThrow(UnserializableData);
  });

  it('reads a moved record, a tombstone, corrupt data or a foreign document as no record', () => {
    const document = { _id: 'k', ...toReplacement(makeStoredSession(), NOW) };
    expect(fromDocument({ ...document, movedTo: 'other' })).toBeUndefined();
    expect(fromDocument({ _id: 'k', tombstone: true, expiresAt: new Date(NOW) })).toBeUndefined();
    expect(fromDocument({ ...document, data: '{not json' })).toBeUndefined();
    expect(fromDocument({ ...document, data: '[]' })).toBeUndefined();
    expect(fromDocument({ ...document, version: '1' })).toBeUndefined();
    expect(fromDocument({ _id: 'k', name: 'something else' })).toBeUndefined();
    expect(fromDocument(null)).toBeUndefined();
  });
});

describe('isExpired (the store clock decides)', () => {
  it('is expired at and after expiresAt, live before it, and expired without a Date', () => {
    const expiresAt = new Date(NOW);
    expect(isExpired({ expiresAt }, NOW - 1)).toBe(false);
    expect(isExpired({ expiresAt }, NOW)).toBe(true);
    expect(isExpired({ expiresAt }, NOW + 1)).toBe(true);
    expect(isExpired({ expiresAt: 'soon' as unknown as Date }, NOW - 1)).toBe(true);
  });
});
