import { BoundedCache } from '../bounded-cache.js';
import { createSealer } from '../cookie/sealed.js';
import { serializeCookie } from '../cookie/serialize.js';
import { isSecureRequest, type TransportPolicy } from '../cookie/transport.js';
import type { SessionCrypto } from '../crypto/crypto.js';
import { webCrypto as defaultWebCrypto } from '../crypto/crypto.js';
import { normalizeSecrets } from '../crypto/secrets.js';
import { SpartanError } from '../errors/errors.js';
import { createEmitter } from '../events.js';
import type { Policy } from '../policy/policy.js';
import {
  type Clock,
  type CookieAttributes,
  type CookieJar,
  type CsrfGuard,
  type CsrfRequest,
  type CsrfSecretHolder,
  type CsrfTokenIssuer,
  type SessionEventListener,
  systemClock,
} from '../ports.js';
import { isPromiseLike, type MaybePromise } from '../session/maybe.js';
import { createOriginCheck, type OriginRejectionReason } from './origin.js';
import { createCsrfSecret, isCsrfSecret, maskCsrfToken, readSubmittedToken, verifyCsrfToken } from './token.js';

/**
 * Where the token secret lives: `synchronizer` (`csrf({ cookie: false })`) in the session,
 * `double-submit` (`csrf({ cookie: true })`) in a sealed cookie.
 */
export type CsrfGuardMode = 'synchronizer' | 'double-submit';

/** Why a request was refused (the `reason` of a `csrf-rejected` event and of the error's details). */
export type CsrfRejectionReason =
  | OriginRejectionReason
  /** No token in the header nor in the body field. */
  | 'token-missing'
  /** The token is malformed or was not made from this request's secret. */
  | 'token-invalid'
  /** Synchronizer: the session holds no CSRF secret (none was issued, or the session is new). */
  | 'secret-missing'
  /** Double submit: no CSRF cookie came with the request. */
  | 'cookie-missing'
  /** Double submit: the CSRF cookie is forged, expired, or sealed with an unknown secret. */
  | 'cookie-invalid';

export interface CsrfGuardOptions {
  /** The parsed policy: `name`, `cookies`, `duration.ttl`, `csrf` and `transport` are read. */
  policy: Policy;
  /**
   * Secrets sealing the double-submit cookie: the first seals, all unseal (rotation). Validated
   * like the session secrets (`sessions/missing-secret`, `sessions/weak-secret`). The cookie is
   * sealed under their `csrf-cookie` keys (`PurposeKeys`), never the secrets themselves.
   */
  secrets: string | readonly string[];
  /** `synchronizer` (secret in the session) or `double-submit` (secret in a sealed cookie). */
  mode: CsrfGuardMode;
  /** Receives a `csrf-rejected` event per refused request; a throwing listener is ignored. */
  onEvent?: SessionEventListener | undefined;
  /** Randomness for secrets and masks. @default WebCrypto (`webCrypto()`) */
  crypto?: SessionCrypto | undefined;
  /** Time source (ms since epoch) for events and the cookie's expiry. @default `systemClock` */
  clock?: Clock | undefined;
  /**
   * The WebCrypto that derives the double-submit cookie's `csrf-cookie` keys from the secrets.
   * Sealing and unsealing the cookie run on `globalThis.crypto` whatever is given here:
   * iron-webcrypto 2 takes no WebCrypto of its own (see `SealerOptions.webCrypto`).
   * @default `globalThis.crypto`
   */
  webCrypto?: Crypto | undefined;
  /** How many recently seen CSRF cookie values to keep unsealed (bounded LRU). @default 1000 */
  cacheSize?: number | undefined;
}

/** Methods that must not change state (RFC 9110 §9.2.1); CSRF checks only the others. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Whether `method` (upper-case) is safe, i.e. passes CSRF verification unchecked. */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method);
}

/**
 * The double-submit cookie's name. A `Secure` cookie is named `__Host-<name>.csrf`: RFC 6265bis
 * §4.1.3.2 makes the browser refuse such a cookie unless it is Secure, host-only and Path=/, so
 * a sibling subdomain or a network attacker on http cannot plant one ("cookie tossing"). A
 * cookie that cannot be Secure falls back to the plain `<name>.csrf`.
 */
export function csrfCookieName(policy: Policy, secure: boolean): string {
  return secure ? `__Host-${policy.config.name}.csrf` : `${policy.config.name}.csrf`;
}

/**
 * What the double-submit cookie seals. The sealer wraps it with the purpose (`csrf-cookie`) and
 * the cookie's name, under keys of that purpose; the version is in the keys' label.
 */
interface SealedCsrfSecret {
  /** The secret (base64url). */
  s: string;
  /** When the cookie stops being accepted (ms since epoch), checked against the injected clock. */
  e: number;
}

interface OpenedCookie {
  /** The cookie name it was sealed for (a value is bound to one). */
  name: string;
  secret: string;
  expiresAt: number;
}

function openedFrom(name: string, payload: unknown): OpenedCookie | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const { s, e } = payload as Partial<Record<keyof SealedCsrfSecret, unknown>>;
  if (!isCsrfSecret(s) || typeof e !== 'number' || !Number.isFinite(e)) return null;
  return { name, secret: s, expiresAt: e };
}

type SecretLookup = { secret: string } | { reason: CsrfRejectionReason };

/** Where a guard finds and keeps the secret of a request. */
/** The request's secret, loaded but not yet created: `take()` creates it on first use. */
interface PreparedSecret {
  take(): string;
  /** Persists a secret `take()` created (the double-submit cookie); no-op otherwise. */
  flush(): MaybePromise<void>;
}

const NOTHING_TO_FLUSH = (): undefined => undefined;

/** What `verify` returns for a request that passed synchronously (a settled promise is immutable). */
const VERIFIED: Promise<void> = Promise.resolve();

/** Both answer synchronously unless they must unseal a cookie not seen before (WebCrypto). */
interface SecretPlace {
  /** Loads the request's secret without creating one (so a visitor who never sees a form stays lazy). */
  prepare(request: CsrfRequest): MaybePromise<PreparedSecret>;
  /** The secret a submitted token must match, or why there is none. */
  lookup(request: CsrfRequest): MaybePromise<SecretLookup>;
}

/**
 * Creates the CSRF guard of SPEC §7 (the `CsrfGuard` port). Everything the policy decides is
 * computed here, once. `verify` passes safe methods unchecked; for unsafe ones it runs the
 * origin check, then compares the submitted token with the secret in constant time. A refusal
 * emits `{ type: 'csrf-rejected', at, reason }` and, in `enforce` mode, throws
 * `sessions/cross-origin-request` or `sessions/csrf-invalid` (403); in `report` mode it only
 * emits. Neither events nor errors ever carry a token, a secret or a cookie value.
 *
 * - `synchronizer`: the secret lives in the session (`request.session`), so the session
 *   middleware must run before the CSRF one: without a session holder, `issueToken` (and
 *   `verify` of an unsafe request that reaches the secret lookup) throws
 *   `sessions/option-type-incorrect` (a setup error, no status).
 * - `double-submit`: the secret lives in a sealed (encrypted, authenticated) cookie, HttpOnly,
 *   Path=/, host-only, `Max-Age` = the policy's `ttl` (the expiry is sealed too). It is sealed
 *   under the `csrf-cookie` keys and bound to its cookie name (`createSealer`), so no value
 *   sealed by `cookieMaker` passes for it, whatever its name and content; see
 *   `csrfCookieName` for the `__Host-` prefix and `Secure`. SameSite follows the policy
 *   (default Lax): the origin check already refuses cross-site unsafe requests, and Lax cookies
 *   are not sent on them either, so Strict would add nothing for unsafe methods; it would only
 *   drop the cookie on cross-site links, minting a new secret that invalidates forms open in
 *   other tabs. A `none` policy (apps in cross-site iframes) needs a `none` cookie to work.
 */
export function createCsrfGuard(options: CsrfGuardOptions): CsrfGuard {
  const { policy, mode } = options;
  if (mode !== 'synchronizer' && mode !== 'double-submit') {
    throw new SpartanError(
      'sessions/option-type-incorrect',
      "The CSRF guard mode must be 'synchronizer' or 'double-submit'",
      {
        option: 'mode',
        expected: "'synchronizer' | 'double-submit'",
      },
    );
  }
  const secrets = normalizeSecrets(options.secrets);
  const crypto = options.crypto ?? defaultWebCrypto();
  const clock = options.clock ?? systemClock;
  const { field, mode: enforcement } = policy.config.csrf;
  // `parsePolicy` lower-cases it already; a hand-built policy may not have.
  const header = policy.config.csrf.header.toLowerCase();
  const enforce = enforcement === 'enforce';
  const checkOrigin = createOriginCheck(policy.config);

  const emitEvent = createEmitter(options.onEvent);
  const emit = (reason: CsrfRejectionReason): void => {
    if (options.onEvent !== undefined) emitEvent({ type: 'csrf-rejected', at: clock.now(), reason });
  };
  const reject = (code: 'sessions/cross-origin-request' | 'sessions/csrf-invalid', reason: CsrfRejectionReason) => {
    emit(reason);
    if (enforce) throw new SpartanError(code, undefined, { reason });
  };

  const place =
    mode === 'synchronizer'
      ? sessionSecretPlace(crypto)
      : cookieSecretPlace({
          policy,
          secrets,
          crypto,
          clock,
          webCrypto: options.webCrypto,
          cacheSize: options.cacheSize,
        });

  const issuerOf = (prepared: PreparedSecret): CsrfTokenIssuer => ({
    token: () => maskCsrfToken(prepared.take(), crypto),
    flush: () => prepared.flush(),
  });
  const checkToken = (token: string, found: SecretLookup): void => {
    if ('reason' in found) reject('sessions/csrf-invalid', found.reason);
    else if (!verifyCsrfToken(token, found.secret)) reject('sessions/csrf-invalid', 'token-invalid');
  };
  const verifyNow = (request: CsrfRequest): MaybePromise<void> => {
    if (SAFE_METHODS.has(request.view.method)) return;
    const origin = checkOrigin(request.view);
    if (!origin.ok) return reject('sessions/cross-origin-request', origin.reason);
    // The token first: a request without one costs no unsealing.
    const token = readSubmittedToken(request.view, header, field);
    if (token === undefined) return reject('sessions/csrf-invalid', 'token-missing');
    const found = place.lookup(request);
    if (isPromiseLike(found)) return found.then((settled) => checkToken(token, settled));
    checkToken(token, found);
  };
  const prepareNow = (request: CsrfRequest): MaybePromise<CsrfTokenIssuer> => {
    const prepared = place.prepare(request);
    return isPromiseLike(prepared) ? prepared.then(issuerOf) : issuerOf(prepared);
  };

  /** `issueToken` without a promise when nothing must be unsealed or sealed. */
  const issueNow = (request: CsrfRequest): MaybePromise<string> => {
    const prepared = place.prepare(request);
    if (isPromiseLike(prepared)) return prepared.then(issueFrom);
    return issueFrom(prepared);
  };
  const issueFrom = (prepared: PreparedSecret): MaybePromise<string> => {
    const secret = prepared.take();
    const flushing = prepared.flush();
    if (isPromiseLike(flushing)) return flushing.then(() => maskCsrfToken(secret, crypto));
    return maskCsrfToken(secret, crypto);
  };

  // The promise methods wrap the synchronous ones without an `async` function: a passing
  // verification returns one shared settled promise, so the common case allocates nothing.
  return {
    issueToken(request) {
      try {
        return Promise.resolve(issueNow(request));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async prepare(request) {
      return prepareNow(request);
    },
    prepareNow,
    verify(request) {
      try {
        const verifying = verifyNow(request);
        return verifying === undefined ? VERIFIED : Promise.resolve(verifying);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    verifyNow,
  } satisfies CsrfGuard;
}

function requireSession(request: CsrfRequest): CsrfSecretHolder {
  if (request.session === undefined) {
    throw new SpartanError(
      'sessions/option-type-incorrect',
      'csrf({ cookie: false }) keeps its secret in the session: install the sessioner before csrf(), or use csrf({ cookie: true })',
      { option: 'cookie', expected: 'a session on the request (sessioner installed before csrf)' },
    );
  }
  return request.session;
}

/** Synchronizer token: the secret is a field of the session record. */
function sessionSecretPlace(crypto: SessionCrypto): SecretPlace {
  return {
    prepare(request) {
      const session = requireSession(request);
      return {
        take() {
          const existing = session.getCsrfSecret();
          if (isCsrfSecret(existing)) return existing;
          const secret = createCsrfSecret(crypto);
          session.setCsrfSecret(secret);
          return secret;
        },
        flush: NOTHING_TO_FLUSH,
      };
    },
    lookup(request) {
      const secret = requireSession(request).getCsrfSecret();
      return isCsrfSecret(secret) ? { secret } : { reason: 'secret-missing' };
    },
  };
}

interface CookiePlaceOptions {
  policy: Policy;
  secrets: readonly string[];
  crypto: SessionCrypto;
  clock: Clock;
  webCrypto: Crypto | undefined;
  cacheSize: number | undefined;
}

/** The double-submit cookie's name and attributes for a request. */
interface Variant {
  readonly name: string;
  readonly attributes: CookieAttributes;
}

/** Double submit: the secret travels in a sealed cookie. */
function cookieSecretPlace(options: CookiePlaceOptions): SecretPlace {
  const { policy, crypto, clock } = options;
  const sealer = createSealer({ secrets: options.secrets, purpose: 'csrf-cookie', webCrypto: options.webCrypto });
  const { cookies, duration } = policy.config;
  const ttlSeconds = duration.ttl;
  // Browsers drop a SameSite=None cookie that is not Secure.
  const alwaysSecure = cookies.secure || cookies.sameSite === 'none';
  // With `secure: false` the cookie is still made Secure when the request is known to be https,
  // but localhost over http is not counted (Safari drops Secure cookies there).
  const transport: TransportPolicy = { trustProxy: policy.config.transport.trustProxy, localhostIsSecure: false };
  const base: CookieAttributes = { path: '/', httpOnly: true, sameSite: cookies.sameSite, maxAge: ttlSeconds };
  const variants: Readonly<Record<'secure' | 'plain', Variant>> = {
    secure: { name: csrfCookieName(policy, true), attributes: { ...base, secure: true } },
    plain: { name: csrfCookieName(policy, false), attributes: base },
  };
  const variantFor = (request: CsrfRequest): Variant =>
    alwaysSecure || isSecureRequest(request.view, transport) ? variants.secure : variants.plain;

  // Unsealing is WebCrypto work (key derivation, HMAC, AES): remember what recent cookie values
  // opened to. Caching the verification of an authenticated value is safe; the expiry and the
  // name are checked on every use.
  const opened = new BoundedCache<string, OpenedCookie>(options.cacheSize ?? 1000);
  // The secret a response has already set: a second `issueToken` in the same request must not
  // mint another one (the later Set-Cookie would invalidate the first token).
  const issued = new WeakMap<CookieJar, string>();

  const live = (value: string, entry: OpenedCookie): string | null => {
    if (entry.expiresAt > clock.now()) return entry.secret;
    opened.delete(value);
    return null;
  };
  /**
   * The secret in cookie `name` holding `value`. Synchronous for a value opened before (the
   * cache); unsealing is WebCrypto, asynchronous.
   */
  const open = (name: string, value: string): MaybePromise<string | null> => {
    const entry = opened.get(value);
    // A value opens under the one name it was sealed for, never under the other variant's.
    if (entry !== undefined) return entry.name === name ? live(value, entry) : null;
    return sealer.unseal(name, value).then((payload) => {
      const found = openedFrom(name, payload);
      if (found === null) return null;
      opened.set(value, found);
      return live(value, found);
    });
  };

  return {
    prepare(request) {
      const jar = request.jar;
      const already = issued.get(jar);
      if (already !== undefined) return { take: () => already, flush: NOTHING_TO_FLUSH };
      const variant = variantFor(request);
      const value = jar.get(variant.name);
      const current = value === undefined ? null : open(variant.name, value);
      return isPromiseLike(current)
        ? current.then((secret) => preparedFrom(jar, variant, secret))
        : preparedFrom(jar, variant, current);
    },
    lookup(request) {
      const name = variantFor(request).name;
      const value = request.jar.get(name);
      if (value === undefined || value === '') return { reason: 'cookie-missing' };
      const secret = open(name, value);
      return isPromiseLike(secret) ? secret.then(lookupOf) : lookupOf(secret);
    },
  };

  function preparedFrom(jar: CookieJar, variant: Variant, current: string | null): PreparedSecret {
    if (current !== null) {
      issued.set(jar, current);
      return { take: () => current, flush: NOTHING_TO_FLUSH };
    }
    let created: string | null = null;
    let flushed = false;
    return {
      take() {
        // A second prepare() of this response must see this secret, not mint another one.
        created ??= issued.get(jar) ?? createCsrfSecret(crypto);
        issued.set(jar, created);
        return created;
      },
      async flush() {
        if (created === null || flushed) return;
        flushed = true;
        const expiresAt = clock.now() + ttlSeconds * 1000;
        const payload: SealedCsrfSecret = { s: created, e: expiresAt };
        const sealed = await sealer.seal(variant.name, payload);
        opened.set(sealed, { name: variant.name, secret: created, expiresAt });
        jar.setCookie(variant.name, serializeCookie(variant.name, sealed, variant.attributes));
      },
    };
  }
}

function lookupOf(secret: string | null): SecretLookup {
  return secret === null ? { reason: 'cookie-invalid' } : { secret };
}
