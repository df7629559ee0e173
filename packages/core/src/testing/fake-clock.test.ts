import { describe, expect, it } from 'vitest';
import { validateStoredSession } from '../store/validate.js';
import { createFakeClock } from './fake-clock.js';
import { makeStoredSession, STORED_SESSION_TIME } from './stored-session.js';

describe('createFakeClock', () => {
  it('starts at 2026-01-01 by default, or at the given time', () => {
    expect(createFakeClock().now()).toBe(Date.UTC(2026, 0, 1));
    expect(createFakeClock(5).now()).toBe(5);
  });

  it('advance() moves forward and set() jumps', () => {
    const clock = createFakeClock(1000);
    clock.advance(250);
    expect(clock.now()).toBe(1250);
    clock.advance(0);
    expect(clock.now()).toBe(1250);
    clock.set(10);
    expect(clock.now()).toBe(10);
  });

  it('refuses non-finite times and negative advances', () => {
    const clock = createFakeClock();
    expect(() => createFakeClock(Number.NaN)).toThrow(RangeError);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => clock.set(Number.NaN)).toThrow(RangeError);
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1));
  });
});

describe('makeStoredSession', () => {
  it('returns a valid record with fresh objects on each call', () => {
    const first = makeStoredSession();
    const second = makeStoredSession();
    expect(validateStoredSession(first)).toBe(true);
    expect(first).toEqual(second);
    expect(first.data).not.toBe(second.data);
    expect(first.createdAt).toBe(STORED_SESSION_TIME);
  });

  it('applies overrides', () => {
    expect(makeStoredSession({ version: 3, userId: 'alice', zone: 'privileged' })).toMatchObject({
      version: 3,
      userId: 'alice',
      zone: 'privileged',
      authenticatedAt: null,
    });
  });
});
