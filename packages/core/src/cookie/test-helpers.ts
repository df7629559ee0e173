// Test doubles for the cookie tests only (not exported from the package): an in-memory
// CookieJar over a `Cookie` header, and a RequestView built from plain headers.
import type { CookieJar, RequestView } from '../ports.js';
import { parseCookieHeader } from './serialize.js';

/** A CookieJar whose request side is a `Cookie` header and whose response side is recorded. */
export interface MemoryJar extends CookieJar {
  /** Set-Cookie lines by cookie name (a later line for a name replaces the earlier one). */
  readonly setCookies: Map<string, string>;
  readonly headers: Map<string, string>;
}

export function memoryJar(cookieHeader?: string): MemoryJar {
  const cookies = parseCookieHeader(cookieHeader);
  const setCookies = new Map<string, string>();
  const headers = new Map<string, string>();
  return {
    setCookies,
    headers,
    get: (name) => cookies.get(name),
    setCookie: (name, serialized) => {
      setCookies.set(name, serialized);
    },
    setHeader: (name, value) => {
      headers.set(name.toLowerCase(), value);
    },
  };
}

/** A RequestView from plain headers (names are matched case-insensitively). */
export function requestView(init: { encrypted?: boolean; headers?: Record<string, string> } = {}): RequestView {
  const headers = new Map(Object.entries(init.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return {
    method: 'GET',
    path: '/',
    encrypted: init.encrypted ?? false,
    headers: { get: (name) => headers.get(name.toLowerCase()) },
  };
}

/** A TLS request: every Secure cookie may be set. */
export const secureView = (): RequestView => requestView({ encrypted: true, headers: { host: 'example.com' } });

/** A plain-http request from a remote host: no Secure cookie may be set. */
export const insecureView = (): RequestView => requestView({ headers: { host: 'example.com' } });

export const SECRET = 'first-secret-that-is-at-least-32-characters-long';
export const OLD_SECRET = 'older-secret-that-is-at-least-32-characters-long';
