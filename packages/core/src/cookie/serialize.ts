import type { CookieAttributes } from '../ports.js';

/** RFC 6265 §4.1.1 cookie-name: an HTTP token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 §4.1.1 cookie-octet (no CTLs, whitespace, DQUOTE, comma, semicolon, backslash). */
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
/** Path and Domain attribute values: no CTLs and no semicolon. */
const ATTRIBUTE_VALUE = /^[\x20-\x3A\x3C-\x7E]+$/;

/** The most a browser keeps of one cookie (name + value + attributes), RFC 6265 §6.1. */
export const MAX_COOKIE_BYTES = 4096;

export function isValidCookieName(name: string): boolean {
  return TOKEN.test(name);
}

export function isValidCookieValue(value: string): boolean {
  return COOKIE_VALUE.test(value);
}

/**
 * Serializes one `Set-Cookie` header value. The value must already be cookie-safe (ids, tags,
 * sealed strings are base64url); anything else is percent-encoded by the caller. Throws a
 * `TypeError` for a name, value or attribute that would let a header be split or smuggled.
 */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes = {}): string {
  if (!TOKEN.test(name)) throw new TypeError('cookie name is not an RFC 6265 token');
  if (!COOKIE_VALUE.test(value)) throw new TypeError('cookie value has characters outside RFC 6265 cookie-octet');
  let header = `${name}=${value}`;
  if (attributes.maxAge !== undefined) {
    if (!Number.isFinite(attributes.maxAge)) throw new TypeError('maxAge must be a finite number');
    header += `; Max-Age=${Math.floor(attributes.maxAge)}`;
  }
  if (attributes.domain !== undefined) {
    if (!ATTRIBUTE_VALUE.test(attributes.domain)) throw new TypeError('domain has invalid characters');
    header += `; Domain=${attributes.domain}`;
  }
  if (attributes.path !== undefined) {
    if (!ATTRIBUTE_VALUE.test(attributes.path)) throw new TypeError('path has invalid characters');
    header += `; Path=${attributes.path}`;
  }
  if (attributes.expires !== undefined) {
    const date = new Date(attributes.expires);
    if (Number.isNaN(date.getTime())) throw new TypeError('expires must be a valid time');
    header += `; Expires=${date.toUTCString()}`;
  }
  if (attributes.httpOnly) header += '; HttpOnly';
  if (attributes.secure) header += '; Secure';
  if (attributes.partitioned) header += '; Partitioned';
  if (attributes.priority !== undefined) {
    header += `; Priority=${attributes.priority[0]!.toUpperCase()}${attributes.priority.slice(1)}`;
  }
  if (attributes.sameSite !== undefined) {
    header += `; SameSite=${attributes.sameSite[0]!.toUpperCase()}${attributes.sameSite.slice(1)}`;
  }
  return header;
}

/**
 * Parses a `Cookie` request header into name → raw value. The first occurrence of a name wins
 * (browsers send the most specific path first). Never throws; skips malformed pairs.
 */
export function parseCookieHeader(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  let start = 0;
  const length = header.length;
  while (start < length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end) {
      const name = header.slice(start, eq).trim();
      let value = header.slice(eq + 1, end).trim();
      if (value.length >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22) {
        value = value.slice(1, -1);
      }
      if (name.length > 0 && !cookies.has(name)) cookies.set(name, value);
    }
    start = end + 1;
  }
  return cookies;
}

/** Reads one cookie from a `Cookie` header without building a map (the hot path). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let from = 0;
  while (from < header.length) {
    const at = header.indexOf(name, from);
    if (at === -1) return undefined;
    const before = at === 0 ? ';' : header[at - 1]!;
    const afterIndex = at + name.length;
    if ((before === ';' || before === ' ' || before === '\t') && header[afterIndex] === '=') {
      // Make sure what precedes is only whitespace back to a separator.
      let k = at - 1;
      while (k >= 0 && (header[k] === ' ' || header[k] === '\t')) k--;
      if (k < 0 || header[k] === ';') {
        let end = header.indexOf(';', afterIndex + 1);
        if (end === -1) end = header.length;
        let value = header.slice(afterIndex + 1, end).trim();
        if (value.length >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22) {
          value = value.slice(1, -1);
        }
        return value;
      }
    }
    from = at + name.length;
  }
  return undefined;
}
