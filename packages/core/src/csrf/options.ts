import { SpartanError } from '../errors/errors.js';

/** What `csrf(options)` accepts (the original module's option object). */
export interface CsrfOptions {
  /**
   * `true`: double submit, the token secret lives in a sealed cookie (works without a session).
   * `false`: synchronizer token, the secret lives in the session (install the sessioner first).
   * No default: the original module required an explicit choice, and so do we.
   */
  cookie: boolean;
}

/**
 * Validates the argument of `csrf(options)` at factory time, with the original module's codes:
 * no options object, or one without `cookie` → `sessions/missing-csrf-options`; a `cookie` that is
 * not a boolean → `sessions/option-type-incorrect`. (Hand-written rather than zod: the two codes
 * must stay distinct, and there is a single field.)
 */
export function validateCsrfOptions(options: unknown): CsrfOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new SpartanError(
      'sessions/missing-csrf-options',
      'csrf() needs an options object: csrf({ cookie: boolean })',
    );
  }
  const cookie: unknown = (options as { cookie?: unknown }).cookie;
  if (cookie === undefined) {
    throw new SpartanError(
      'sessions/missing-csrf-options',
      'csrf() needs the `cookie` option: csrf({ cookie: boolean })',
    );
  }
  if (typeof cookie !== 'boolean') {
    throw new SpartanError('sessions/option-type-incorrect', 'csrf() option `cookie` must be a boolean', {
      option: 'cookie',
      expected: 'boolean',
      received: cookie === null ? 'null' : typeof cookie,
    });
  }
  return { cookie };
}
