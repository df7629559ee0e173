import type { StoredSession } from '@spartan-sessions/core';
import { describe, expect, it } from 'vitest';
import { decodeSession, encodeSession, encodeSessionBody, USER_ID_INDEX, userIdOf } from './codec.js';

const T = 1_767_225_600_000;

function session(overrides: Partial<StoredSession> = {}): StoredSession {
  return {
    version: 3,
    data: { passport: { user: 'u123' }, counter: 3 },
    createdAt: T,
    lastSeenAt: T + 90_000,
    rotatedAt: T,
    userId: null,
    authenticatedAt: null,
    zone: 'normal',
    csrfSecret: null,
    ...overrides,
  };
}

describe('the stored session encoding', () => {
  it('is a short JSON array: version and indexedUntil first, times after createdAt as offsets, trailing nulls left out', () => {
    expect(encodeSession(session())).toBe(`[3,0,null,${T},90000,0,0,{"passport":{"user":"u123"},"counter":3}]`);
    expect(encodeSession(session({ userId: 'u1', authenticatedAt: T + 5000, zone: 'privileged' }), 1767229200)).toBe(
      `[3,1767229200,"u1",${T},90000,0,1,{"passport":{"user":"u123"},"counter":3},5000]`,
    );
    expect(encodeSession(session({ csrfSecret: 's' }))).toBe(
      `[3,0,null,${T},90000,0,0,{"passport":{"user":"u123"},"counter":3},null,"s"]`,
    );
  });

  it('starts with the version and indexedUntil, as the compare-and-set script reads them (^%[(%d+),(%d+),)', () => {
    expect(encodeSession(session({ version: 12345 }), 99)).toMatch(/^\[12345,99,/);
    // The body is what the script appends to the head it settles.
    expect(`[3,0,${encodeSessionBody(session())}`).toBe(encodeSession(session()));
  });

  it('writes userId right after the head, as JSON.stringify writes it (the compare-and-set script compares that string)', () => {
    for (const userId of ['alice', 'ü "quoted" \\ {tag},', '']) {
      const value = encodeSession(session({ userId }), 42);
      expect(value.startsWith(`[3,42,${JSON.stringify(userId)},`)).toBe(true);
    }
  });

  it('keeps userId at the position the Lua scripts read', () => {
    const encoded = JSON.parse(encodeSession(session({ userId: 'alice' }))) as unknown[];
    expect(encoded[USER_ID_INDEX]).toBe('alice');
    expect(userIdOf(encodeSession(session({ userId: 'alice' })))).toBe('alice');
    expect(userIdOf(encodeSession(session()))).toBeNull();
    expect(userIdOf('not json')).toBeNull();
  });

  it('round-trips every field, with times that are not whole milliseconds stored absolute', () => {
    const records = [
      session(),
      session({ userId: 'ü {tag}', authenticatedAt: T - 1000, zone: 'privileged', csrfSecret: 'abc' }),
      session({ createdAt: T + 0.5, lastSeenAt: T + 0.25, rotatedAt: 1e-3, authenticatedAt: 0.1 }),
      session({ createdAt: -1, lastSeenAt: Number.MAX_SAFE_INTEGER, rotatedAt: 0 }),
      session({ data: {} }),
    ];
    for (const record of records) expect(decodeSession(encodeSession(record))).toEqual(record);
    expect(encodeSession(records[2]!)).toContain(`[${T + 0.25}]`);
  });

  it('reads a corrupt or foreign value as absent', () => {
    const valid = JSON.parse(encodeSession(session({ userId: 'u' }))) as unknown[];
    const corrupt = [
      '',
      'not json',
      '{"version":1}',
      '[]',
      JSON.stringify(valid.slice(0, 7)),
      JSON.stringify([0, ...valid.slice(1)]),
      JSON.stringify(['1', ...valid.slice(1)]),
      JSON.stringify([1, 'x', ...valid.slice(2)]),
      JSON.stringify([...valid.slice(0, 2), 7, ...valid.slice(3)]),
      JSON.stringify([...valid.slice(0, 3), 'x', ...valid.slice(4)]),
      JSON.stringify([...valid.slice(0, 4), 'x', ...valid.slice(5)]),
      JSON.stringify([...valid.slice(0, 6), 2, ...valid.slice(7)]),
      JSON.stringify([...valid.slice(0, 5), [], ...valid.slice(6)]),
      JSON.stringify([...valid.slice(0, 7), 7]),
      JSON.stringify([...valid, null, null, null]),
    ];
    for (const value of corrupt) expect(decodeSession(value), value).toBeUndefined();
  });
});
