import { normalizeSecrets } from '../crypto/secrets.js';
import { SpartanError } from '../errors/errors.js';
import type { Policy } from '../policy/policy.js';
import type { CookieAttributes, CookieJar, RequestView } from '../ports.js';
import { type CookieOptions, CookiePolicy } from './cookie-policy.js';
import { createSealer, type Sealer } from './sealed.js';
import { isValidCookieName } from './serialize.js';

/**
 * The framework-free cores of `cookieMaker`, `cookieMonster` and `cookieReader` (SPEC §7) over a
 * `CookiePolicy`: names, values, sealing and the request's jar. The policy decides attributes
 * and prefixes (`cookie-policy.ts`).
 */

/**
 * Cookie-octets (RFC 6265 §4.1.1) except "%": a value made only of these is written as it is.
 * "%" is encoded too, so that `decodeCookieValue` restores every value exactly.
 */
const PLAIN_VALUE = /^[\x21\x23\x24\x26-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const NEEDS_ENCODING = /[^\x21\x23\x24\x26-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]/gu;

/**
 * Percent-encodes a cookie value only where needed: characters outside cookie-octet, and "%".
 * Throws `URIError` for a string with a lone surrogate (it has no UTF-8 form).
 */
export function encodeCookieValue(value: string): string {
  return PLAIN_VALUE.test(value) ? value : value.replace(NEEDS_ENCODING, encodeURIComponent);
}

/** Reverses `encodeCookieValue`; a malformed escape (from anyone else) leaves the value as it is. */
export function decodeCookieValue(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Options of `createCookieTools`. */
export interface CookieToolsOptions {
  /** A parsed policy (`parsePolicy`), or a `CookiePolicy` already built from one. */
  policy: Policy | CookiePolicy;
  /** Sealing secrets: the first seals, all unseal (rotation). Each at least 32 characters. */
  secrets: string | readonly string[];
  /**
   * The WebCrypto that derives the `sealed-cookie` keys from the secrets. Sealing and unsealing
   * themselves run on `globalThis.crypto` whatever is given here: iron-webcrypto 2 takes no
   * WebCrypto of its own (see `SealerOptions.webCrypto`).
   * @default globalThis.crypto
   */
  webCrypto?: Crypto;
}

/** Parameters of `make` (`cookieMaker`'s third argument). */
export interface MakeCookieParams {
  /** The cookie's name before the policy's prefix. */
  name?: unknown;
  /**
   * A string, number or boolean; with `options.sealed` any value JSON gives back as it is
   * (plain objects, arrays, strings, finite numbers, booleans, null: not a Date, Map, class
   * instance or NaN, which are refused with `sessions/option-type-incorrect`).
   */
  value?: unknown;
  options?: CookieOptions;
}

/** Parameters of `clear` (`cookieMonster`'s second argument). */
export interface ClearCookieParams {
  /** The cookie's name before the policy's prefix. */
  name?: unknown;
  /** Path and domain of the cookie to expire (as it was set); expiry options are ignored. */
  options?: CookieOptions;
}

/** A cookie `make` has set. */
export interface MadeCookie {
  /** The name it was stored under (with the policy's prefix). */
  name: string;
  /** The value as written: percent-encoded where needed, or the sealed string. */
  value: string;
  attributes: Readonly<CookieAttributes>;
  /** The `Set-Cookie` header value handed to the jar. */
  header: string;
}

/** A cookie `clear` has expired. */
export interface ClearedCookie {
  name: string;
  header: string;
}

/** `cookieReader(req)`: reads the request's cookies under their policy names. Never throws. */
export interface CookieReader {
  /** The URI-decoded value of cookie `name` (prefixed by the policy), `undefined` when absent. */
  get(name: string): string | undefined;
  /**
   * The value of a sealed cookie, or `null` when absent, forged, expired, sealed with an
   * unknown secret, or not sealed by `make` for this very name (a value copied from another
   * cookie, the CSRF cookie).
   */
  sealed(name: string): Promise<unknown>;
}

/** The framework-free cores of `cookieMaker`, `cookieMonster` and `cookieReader` (SPEC §7). */
export interface CookieTools {
  readonly cookiePolicy: CookiePolicy;
  /**
   * `cookieMaker`: sets cookie `name` under the policy. Rejects with `session/missing-params`
   * (no name or value), `sessions/option-type-incorrect` (details `{ param: 'name' }` for a name
   * that is not an RFC 6265 token, `{ param: 'value' }` for a value that cannot be written,
   * `{ param: 'value', reason: 'not-serializable' }` for a sealed value JSON would not give back,
   * `{ option }` for a bad option, e.g. `{ option: 'path' }` or `{ option: 'domain' }`),
   * `session/insecure-connection` or `sessions/cookie-too-large`. Nothing is set on a refusal.
   */
  make(view: RequestView, jar: CookieJar, params: MakeCookieParams): Promise<MadeCookie>;
  /**
   * `cookieMonster`: expires cookie `name` (matching prefix, path, domain). Throws
   * `session/missing-params` without a name, `sessions/option-type-incorrect` for a name or a
   * path or domain `make` would refuse.
   */
  clear(jar: CookieJar, params: ClearCookieParams): ClearedCookie;
  /** `cookieReader`: a reader over the request's cookies. */
  reader(jar: CookieJar): CookieReader;
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function missingParams(message: string, param: string): SpartanError {
  return new SpartanError('session/missing-params', message, { param });
}

function checkName(name: unknown, caller: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw missingParams(`${caller} needs a cookie name (a non-empty string)`, 'name');
  }
  // RFC 6265 §4.1.1: a cookie-name is an HTTP token (no separators, spaces or controls).
  if (!isValidCookieName(name)) {
    throw new SpartanError(
      'sessions/option-type-incorrect',
      `${caller} needs a cookie name that is an RFC 6265 token (letters, digits and !#$%&'*+-.^_\`|~)`,
      { param: 'name' },
    );
  }
  return name;
}

/** Builds the cookie tools once; the secrets are validated here (`sessions/missing-secret`, `sessions/weak-secret`). */
export function createCookieTools(options: CookieToolsOptions): CookieTools {
  const cookiePolicy = options.policy instanceof CookiePolicy ? options.policy : new CookiePolicy(options.policy);
  const sealer: Sealer = createSealer({
    secrets: normalizeSecrets(options.secrets),
    purpose: 'sealed-cookie',
    webCrypto: options.webCrypto,
  });

  const writtenValue = async (name: string, value: unknown, cookieOptions: CookieOptions | undefined) => {
    if (cookieOptions?.sealed === true) {
      // Bound to the final name: read back under another name, it is null. A value JSON would
      // not give back as it is (a Date, a Map, NaN, a cycle) is refused by the sealer with
      // `sessions/option-type-incorrect`; a WebCrypto failure is not the caller's and passes as it is.
      return sealer.seal(name, value, cookieOptions.maxAge);
    }
    if (typeof value === 'string') {
      try {
        return encodeCookieValue(value);
      } catch (error) {
        throw new SpartanError(
          'sessions/option-type-incorrect',
          `The value of "${name}" is not well-formed Unicode (a lone surrogate)`,
          { param: 'value' },
          { cause: error },
        );
      }
    }
    if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
    throw new SpartanError(
      'sessions/option-type-incorrect',
      `The value of "${name}" must be a string, a finite number or a boolean; set options.sealed: true to store other JSON values`,
      { param: 'value' },
    );
  };

  return {
    cookiePolicy,
    async make(view, jar, params) {
      if (typeof params !== 'object' || params === null)
        throw missingParams('cookieMaker needs { name, value }', 'name');
      const baseName = checkName(params.name, 'cookieMaker');
      if (isMissing(params.value)) throw missingParams(`cookieMaker needs a value for "${baseName}"`, 'value');
      const name = cookiePolicy.nameFor(baseName, params.options);
      const attributes = cookiePolicy.attributesFor(name, params.options);
      // Before sealing: no WebCrypto work for a cookie the browser would drop anyway.
      cookiePolicy.assertSecureTransport(view, attributes, name);
      const value = await writtenValue(name, params.value, params.options);
      const header = cookiePolicy.serialize(name, value, attributes);
      jar.setCookie(name, header);
      return { name, value, attributes, header };
    },
    clear(jar, params) {
      if (typeof params !== 'object' || params === null) throw missingParams('cookieMonster needs { name }', 'name');
      const name = cookiePolicy.nameFor(checkName(params.name, 'cookieMonster'), params.options);
      const header = cookiePolicy.serializeClear(name, params.options);
      jar.setCookie(name, header);
      return { name, header };
    },
    reader(jar) {
      // The first of the names the cookie may carry that the request has (see `namesFor`).
      const found = (name: string): { final: string; value: string } | undefined => {
        if (typeof name !== 'string' || name.length === 0) return undefined;
        for (const final of cookiePolicy.namesFor(name)) {
          const value = jar.get(final);
          if (value !== undefined) return { final, value };
        }
        return undefined;
      };
      return {
        get(name) {
          const cookie = found(name);
          return cookie === undefined ? undefined : decodeCookieValue(cookie.value);
        },
        async sealed(name) {
          const cookie = found(name);
          return cookie === undefined ? null : sealer.unseal(cookie.final, cookie.value);
        },
      };
    },
  };
}
