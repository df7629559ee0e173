import type { CookieAttributes } from '../ports.js';

/** RFC 6265 §4.1.1 cookie-name: an HTTP token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 §4.1.1 cookie-octet (no CTLs, whitespace, DQUOTE, comma, semicolon, backslash). */
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
/**
 * A Path attribute value. RFC 6265bis §4.1.1 allows any CHAR but CTLs and ";" (`path-value`);
 * stricter here: it must start with "/" (a user agent replaces any other path by the default
 * path, §5.6.4: the cookie would silently land elsewhere), and space and "," are refused as
 * well: real parsers split `Set-Cookie` lines at commas or trim at whitespace, so such a path
 * is read differently by different parsers.
 */
const COOKIE_PATH = /^\/[\x21-\x2B\x2D-\x3A\x3C-\x7E]*$/;
/** One DNS label (RFC 1123 §2.1): letters, digits and inner hyphens, 1 to 63 characters. */
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/**
 * A Domain attribute value: a host name (RFC 6265bis §4.1.2.3, `domain-value` = `subdomain`
 * of RFC 1034 §3.5 as amended by RFC 1123 §2.1), with the optional leading "." user agents
 * ignore. No space, comma, semicolon, port, trailing dot, underscore or CTL.
 */
const COOKIE_DOMAIN = new RegExp(`^\\.?${LABEL}(?:\\.${LABEL})*$`);
/** The longest host name (RFC 1035 §2.3.4: 255 octets on the wire, 253 characters in text). */
const MAX_DOMAIN_LENGTH = 253;
/** RFC 6265bis §5.6: a user agent ignores an attribute value longer than 1024 octets. */
const MAX_ATTRIBUTE_VALUE_LENGTH = 1024;

/**
 * Enumerated attribute values, spelled as they go on the wire. Looked up rather than
 * capitalised, so that a JavaScript caller passing an arbitrary string (`'lax\r\nX: y'`) gets a
 * `TypeError` instead of a smuggled header.
 */
const SAME_SITE: Readonly<Record<string, string>> = { strict: 'Strict', lax: 'Lax', none: 'None' };
const PRIORITY: Readonly<Record<string, string>> = { low: 'Low', medium: 'Medium', high: 'High' };

/** The most a browser keeps of one cookie (name + value + attributes), RFC 6265 §6.1. */
export const MAX_COOKIE_BYTES = 4096;

export function isValidCookieName(name: string): boolean {
  return TOKEN.test(name);
}

export function isValidCookieValue(value: string): boolean {
  return COOKIE_VALUE.test(value);
}

/**
 * Whether `path` may be a cookie's Path: "/" then printable ASCII without space, ";" or ",",
 * at most 1024 characters. See `COOKIE_PATH` for why it is stricter than RFC 6265bis.
 */
export function isValidCookiePath(path: unknown): path is string {
  return typeof path === 'string' && path.length <= MAX_ATTRIBUTE_VALUE_LENGTH && COOKIE_PATH.test(path);
}

/**
 * Whether `domain` may be a cookie's Domain: a host name (labels of letters, digits and inner
 * hyphens, separated by dots, each 1-63 characters, 253 in all), optionally led by one ".".
 */
export function isValidCookieDomain(domain: unknown): domain is string {
  if (typeof domain !== 'string') return false;
  const host = domain.startsWith('.') ? domain.slice(1) : domain;
  return host.length <= MAX_DOMAIN_LENGTH && COOKIE_DOMAIN.test(domain);
}

/**
 * Serializes one `Set-Cookie` header value. The value must already be cookie-safe (ids, tags,
 * sealed strings are base64url); anything else is percent-encoded by the caller. Throws a
 * `TypeError` for a name, value or attribute that would let a header be split or smuggled.
 *
 * Attribute order (stable, tests rely on it): Max-Age, Domain, Path, Expires, HttpOnly, Secure,
 * Partitioned, Priority, SameSite — the order of the `cookie` package.
 */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes = {}): string {
  if (typeof name !== 'string' || !TOKEN.test(name)) throw new TypeError('cookie name is not an RFC 6265 token');
  if (typeof value !== 'string' || !COOKIE_VALUE.test(value)) {
    throw new TypeError('cookie value has characters outside RFC 6265 cookie-octet');
  }
  let header = `${name}=${value}`;
  if (attributes.maxAge !== undefined) {
    if (!Number.isFinite(attributes.maxAge)) throw new TypeError('maxAge must be a finite number');
    header += `; Max-Age=${Math.floor(attributes.maxAge)}`;
  }
  if (attributes.domain !== undefined) {
    if (!isValidCookieDomain(attributes.domain)) throw new TypeError('domain is not a host name');
    header += `; Domain=${attributes.domain}`;
  }
  if (attributes.path !== undefined) {
    if (!isValidCookiePath(attributes.path)) {
      throw new TypeError('path must start with "/" and hold no space, ";", "," or control character');
    }
    header += `; Path=${attributes.path}`;
  }
  if (attributes.expires !== undefined) {
    // Only a number (ms since epoch): `new Date('…')` would parse arbitrary strings.
    const date = new Date(typeof attributes.expires === 'number' ? attributes.expires : Number.NaN);
    if (Number.isNaN(date.getTime())) throw new TypeError('expires must be a valid time (ms since epoch)');
    header += `; Expires=${date.toUTCString()}`;
  }
  if (attributes.httpOnly) header += '; HttpOnly';
  if (attributes.secure) header += '; Secure';
  if (attributes.partitioned) header += '; Partitioned';
  if (attributes.priority !== undefined) {
    const priority = Object.hasOwn(PRIORITY, attributes.priority) ? PRIORITY[attributes.priority] : undefined;
    if (priority === undefined) throw new TypeError('priority must be "low", "medium" or "high"');
    header += `; Priority=${priority}`;
  }
  if (attributes.sameSite !== undefined) {
    const sameSite = Object.hasOwn(SAME_SITE, attributes.sameSite) ? SAME_SITE[attributes.sameSite] : undefined;
    if (sameSite === undefined) throw new TypeError('sameSite must be "strict", "lax" or "none"');
    header += `; SameSite=${sameSite}`;
  }
  return header;
}

// Parsing follows RFC 6265bis §5.6 (cookie-string → pairs): split on ";", split each pair at its
// first "=", strip leading and trailing WSP (space, tab; nothing else) from name and value. A
// pair without "=" or with an empty name is skipped. `parseCookieHeader` and `readCookie` share
// these rules exactly (a property test holds them to it), so the map and the hot path never
// disagree about which cookie a request carries.

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** The value of the pair whose "=" is at `eq` and which ends at `end`: WSP-trimmed, one pair of DQUOTEs dropped. */
function valueAt(header: string, eq: number, end: number): string {
  let from = eq + 1;
  let to = end;
  while (from < to && isWhitespace(header.charCodeAt(from))) from++;
  while (to > from && isWhitespace(header.charCodeAt(to - 1))) to--;
  // RFC 6265 §4.1.1 allows a cookie-value wrapped in DQUOTEs; the quotes are not part of it.
  if (to - from >= 2 && header.charCodeAt(from) === 0x22 && header.charCodeAt(to - 1) === 0x22) {
    from++;
    to--;
  }
  return header.slice(from, to);
}

/**
 * Parses a `Cookie` request header into name → raw value (not URI-decoded). The first
 * occurrence of a name wins (browsers send the most specific path first). Never throws; skips
 * malformed pairs.
 */
export function parseCookieHeader(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (typeof header !== 'string' || header.length === 0) return cookies;
  const length = header.length;
  let start = 0;
  while (start < length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end) {
      let nameStart = start;
      let nameEnd = eq;
      while (nameStart < nameEnd && isWhitespace(header.charCodeAt(nameStart))) nameStart++;
      while (nameEnd > nameStart && isWhitespace(header.charCodeAt(nameEnd - 1))) nameEnd--;
      if (nameEnd > nameStart) {
        const name = header.slice(nameStart, nameEnd);
        if (!cookies.has(name)) cookies.set(name, valueAt(header, eq, end));
      }
    }
    start = end + 1;
  }
  return cookies;
}

/**
 * Reads one cookie from a `Cookie` header without building a map (the hot path): the same
 * answer as `parseCookieHeader(header).get(name)`, allocating only the value it returns. A name
 * that is a suffix of another (`spartan` in `xspartan=1`) or appears inside a value never matches.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (typeof header !== 'string' || typeof name !== 'string' || name.length === 0) return undefined;
  // The parser strips WSP around names, so a name ending in WSP never occurs in its map.
  if (isWhitespace(name.charCodeAt(name.length - 1))) return undefined;
  const length = header.length;
  let start = 0;
  while (start < length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = length;
    let nameStart = start;
    while (nameStart < end && isWhitespace(header.charCodeAt(nameStart))) nameStart++;
    if (header.startsWith(name, nameStart)) {
      let eq = nameStart + name.length;
      while (eq < end && isWhitespace(header.charCodeAt(eq))) eq++;
      // The pair's first "=" must follow the name (with only WSP between), as the parser splits there.
      if (eq < end && header.charCodeAt(eq) === 0x3d && header.indexOf('=', nameStart) === eq) {
        return valueAt(header, eq, end);
      }
    }
    start = end + 1;
  }
  return undefined;
}
