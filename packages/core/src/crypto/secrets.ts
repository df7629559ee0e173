import { SpartanError } from '../errors/errors.js';

/** Minimum secret length in characters (as @fastify/session and iron-session require). */
export const MIN_SECRET_LENGTH = 32;

/**
 * Validates `secrets: string | string[]`: the first signs, all verify (rotation without logging
 * everyone out). Errors name the position of a bad secret, never its value.
 */
export function normalizeSecrets(secrets: unknown): readonly string[] {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (list === undefined || list === null || (Array.isArray(list) && list.length === 0) || list === '') {
    throw new SpartanError('sessions/missing-secret', 'No session secret was given: pass `secrets`');
  }
  if (!Array.isArray(list)) {
    throw new SpartanError('sessions/missing-secret', '`secrets` must be a string or an array of strings', {
      received: typeof list,
    });
  }
  list.forEach((secret: unknown, index) => {
    if (typeof secret !== 'string' || secret.length === 0) {
      throw new SpartanError('sessions/missing-secret', `Secret #${index} is not a non-empty string`, { index });
    }
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new SpartanError(
        'sessions/weak-secret',
        `Secret #${index} is shorter than ${MIN_SECRET_LENGTH} characters`,
        { index, minLength: MIN_SECRET_LENGTH },
      );
    }
  });
  return Object.freeze([...(list as string[])]);
}
