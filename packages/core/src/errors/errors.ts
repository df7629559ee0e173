/**
 * Every error spartan-sessions throws on purpose is a `SpartanError` with a stable `code`.
 * The first five codes are exactly those of the original _spartan module (note `session/` vs
 * `sessions/`); they are public API and never change.
 */
export const ERROR_CODES = {
  'sessions/disabled-by-policy': { status: undefined, message: 'Session management is disabled by policy' },
  'session/missing-params': { status: undefined, message: 'A required cookie parameter is missing' },
  'session/insecure-connection': {
    status: undefined,
    message: 'A secure cookie was requested over an insecure connection',
  },
  'sessions/missing-csrf-options': {
    status: undefined,
    message: 'csrf() needs an options object holding `cookie`',
  },
  'sessions/option-type-incorrect': { status: undefined, message: 'An option has the wrong type' },
  'sessions/invalid-policy': { status: undefined, message: 'The security policy is invalid' },
  'sessions/missing-secret': { status: undefined, message: 'No session secret was given' },
  'sessions/weak-secret': { status: undefined, message: 'A session secret is shorter than 32 characters' },
  'sessions/store-unavailable': { status: 503, message: 'The session store is unavailable' },
  'sessions/csrf-invalid': { status: 403, message: 'Missing or invalid CSRF token' },
  'sessions/cross-origin-request': { status: 403, message: 'Unsafe request from another origin' },
  'sessions/reauthentication-required': { status: 401, message: 'Re-authentication required' },
  'sessions/cookie-too-large': { status: undefined, message: 'A cookie is larger than 4096 bytes' },
} as const satisfies Record<string, { status: number | undefined; message: string }>;

export type SpartanErrorCode = keyof typeof ERROR_CODES;

/** Safe, non-secret facts about an error (paths, names, limits); never secrets or raw ids. */
export type SpartanErrorDetails = Readonly<Record<string, unknown>>;

export class SpartanError extends Error {
  override readonly name = 'SpartanError';
  readonly code: SpartanErrorCode;
  /** HTTP status an adapter should answer with; `undefined` for setup/programming errors. */
  readonly status: number | undefined;
  /** Alias of `status` for frameworks that read `statusCode` (Fastify, http-errors style). */
  readonly statusCode: number | undefined;
  /** Koa and http-errors expose a message to the client only when `expose` is true. */
  readonly expose: boolean;
  readonly details: SpartanErrorDetails;

  constructor(
    code: SpartanErrorCode,
    message?: string,
    details: SpartanErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message ?? ERROR_CODES[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.statusCode = this.status;
    this.expose = this.status !== undefined && this.status < 500;
    this.details = Object.freeze({ ...details });
  }

  toJSON(): {
    name: string;
    code: SpartanErrorCode;
    status: number | undefined;
    message: string;
    details: SpartanErrorDetails;
  } {
    return { name: this.name, code: this.code, status: this.status, message: this.message, details: this.details };
  }
}

export function isSpartanError(value: unknown, code?: SpartanErrorCode): value is SpartanError {
  return value instanceof SpartanError && (code === undefined || value.code === code);
}
