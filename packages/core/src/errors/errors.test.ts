import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isSpartanError, SpartanError } from './errors.js';

describe('SpartanError', () => {
  it('keeps the original module codes exactly (session/ vs sessions/)', () => {
    expect(Object.keys(ERROR_CODES)).toEqual(
      expect.arrayContaining([
        'sessions/disabled-by-policy',
        'session/missing-params',
        'session/insecure-connection',
        'sessions/missing-csrf-options',
        'sessions/option-type-incorrect',
      ]),
    );
  });

  it('carries the status of SPEC §8 for each code', () => {
    expect(new SpartanError('sessions/store-unavailable').status).toBe(503);
    expect(new SpartanError('sessions/csrf-invalid').status).toBe(403);
    expect(new SpartanError('sessions/cross-origin-request').status).toBe(403);
    expect(new SpartanError('sessions/reauthentication-required').status).toBe(401);
    expect(new SpartanError('sessions/invalid-policy').status).toBeUndefined();
  });

  it('is an Error with code, statusCode, expose and frozen details', () => {
    const error = new SpartanError('sessions/csrf-invalid', undefined, { reason: 'missing' });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SpartanError');
    expect(error.statusCode).toBe(403);
    expect(error.expose).toBe(true);
    expect(new SpartanError('sessions/store-unavailable').expose).toBe(false);
    expect(Object.isFrozen(error.details)).toBe(true);
    expect(error.message).toBe(ERROR_CODES['sessions/csrf-invalid'].message);
    expect(error.toJSON()).toMatchObject({
      code: 'sessions/csrf-invalid',
      status: 403,
      details: { reason: 'missing' },
    });
  });

  it('keeps the cause it was given', () => {
    const cause = new Error('boom');
    expect(new SpartanError('sessions/store-unavailable', 'x', {}, { cause }).cause).toBe(cause);
  });

  it('isSpartanError tells codes apart without matching message text', () => {
    const error = new SpartanError('sessions/weak-secret');
    expect(isSpartanError(error)).toBe(true);
    expect(isSpartanError(error, 'sessions/weak-secret')).toBe(true);
    expect(isSpartanError(error, 'sessions/missing-secret')).toBe(false);
    expect(isSpartanError(new Error('sessions/weak-secret'))).toBe(false);
  });
});
