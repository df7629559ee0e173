import { describe, expect, it } from 'vitest';
import { isSpartanError } from '../errors/errors.js';
import { validateCsrfOptions } from './options.js';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('validateCsrfOptions', () => {
  it.each([
    ['nothing', undefined],
    ['null', null],
    ['a boolean instead of an object', true],
    ['a string', 'cookie'],
    ['an array', [true]],
  ])('csrf() without an options object (%s) is sessions/missing-csrf-options', (_label, options) => {
    expect(
      isSpartanError(
        thrown(() => validateCsrfOptions(options)),
        'sessions/missing-csrf-options',
      ),
    ).toBe(true);
  });

  it.each([
    ['empty', {}],
    ['cookie explicitly undefined', { cookie: undefined }],
    ['another option only', { secure: true }],
  ])('an options object without cookie (%s) is sessions/missing-csrf-options', (_label, options) => {
    expect(
      isSpartanError(
        thrown(() => validateCsrfOptions(options)),
        'sessions/missing-csrf-options',
      ),
    ).toBe(true);
  });

  it.each([
    ['a string', 'true', 'string'],
    ['a number', 1, 'number'],
    ['null', null, 'null'],
    ['an object', {}, 'object'],
  ])('a cookie option that is %s is sessions/option-type-incorrect naming the option', (_label, cookie, received) => {
    const error = thrown(() => validateCsrfOptions({ cookie }));
    expect(isSpartanError(error, 'sessions/option-type-incorrect')).toBe(true);
    expect((error as { details: unknown }).details).toEqual({ option: 'cookie', expected: 'boolean', received });
  });

  it('setup errors carry no HTTP status', () => {
    expect(thrown(() => validateCsrfOptions(undefined))).toMatchObject({ status: undefined });
  });

  it.each([true, false])('a boolean cookie option (%s) is accepted as is', (cookie) => {
    expect(validateCsrfOptions({ cookie, other: 1 })).toEqual({ cookie });
  });
});
