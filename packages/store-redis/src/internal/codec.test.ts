import type { StoredSession } from '@spartan-sessions/core';
import { encodeSessionChanges } from '@spartan-sessions/core/store';
import { describe, expect, it } from 'vitest';
import {
  decodeSession,
  decodeSessionValue,
  encodeSession,
  encodeSessionBody,
  USER_ID_INDEX,
  userIdOf,
} from './codec.js';

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

describe('a value with patches (RedisStore.update appends them after the record)', () => {
  /** A record as the update script leaves it: the head's version moved once per patch. */
  const patched = (base: StoredSession, ...patches: string[]) =>
    [encodeSession({ ...base, version: base.version + patches.length }, 42), ...patches].join('\n');

  it('applies the patches in order on the record; the version is the head one; it says how many it applied', () => {
    const base = session({ userId: 'alice', csrfSecret: 'old', data: { keep: 1, change: 'a', drop: true } });
    const value = patched(
      base,
      encodeSessionChanges({ set: { change: 'b', added: { list: [1] } }, unset: ['drop'], lastSeenAt: T + 100_000 }),
      encodeSessionChanges({ set: { change: 'c' }, unset: [], lastSeenAt: T + 95_000, csrfSecret: 'new' }),
      encodeSessionChanges({ set: {}, unset: ['added'], lastSeenAt: T + 120_000 }),
    );
    const expected: StoredSession = {
      ...base,
      version: 6,
      lastSeenAt: T + 120_000,
      csrfSecret: 'new',
      data: { keep: 1, change: 'c' },
    };
    expect(decodeSession(value)).toEqual(expected);
    const recordLength = value.indexOf('\n');
    expect(decodeSessionValue(value)).toEqual({
      record: expected,
      patches: 3,
      patchLength: value.length - recordLength,
      recordLength,
    });
    // Without patches: today's format, as before.
    const plain = encodeSession(base);
    expect(decodeSessionValue(plain)).toEqual({ record: base, patches: 0, patchLength: 0, recordLength: plain.length });
  });

  it('a later lastSeenAt in the record is kept; a __proto__ key of a patch is plain data', () => {
    const value = patched(
      session({ data: {} }),
      encodeSessionChanges({ set: JSON.parse('{"__proto__":{"polluted":true}}'), unset: [], lastSeenAt: T }),
    );
    const record = decodeSession(value);
    expect(record?.lastSeenAt).toBe(T + 90_000);
    expect(Object.getPrototypeOf(record?.data)).toBe(Object.prototype);
    expect(Object.hasOwn(record?.data ?? {}, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads the whole value as absent when any patch is corrupt', () => {
    const good = encodeSessionChanges({ set: { a: 1 }, unset: [], lastSeenAt: T });
    const corrupt = [
      '',
      'not json',
      '[1,2]',
      '{"set":{}}',
      '[{},[],"1"]',
      '[{},[1],1]',
      '[[],[],1]',
      '[{},[],1,2]',
      '[{},[],1,"s",5]',
      '[{},[],1e999]',
      `${good}x`,
    ];
    for (const patch of corrupt) {
      expect(decodeSession(patched(session(), good, patch)), patch).toBeUndefined();
      expect(decodeSession(patched(session(), patch, good)), patch).toBeUndefined();
    }
    // A trailing separator is an empty (corrupt) patch too.
    expect(decodeSession(`${patched(session(), good)}\n`)).toBeUndefined();
    // And a corrupt record stays corrupt whatever follows it.
    expect(decodeSession(`not json\n${good}`)).toBeUndefined();
  });

  it('userIdOf reads the record part only', () => {
    const patch = encodeSessionChanges({ set: { userId: 'mallory' }, unset: [], lastSeenAt: T });
    expect(userIdOf(patched(session({ userId: 'alice' }), patch, patch))).toBe('alice');
    expect(userIdOf(patched(session(), patch))).toBeNull();
    expect(userIdOf(`not json\n${patch}`)).toBeNull();
  });
});
