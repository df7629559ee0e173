import type { StoredSession } from '@spartan-sessions/core';
import { describe, expect, it } from 'vitest';
import { decodeSession, encodeSession, USER_ID_INDEX, userIdOf } from './codec.js';

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
  const C = T.toString(36);

  it('is a short JSON array: version first, createdAt in base 36, other times as offsets, trailing defaults left out', () => {
    expect(C).toBe('mjuohs00');
    expect(encodeSession(session())).toBe(`[3,"${C}",{"passport":{"user":"u123"},"counter":3},null,null,90000]`);
    expect(encodeSession(session({ userId: 'u1', authenticatedAt: T + 5000, zone: 'privileged' }))).toBe(
      `[3,"${C}",{"passport":{"user":"u123"},"counter":3},"u1",5000,90000,0,1]`,
    );
    expect(encodeSession(session({ csrfSecret: 's' }))).toBe(
      `[3,"${C}",{"passport":{"user":"u123"},"counter":3},null,null,90000,0,0,"s"]`,
    );
    // A new session: every time equal to createdAt.
    expect(encodeSession(session({ lastSeenAt: T, data: {} }))).toBe(`[3,"${C}",{}]`);
    expect(encodeSession(session({ lastSeenAt: T, userId: 'user-6957', authenticatedAt: T, data: { n: 0 } }))).toBe(
      `[3,"${C}",{"n":0},"user-6957",0]`,
    );
  });

  it('starts with the version, as the compare-and-set script reads it (^%[(%d+),)', () => {
    expect(encodeSession(session({ version: 12345 }))).toMatch(/^\[12345,/);
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
      session({ createdAt: 0, lastSeenAt: 0 }),
      session({ createdAt: Number.MAX_SAFE_INTEGER, lastSeenAt: 0, rotatedAt: 0 }),
      session({ data: {} }),
      session({ lastSeenAt: T, userId: 'u', authenticatedAt: T }),
      session({ userId: null, authenticatedAt: T, csrfSecret: '' }),
    ];
    for (const record of records) expect(decodeSession(encodeSession(record))).toEqual(record);
    expect(encodeSession(records[2]!)).toContain(`[${T + 0.25}]`);
    expect(encodeSession(records[3]!)).toMatch(/^\[3,-1,/);
  });

  it('reads a corrupt or foreign value as absent', () => {
    const valid = JSON.parse(
      encodeSession(session({ userId: 'u', authenticatedAt: T, zone: 'privileged', csrfSecret: 's' })),
    ) as unknown[];
    expect(valid).toHaveLength(9);
    const corrupt = [
      '',
      'not json',
      '{"version":1}',
      '[]',
      JSON.stringify(valid.slice(0, 2)),
      JSON.stringify([0, ...valid.slice(1)]),
      JSON.stringify(['1', ...valid.slice(1)]),
      // createdAt: not base 36, not canonical, beyond 2^53
      JSON.stringify([1, 'X', ...valid.slice(2)]),
      JSON.stringify([1, '0mjuohs00', ...valid.slice(2)]),
      JSON.stringify([1, '', ...valid.slice(2)]),
      JSON.stringify([1, 'zzzzzzzzzzz', ...valid.slice(2)]),
      JSON.stringify([1, null, ...valid.slice(2)]),
      JSON.stringify([...valid.slice(0, 2), [], ...valid.slice(3)]),
      JSON.stringify([...valid.slice(0, 3), '', ...valid.slice(4)]),
      JSON.stringify([...valid.slice(0, 4), 'x', ...valid.slice(5)]),
      JSON.stringify([...valid.slice(0, 5), null, ...valid.slice(6)]),
      JSON.stringify([...valid.slice(0, 6), [1, 2], ...valid.slice(7)]),
      JSON.stringify([...valid.slice(0, 7), 2, ...valid.slice(8)]),
      JSON.stringify([...valid.slice(0, 8), 7]),
      JSON.stringify([...valid, null]),
      // The layout before 0.2 (createdAt a number, then lastSeenAt where data now is).
      `[3,${T},90000,0,0,{"passport":{"user":"u123"}},"u1",5000]`,
    ];
    for (const value of corrupt) expect(decodeSession(value), value).toBeUndefined();
  });
});
