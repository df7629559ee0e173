import { SpartanError } from '../errors/errors.js';
import type { Policy } from '../policy/policy.js';
import type { CookieAttributes, RequestView } from '../ports.js';
import {
  isValidCookieDomain,
  isValidCookiePath,
  isValidCookieValue,
  MAX_COOKIE_BYTES,
  serializeCookie,
} from './serialize.js';
import { isSecureRequest, type TransportPolicy } from './transport.js';

/**
 * What a caller may ask of one cookie (`cookieMaker`'s and `cookieMonster`'s `options`). The
 * policy decides the rest: `httpOnly`, `secure` and `sameSite` are accepted for compatibility
 * with the original API and always replaced by the policy's `config.cookies` values.
 */
export interface CookieOptions {
  /**
   * Path attribute: "/" followed by printable ASCII without space, ";" or "," (at most 1024
   * characters); anything else is refused with `sessions/option-type-incorrect`. Ignored for a
   * `__Host-` cookie, which must have `Path=/` (RFC 6265bis §4.1.3.2).
   * @default the policy's `config.path`
   */
  path?: string;
  /**
   * Domain attribute: a host name (letters, digits, hyphens, dots; an optional leading ".");
   * no space, comma, semicolon, port or control character, else `sessions/option-type-incorrect`.
   * Ignored for a `__Host-` cookie, which must not have one.
   * @default the policy's `config.domain` (none when it is `null`: a host-only cookie)
   */
  domain?: string;
  /**
   * Lifetime in **seconds** (the `Max-Age` attribute, as in the policy, `@fastify/cookie` and
   * Hono; NOT milliseconds as in Express's `res.cookie`). Also the ttl of a sealed value.
   * @default none: a browser-session cookie
   */
  maxAge?: number;
  /**
   * Absolute expiry: a `Date` or milliseconds since the epoch (the `Expires` attribute).
   * @default none
   */
  expires?: Date | number;
  /**
   * CHIPS `Partitioned` attribute (third-party contexts). Implies `Secure`, as browsers require.
   * @default false
   */
  partitioned?: boolean;
  /**
   * Chromium's `Priority` attribute.
   * @default none (the browser's "medium")
   */
  priority?: 'low' | 'medium' | 'high';
  /**
   * Encrypt and authenticate the value with iron (AES-256-CBC + HMAC-SHA256) under the first
   * secret's `sealed-cookie` key; any value JSON gives back as it is may then be set (a Date,
   * Map, class instance or NaN is refused with `sessions/option-type-incorrect`, never silently
   * changed). Read it back with `reader(jar).sealed(name)`.
   * @default false
   */
  sealed?: boolean;
  /** Ignored: the policy's `config.cookies.httpOnly` always applies. */
  httpOnly?: boolean;
  /** Ignored: the policy's `config.cookies.secure` always applies (a prefix may force it on). */
  secure?: boolean;
  /** Ignored: the policy's `config.cookies.sameSite` always applies. */
  sameSite?: 'strict' | 'lax' | 'none' | boolean;
}

/** Which RFC 6265bis §4.1.3 prefix a cookie name carries. */
type PrefixKind = 'host' | 'secure' | 'none';

/**
 * RFC 6265bis §4.1.3 cookie prefixes. Browsers match them case-insensitively (so must we, or
 * `__host-x` would slip past the rules a browser will enforce and be silently rejected).
 */
const HOST_PREFIX = /^__host-/i;
const SECURE_PREFIX = /^__secure-/i;

function prefixKindOf(name: string): PrefixKind {
  if (HOST_PREFIX.test(name)) return 'host';
  return SECURE_PREFIX.test(name) ? 'secure' : 'none';
}

/** The start of the Unix epoch: an `Expires` every browser reads as "already gone". */
const EPOCH = 0;

const PRIORITIES: ReadonlySet<unknown> = new Set(['low', 'medium', 'high']);

/** `sessions/option-type-incorrect` for `options.<option>`; details `{ option }` (never the value). */
function optionError(option: string, expected: string): SpartanError {
  return new SpartanError('sessions/option-type-incorrect', `options.${option} must be ${expected}`, { option });
}

const PATH_RULE = 'a path starting with "/", without spaces, ";", "," or control characters (at most 1024 characters)';
const HOST_PLACE_RULE =
  'absent on a __Host- cookie (it must have Path=/ and no Domain): use prefix "auto" or "secure" for a cookie with its own path or domain';
const DOMAIN_RULE =
  'a host name (letters, digits, hyphens and dots, an optional leading "."), without spaces, ",", ";", a port or control characters';

/**
 * Checks options at run time (JavaScript callers, values read from config files): a wrong type
 * or a path or domain a browser would read otherwise than meant is a programming error,
 * reported before anything reaches a header. Never silently dropped or rewritten: a cookie on
 * another path or domain than asked is a bug nobody sees.
 */
function checkOptions(options: CookieOptions): void {
  if (typeof options !== 'object' || options === null) throw optionError('(root)', 'an object');
  const { path, domain, maxAge, expires, partitioned, priority, sealed } = options;
  if (path !== undefined && !isValidCookiePath(path)) throw optionError('path', PATH_RULE);
  if (domain !== undefined && !isValidCookieDomain(domain)) throw optionError('domain', DOMAIN_RULE);
  if (maxAge !== undefined && (typeof maxAge !== 'number' || !Number.isFinite(maxAge))) {
    throw optionError('maxAge', 'a finite number of seconds');
  }
  if (expires !== undefined && !Number.isFinite(expires instanceof Date ? expires.getTime() : expires)) {
    throw optionError('expires', 'a valid Date or a number of milliseconds since the epoch');
  }
  if (partitioned !== undefined && typeof partitioned !== 'boolean') throw optionError('partitioned', 'a boolean');
  if (priority !== undefined && !PRIORITIES.has(priority)) throw optionError('priority', '"low", "medium" or "high"');
  if (sealed !== undefined && typeof sealed !== 'boolean') throw optionError('sealed', 'a boolean');
}

/**
 * Every cookie decision of a policy, computed once at factory time: the prefixed names, the
 * attributes the policy imposes, the session cookie's header pieces. The hot path (the session
 * cookie) allocates only the header string it returns.
 */
export class CookiePolicy {
  /** The policy this was built from (frozen by `parsePolicy`). */
  readonly policy: Policy;
  /** `config.transport`, for `isSecureRequest`. */
  readonly transport: TransportPolicy;
  /** The prefix `nameFor` adds to an unprefixed name: `''`, `'__Host-'` or `'__Secure-'`. */
  readonly prefix: '' | '__Host-' | '__Secure-';
  /** The session cookie's attributes (no expiry: `serializeSessionCookie` adds it). Frozen. */
  readonly sessionAttributes: Readonly<CookieAttributes>;

  readonly #sessionCookieName: string;
  /** Attributes imposed on a cookie without options, by the prefix its name carries. Frozen. */
  readonly #baseAttributes: Readonly<Record<PrefixKind, Readonly<CookieAttributes>>>;
  /** `; Domain=…; Path=…`: what precedes `Expires` in the session cookie's header. */
  readonly #sessionHead: string;
  /** `; HttpOnly; Secure; SameSite=…`: what follows `Expires`. */
  readonly #sessionTail: string;
  readonly #sessionClear: string;

  constructor(policy: Policy) {
    this.policy = policy;
    const { name, path, domain, cookies, transport } = policy.config;
    checkPolicyPlace(path, domain);
    this.transport = transport;
    this.prefix = prefixFor(policy);

    const policyAttributes: CookieAttributes = { path };
    if (domain !== null) policyAttributes.domain = domain;
    policyAttributes.httpOnly = cookies.httpOnly;
    policyAttributes.secure = cookies.secure;
    policyAttributes.sameSite = cookies.sameSite;
    // RFC 6265bis §4.1.3.1: a `__Secure-` cookie must be Secure, or the browser rejects it.
    const securePrefixed: CookieAttributes = { ...policyAttributes, secure: true };
    // RFC 6265bis §4.1.3.2: a `__Host-` cookie must be Secure, have Path=/ and no Domain, so it
    // is bound to the exact origin and a sibling subdomain cannot plant or shadow it.
    const hostPrefixed: CookieAttributes = { ...securePrefixed, path: '/' };
    delete hostPrefixed.domain;
    this.#baseAttributes = Object.freeze({
      none: Object.freeze(policyAttributes),
      secure: Object.freeze(securePrefixed),
      host: Object.freeze(hostPrefixed),
    });

    this.#sessionCookieName = this.nameFor(name);
    this.sessionAttributes = this.attributesFor(this.#sessionCookieName);
    const session = this.sessionAttributes;
    const nameLength = this.#sessionCookieName.length + 1;
    // Attribute order is Max-Age, Domain, Path, Expires, HttpOnly, …: split the serializer's own
    // output around Expires rather than re-implementing it (a test checks they agree).
    const head: CookieAttributes = {};
    if (session.domain !== undefined) head.domain = session.domain;
    if (session.path !== undefined) head.path = session.path;
    const tail: CookieAttributes = { ...session };
    delete tail.domain;
    delete tail.path;
    this.#sessionHead = serializeCookie(this.#sessionCookieName, '', head).slice(nameLength);
    this.#sessionTail = serializeCookie(this.#sessionCookieName, '', tail).slice(nameLength);
    this.#sessionClear = serializeCookie(this.#sessionCookieName, '', { ...session, maxAge: 0, expires: EPOCH });
  }

  /** The session cookie's name as the browser stores it (with its prefix). */
  get sessionCookieName(): string {
    return this.#sessionCookieName;
  }

  /**
   * The name a cookie is stored under: `name` with the policy's prefix (`config.cookies.prefix`,
   * RFC 6265bis §4.1.3). A name that already carries a prefix (`__Host-csrf`, any case) is kept
   * as it is, and `attributesFor` enforces that prefix's rules.
   */
  nameFor(name: string, options?: CookieOptions): string {
    if (prefixKindOf(name) !== 'none') return name;
    const prefix = options === undefined ? this.prefix : this.#prefixOf(options);
    return prefix === '' ? name : prefix + name;
  }

  /**
   * The names a cookie called `name` may carry under this policy, the policy's own first: under
   * `auto` a cookie given its own path carries `__Secure-` instead of `__Host-`, and a reader
   * does not know which one was set.
   */
  namesFor(name: string): readonly string[] {
    const usual = this.nameFor(name);
    return this.prefix === '__Host-' && this.#auto && usual !== name ? [usual, `__Secure-${name}`] : [usual];
  }

  /**
   * The prefix of one cookie. The policy's choice unless `auto` and the cookie has its own path
   * or domain: the prefix then follows the cookie's own place (SPEC §3), so a path or domain is
   * never changed to fit a prefix.
   */
  #prefixOf(options: CookieOptions): CookiePolicy['prefix'] {
    if (!this.#auto || (options.path === undefined && options.domain === undefined)) return this.prefix;
    const { path, domain, cookies } = this.policy.config;
    if (!cookies.secure || (options.domain ?? domain) !== null) return '';
    return (options.path ?? path) === '/' ? '__Host-' : '__Secure-';
  }

  get #auto(): boolean {
    return this.policy.config.cookies.prefix === 'auto';
  }

  /**
   * The attributes of cookie `name` (the final, prefixed name): the policy's `httpOnly`,
   * `secure` and `sameSite` always override `options`; path and domain come from `options`,
   * else the policy; a `__Host-` name forces `Path=/` and no Domain; a `__Secure-` or `__Host-`
   * name, and `partitioned`, force `Secure`. Without options it returns a shared frozen object.
   * Throws `sessions/option-type-incorrect` for an option of the wrong type.
   */
  attributesFor(name: string, options?: CookieOptions): Readonly<CookieAttributes> {
    const kind = prefixKindOf(name);
    const base = this.#baseAttributes[kind];
    if (options === undefined) return base;
    checkOptions(options);
    const attributes: CookieAttributes = { ...base };
    if (kind === 'host') {
      // RFC 6265bis §4.1.3.2: Path=/ and no Domain. Refused rather than silently changed.
      if (options.path !== undefined && options.path !== '/') throw optionError('path', HOST_PLACE_RULE);
      if (options.domain !== undefined) throw optionError('domain', HOST_PLACE_RULE);
    } else {
      if (options.path !== undefined) attributes.path = options.path;
      if (options.domain !== undefined) attributes.domain = options.domain;
    }
    if (options.maxAge !== undefined) attributes.maxAge = options.maxAge;
    if (options.expires !== undefined) {
      attributes.expires = options.expires instanceof Date ? options.expires.getTime() : options.expires;
    }
    if (options.partitioned === true) {
      // CHIPS: browsers reject a Partitioned cookie that is not Secure.
      attributes.partitioned = true;
      attributes.secure = true;
    }
    if (options.priority !== undefined) attributes.priority = options.priority;
    return attributes;
  }

  /** Whether the request arrived over a connection a browser keeps `Secure` cookies from. */
  isSecureRequest(view: RequestView): boolean {
    return isSecureRequest(view, this.transport);
  }

  /**
   * Throws `session/insecure-connection` when a `Secure` cookie would be set in answer to a
   * request that did not arrive over a secure connection: the browser would drop it silently,
   * and a session or CSRF defence that quietly stops working is worse than an error.
   */
  assertSecureTransport(
    view: RequestView,
    attributes: Readonly<CookieAttributes> = this.sessionAttributes,
    name: string = this.#sessionCookieName,
  ): void {
    if (attributes.secure !== true || isSecureRequest(view, this.transport)) return;
    throw new SpartanError(
      'session/insecure-connection',
      `Cookie "${name}" is Secure but the request did not arrive over HTTPS, so the browser would drop it. ` +
        'Serve over HTTPS; behind a TLS-terminating proxy set config.transport.trustProxy: true (it then ' +
        'honours X-Forwarded-Proto); for development on http://localhost keep config.transport.localhostIsSecure: true.',
      { name },
    );
  }

  /**
   * `serializeCookie` plus the size limit: throws `sessions/cookie-too-large` (details: name and
   * byte count, never the value) when the header exceeds `MAX_COOKIE_BYTES`, since a browser
   * would drop it silently. Throws `TypeError` for a name, value or attribute that is not safe.
   */
  serialize(name: string, value: string, attributes: Readonly<CookieAttributes>): string {
    const header = serializeCookie(name, value, attributes);
    assertCookieSize(name, header);
    return header;
  }

  /** A header that expires cookie `name` (final name) at once, with the same path/domain/prefix rules. */
  serializeClear(name: string, options?: CookieOptions): string {
    return serializeCookie(name, '', { ...this.attributesFor(name, options), maxAge: 0, expires: EPOCH });
  }

  /**
   * The session cookie's `Set-Cookie` value. `expiresAt` (ms since epoch) is the session's
   * absolute expiry, so the cookie dies with the session (or the session's own earlier cookie
   * expiry; `null` for a browser-session cookie). Throws `TypeError` for a value that is
   * not a cookie-octet string or an invalid time, `sessions/cookie-too-large` past 4096 bytes.
   */
  serializeSessionCookie(value: string, expiresAt: number | null): string {
    if (typeof value !== 'string' || !isValidCookieValue(value)) {
      throw new TypeError('cookie value has characters outside RFC 6265 cookie-octet');
    }
    // null: a browser-session cookie (no Expires, RFC 6265 §5.3 step 3: not persistent).
    let expires = '';
    if (expiresAt !== null) {
      const date = new Date(typeof expiresAt === 'number' ? expiresAt : Number.NaN);
      if (Number.isNaN(date.getTime())) throw new TypeError('expires must be a valid time (ms since epoch)');
      expires = `; Expires=${date.toUTCString()}`;
    }
    const header = `${this.#sessionCookieName}=${value}${this.#sessionHead}${expires}${this.#sessionTail}`;
    assertCookieSize(this.#sessionCookieName, header);
    return header;
  }

  /** Expires the session cookie (same name, path, domain, prefix): `Max-Age=0` and an `Expires` in 1970. */
  serializeSessionCookieClear(): string {
    return this.#sessionClear;
  }
}

/**
 * `config.path` and `config.domain` follow the rules of the per-cookie options (a hand-built
 * policy, or one `parsePolicy` let through): `sessions/invalid-policy` naming the bad field.
 */
function checkPolicyPlace(path: string, domain: string | null): void {
  const issues: Array<{ path: string; message: string }> = [];
  if (!isValidCookiePath(path)) issues.push({ path: 'config.path', message: `must be ${PATH_RULE}` });
  if (domain !== null && !isValidCookieDomain(domain)) {
    issues.push({ path: 'config.domain', message: `must be ${DOMAIN_RULE}` });
  }
  if (issues.length === 0) return;
  throw new SpartanError(
    'sessions/invalid-policy',
    `The security policy is invalid: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    { issues },
  );
}

/**
 * The prefix of `config.cookies.prefix` (RFC 6265bis §4.1.3). `auto`: `__Host-` for a Secure
 * cookie on Path=/ without Domain (the strongest: bound to one origin); no prefix when a domain
 * is set (the original module's documented behaviour: a domain cookie is shared on purpose);
 * `__Secure-` for a Secure cookie on another path without domain (`__Host-` needs Path=/, and
 * `__Secure-` still stops an insecure origin from planting it); none when not Secure.
 * `host`/`secure`/`none` force it (`parsePolicy` refuses the impossible combinations).
 */
function prefixFor(policy: Policy): CookiePolicy['prefix'] {
  const { path, domain, cookies } = policy.config;
  switch (cookies.prefix) {
    case 'host':
      return '__Host-';
    case 'secure':
      return '__Secure-';
    case 'none':
      return '';
    default:
      if (!cookies.secure || domain !== null) return '';
      return path === '/' ? '__Host-' : '__Secure-';
  }
}

function assertCookieSize(name: string, header: string): void {
  // RFC 6265 §6.1: browsers keep at least 4096 bytes of name, value and attributes, and drop
  // what is larger without telling anyone.
  // serializeCookie accepts only characters in 0x20–0x7E (a test holds it to that), so the
  // header is ASCII and its length is its UTF-8 size.
  const bytes = header.length;
  if (bytes > MAX_COOKIE_BYTES) {
    throw new SpartanError(
      'sessions/cookie-too-large',
      `Cookie "${name}" is ${bytes} bytes, over the ${MAX_COOKIE_BYTES}-byte limit browsers keep; store less in it`,
      { name, bytes, limit: MAX_COOKIE_BYTES },
    );
  }
}
