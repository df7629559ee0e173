import { z } from 'zod';
import { type CookieTools, createCookieTools } from '../cookie/cookie-tools.js';
import { type SessionCrypto, webCrypto } from '../crypto/crypto.js';
import { normalizeSecrets } from '../crypto/secrets.js';
import { type CsrfGuardMode, createCsrfGuard, validateCsrfOptions } from '../csrf/index.js';
import { SpartanError } from '../errors/errors.js';
import { type Policy, type PolicyInput, parsePolicy } from '../policy/policy.js';
import type { Clock, CsrfGuard, RequestView, ResponseHeaders, SessionEventListener, SessionStore } from '../ports.js';
import { SessionManager, type SessionManagerOptions } from '../session/manager.js';
import {
  EXPRESS_SESSION_OPTIONS,
  EXPRESS_SESSION_STORE_HINT,
  isExpressSessionStore,
} from './express-session-options.js';
import { RequestScope } from './request-scope.js';

/**
 * Options of every adapter's `spartan(...)` (SPEC §7), as core takes them: the manager's
 * (`SessionManagerOptions`, documented there), with the policy as a parsed policy or the
 * `security.json` document. `crypto` is used for session ids and tags, CSRF secrets and masks;
 * sealing (`cookieMaker`'s `sealed: true` and the double-submit CSRF cookie, their key
 * derivation included) runs on `globalThis.crypto`, the only WebCrypto iron-webcrypto 2 uses.
 * Adapters add only what their framework needs (Express: a policy given as a file path, read
 * by the node entry).
 */
export interface SpartanCoreOptions extends Omit<SessionManagerOptions, 'policy'> {
  /** A parsed policy (`parsePolicy`) or the `security.json` document itself. @default every secure default */
  policy?: Policy | PolicyInput | undefined;
}

const isFunction = (value: unknown): boolean => typeof value === 'function';
const withMethods =
  (...names: string[]) =>
  (value: unknown): boolean =>
    typeof value === 'object' &&
    value !== null &&
    names.every((name) => isFunction((value as Record<string, unknown>)[name]));
/** Optional methods, when present, must be functions. */
const optionalMethods =
  (...names: string[]) =>
  (value: unknown): boolean =>
    names.every((name) => {
      const method = (value as Record<string, unknown>)[name];
      return method === undefined || isFunction(method);
    });

/**
 * The options' shapes. `secrets` and `policy` have codes of their own (`missing-secret`,
 * `weak-secret`, `invalid-policy`) and are checked by `normalizeSecrets` and `parsePolicy`;
 * everything else that is wrong is `sessions/option-type-incorrect` naming the option. Unknown
 * options are refused too: a misspelt `secret` or `stor` must not silently fall back to a
 * default.
 */
const optionsSchema = z.strictObject({
  policy: z.unknown().optional(),
  secrets: z.unknown(),
  store: z
    .custom<SessionStore>(withMethods('get', 'set', 'rotate', 'destroy', 'listByUser'), {
      message: 'must implement SessionStore (get, set, rotate, destroy, listByUser)',
    })
    .optional(),
  crypto: z
    .custom<SessionCrypto>(
      (value) =>
        withMethods('randomBytes', 'hmacSha256', 'sha256')(value) &&
        optionalMethods('hmacSha256Base64url', 'sha256Base64url')(value),
      {
        message:
          'must be a SessionCrypto (randomBytes, hmacSha256, sha256; hmacSha256Base64url and sha256Base64url, if given, functions)',
      },
    )
    .optional(),
  clock: z.custom<Clock>(withMethods('now'), { message: 'must be an object with a now() method' }).optional(),
  onEvent: z.custom<SessionEventListener>(isFunction, { message: 'must be a function' }).optional(),
  storeTimeout: z.number().int().positive().optional(),
  maxWriteAttempts: z.number().int().positive().optional(),
  verifiedCookieCacheSize: z.number().int().nonnegative().optional(),
  passport: z
    .union([
      z.literal(false),
      z.strictObject({
        userId: z
          .custom<(user: unknown) => string | null | undefined>(isFunction, { message: 'must be a function' })
          .optional(),
      }),
    ])
    .optional(),
});

function checkOptions(options: unknown): SpartanCoreOptions {
  if (typeof options !== 'object' || options === null) {
    throw new SpartanError('sessions/missing-secret', 'spartan() needs an options object holding `secrets`');
  }
  // express-session's options before the secrets: a port that still passes `secret` is told
  // to use `secrets`, not that it has no secret.
  for (const option of Object.keys(options)) {
    const instead = Object.hasOwn(EXPRESS_SESSION_OPTIONS, option) ? EXPRESS_SESSION_OPTIONS[option] : undefined;
    if (instead !== undefined) {
      throw new SpartanError(
        'sessions/option-type-incorrect',
        `\`${option}\` is an express-session option: ${instead} (docs/migrating-from-express-session.md)`,
        { option, expressSession: true },
      );
    }
  }
  // The secrets first: without them nothing else matters (`missing-secret`, `weak-secret`).
  normalizeSecrets((options as { secrets?: unknown }).secrets);
  const store = (options as { store?: unknown }).store;
  if (isExpressSessionStore(store)) {
    throw new SpartanError('sessions/option-type-incorrect', `\`store\`: ${EXPRESS_SESSION_STORE_HINT}`, {
      option: 'store',
      expressSession: true,
    });
  }
  const result = optionsSchema.safeParse(options);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const option = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map(String).join('.');
    const message =
      issue.code === 'unrecognized_keys' ? `unknown option${issue.keys.length > 1 ? 's' : ''}` : issue.message;
    throw new SpartanError('sessions/option-type-incorrect', `\`${option}\`: ${message}`, { option });
  }
  return options as SpartanCoreOptions;
}

/**
 * What every adapter's `spartan(...)` sets up, once: the validated options, the session
 * manager, the cookie tools and one CSRF guard per mode, all on the crypto the user chose.
 * Adapters open a `RequestScope` per request with `scope(view, response)`.
 */
export class SpartanCore {
  readonly manager: SessionManager;
  readonly policy: Policy;
  /** The cores of `cookieMaker`, `cookieMonster` and `cookieReader`. */
  readonly cookies: CookieTools;
  readonly #options: SpartanCoreOptions;
  readonly #crypto: SessionCrypto;
  readonly #guards = new Map<CsrfGuardMode, CsrfGuard>();

  /**
   * Throws `sessions/disabled-by-policy`, `sessions/invalid-policy`, `sessions/missing-secret`,
   * `sessions/weak-secret` or `sessions/option-type-incorrect`.
   */
  constructor(options: SpartanCoreOptions) {
    const checked = checkOptions(options);
    this.#crypto = checked.crypto ?? webCrypto();
    this.manager = new SessionManager({
      ...checked,
      policy: parsePolicy(checked.policy ?? {}),
      crypto: this.#crypto,
    });
    this.policy = this.manager.policy;
    this.#options = checked;
    this.cookies = createCookieTools({ policy: this.policy, secrets: checked.secrets });
  }

  /**
   * The guard `csrf(options)` installs: options validated (`sessions/missing-csrf-options`,
   * `sessions/option-type-incorrect`), `cookie: true` double submit, `cookie: false`
   * synchronizer token. One guard per mode, made on first use.
   */
  csrfGuard(options: unknown): CsrfGuard {
    const mode: CsrfGuardMode = validateCsrfOptions(options).cookie ? 'double-submit' : 'synchronizer';
    let guard = this.#guards.get(mode);
    if (guard === undefined) {
      guard = createCsrfGuard({
        policy: this.policy,
        secrets: this.#options.secrets,
        mode,
        onEvent: this.#options.onEvent,
        crypto: this.#crypto,
        clock: this.#options.clock,
      });
      this.#guards.set(mode, guard);
    }
    return guard;
  }

  /** The scope of one request: see `RequestScope`. */
  scope(view: RequestView, response: ResponseHeaders): RequestScope {
    return new RequestScope(this, view, response);
  }
}

/** `new SpartanCore(options)`. */
export function createSpartanCore(options: SpartanCoreOptions): SpartanCore {
  return new SpartanCore(options);
}
