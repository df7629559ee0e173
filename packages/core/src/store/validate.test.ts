import { describe, expect, it } from 'vitest';
import { isSpartanError } from '../errors/errors.js';
import { makeStoredSession } from '../testing/stored-session.js';
import {
  assertExpectedVersion,
  assertExpiresAt,
  assertStoredSession,
  assertStoreKey,
  assertStoreSetOptions,
  assertUserId,
  validateStoredSession,
} from './validate.js';

function thrown(call: () => void): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('validateStoredSession', () => {
  it('accepts valid records, with extra properties and null prototypes', () => {
    expect(validateStoredSession(makeStoredSession())).toBe(true);
    expect(
      validateStoredSession(
        makeStoredSession({
          userId: 'alice',
          authenticatedAt: 1,
          zone: 'privileged',
          csrfSecret: 'abc',
          data: { nested: [1, { a: null }] },
        }),
      ),
    ).toBe(true);
    expect(validateStoredSession({ ...makeStoredSession(), futureField: 1 })).toBe(true);
    expect(validateStoredSession(Object.assign(Object.create(null) as object, makeStoredSession()))).toBe(true);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'x'],
    ['an array', []],
    ['a class instance', new (class Session {})()],
    ['a Date', new Date()],
    ['version 0', { ...makeStoredSession(), version: 0 }],
    ['version unsafe', { ...makeStoredSession(), version: 2 ** 53 }],
    ['data a Map', { ...makeStoredSession(), data: new Map() }],
    ['data missing', { ...makeStoredSession(), data: undefined }],
    ['lastSeenAt -Infinity', { ...makeStoredSession(), lastSeenAt: Number.NEGATIVE_INFINITY }],
    ['rotatedAt null', { ...makeStoredSession(), rotatedAt: null }],
    ['userId empty', { ...makeStoredSession(), userId: '' }],
    ['userId undefined', { ...makeStoredSession(), userId: undefined }],
    ['authenticatedAt NaN', { ...makeStoredSession(), authenticatedAt: Number.NaN }],
    ['zone missing', { ...makeStoredSession(), zone: undefined }],
    ['csrfSecret undefined', { ...makeStoredSession(), csrfSecret: undefined }],
  ])('rejects %s', (_label, value) => {
    expect(validateStoredSession(value)).toBe(false);
    const error = thrown(() => assertStoredSession(value));
    expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({
      reason: 'invalid-argument',
      argument: 'record',
    });
  });

  it('names the failing field in message and details, never its value', () => {
    const error = thrown(() => assertStoredSession({ ...makeStoredSession(), zone: 'SECRET-ZONE' }));
    expect((error as Error).message).toBe(
      'Invalid session store argument: record.zone must be "normal" or "privileged"',
    );
    expect((error as { details: unknown }).details).toEqual({
      reason: 'invalid-argument',
      argument: 'record',
      field: 'zone',
    });
    const whole = thrown(() => assertStoredSession('SECRET'));
    expect((whole as Error).message).toBe('Invalid session store argument: record must be a plain object');
  });

  it('assertStoredSession passes a valid record', () => {
    expect(() => assertStoredSession(makeStoredSession())).not.toThrow();
  });
});

describe('argument assertions', () => {
  const cases: Array<[string, (value: unknown) => void, unknown[], unknown[]]> = [
    ['assertStoreKey', assertStoreKey, ['k', '{tag}:x', 'ключ'], ['', 1, null, undefined, {}]],
    ['assertUserId', assertUserId, ['alice', '1'], ['', 1, null, undefined]],
    ['assertExpiresAt', assertExpiresAt, [0, -1, 1.5, Date.now()], [Number.NaN, Number.POSITIVE_INFINITY, '1', null]],
    ['assertExpectedVersion', assertExpectedVersion, [null, 0, 1, 99], [-1, 0.5, Number.NaN, '1', undefined, 2 ** 53]],
    [
      'assertStoreSetOptions',
      assertStoreSetOptions,
      [
        { expiresAt: 1, expectedVersion: null },
        { expiresAt: 1, expectedVersion: 3 },
      ],
      [
        null,
        undefined,
        'x',
        {},
        { expiresAt: 1 },
        { expectedVersion: null },
        { expiresAt: Number.NaN, expectedVersion: null },
      ],
    ],
  ];

  for (const [name, assertion, valid, invalid] of cases) {
    it(`${name} accepts valid values and rejects invalid ones with sessions/store-unavailable`, () => {
      for (const value of valid) expect(() => assertion(value), String(value)).not.toThrow();
      for (const value of invalid) {
        const error = thrown(() => assertion(value));
        expect(isSpartanError(error, 'sessions/store-unavailable'), String(value)).toBe(true);
        expect((error as { details: { reason: string } }).details.reason).toBe('invalid-argument');
      }
    });
  }
});
