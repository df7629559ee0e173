import { isSpartanError, SpartanError, type SpartanErrorDetails } from '@spartan-sessions/core';

/**
 * Exit codes: 0 done (doctor: no errors, warnings allowed); 1 the command ran and failed (doctor
 * found errors, the store is unavailable, a file is in the way); 2 the command line is wrong
 * (unknown command or flag, bad value, missing option).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A bad command line: `sessions/option-type-incorrect`, exit 2. */
export function usageError(message: string, details: SpartanErrorDetails = {}): SpartanError {
  return new SpartanError('sessions/option-type-incorrect', message, details);
}

/** A failure that none of the spec's error codes names (a file in the way, nothing matched). */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
}

/** The exit code of an error a command threw. */
export function exitCodeOf(error: unknown): ExitCode {
  return isSpartanError(error, 'sessions/option-type-incorrect') ? EXIT.usage : EXIT.failed;
}

/**
 * The one line an error is reported as: `<code>: <message>` for a `SpartanError` (its message
 * never holds a secret: core's rule, kept by this package), the message otherwise.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return oneLine(String(error));
  let text = isSpartanError(error) ? `${error.code}: ${error.message}` : error.message;
  // The cause says what the operator can act on (ECONNREFUSED, ENOENT, a JSON syntax error).
  // Core and the stores keep secrets, keys and session data out of their causes too.
  if (error.cause instanceof Error && error.cause.message !== '') text += ` (${error.cause.message})`;
  return oneLine(text);
}

/** Newlines and runs of blanks folded, so every error is exactly one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
