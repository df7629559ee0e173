import { expect } from 'vitest';

/** One `Set-Cookie` line, taken apart. */
export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; a flag maps to `''`. */
  attributes: Map<string, string>;
  line: string;
}

export function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const at = part.indexOf('=');
    const key = (at === -1 ? part : part.slice(0, at)).trim().toLowerCase();
    attributes.set(key, at === -1 ? '' : part.slice(at + 1).trim());
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes, line };
}

/** Whether a `Set-Cookie` line tells the browser to drop the cookie. */
export function isCleared(cookie: SetCookie): boolean {
  const maxAge = cookie.attributes.get('max-age');
  if (maxAge !== undefined && Number(maxAge) <= 0) return true;
  const expires = cookie.attributes.get('expires');
  return expires !== undefined && Date.parse(expires) <= Date.parse('2000-01-01T00:00:00Z');
}

/** A response with its body already read (so no test leaves a connection half-used). */
export interface KitResponse {
  status: number;
  headers: Headers;
  body: string;
  setCookies: SetCookie[];
  /** The `Set-Cookie` line for `name`, if any. */
  cookie(name: string): SetCookie | undefined;
  /** The body parsed as JSON. */
  json<T = JsonObject>(): T;
}

/** A JSON object as the kit reads it back. */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/**
 * A cookie-keeping HTTP client over the global `fetch`: what a browser does with cookies,
 * nothing more (no Origin, Referer or Sec-Fetch-Site unless a test sends them). Every response
 * that sets or clears the session cookie is checked for `Cache-Control: no-store` (SPEC §5).
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  readonly base: string;
  readonly sessionCookieName: string;

  constructor(base: string, sessionCookieName: string) {
    this.base = base;
    this.sessionCookieName = sessionCookieName;
  }

  /** The session cookie's value as the browser holds it. */
  get session(): string | undefined {
    return this.cookies.get(this.sessionCookieName);
  }

  set session(value: string | undefined) {
    if (value === undefined) this.cookies.delete(this.sessionCookieName);
    else this.cookies.set(this.sessionCookieName, value);
  }

  async fetch(path: string, init: RequestInit = {}): Promise<KitResponse> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has('cookie')) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(this.base + path, { ...init, headers, redirect: 'manual' });
    const body = await response.text();
    const setCookies = response.headers.getSetCookie().map(parseSetCookie);
    for (const cookie of setCookies) {
      if (isCleared(cookie)) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    if (setCookies.some((cookie) => cookie.name === this.sessionCookieName)) {
      expect(
        response.headers.get('cache-control'),
        `a response that sets or clears the session cookie carries Cache-Control: no-store (${path})`,
      ).toMatch(/\bno-store\b/);
    }
    return {
      status: response.status,
      headers: response.headers,
      body,
      setCookies,
      cookie: (name) => setCookies.find((cookie) => cookie.name === name),
      json: <T>() => JSON.parse(body) as T,
    };
  }

  get(path: string, headers: Record<string, string> = {}): Promise<KitResponse> {
    return this.fetch(path, { headers });
  }

  /** A form POST (`application/x-www-form-urlencoded`). */
  post(path: string, form: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<KitResponse> {
    return this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** A JSON POST; `body` is sent as it is when it is a string. */
  postJson(path: string, body: unknown, headers: Record<string, string> = {}): Promise<KitResponse> {
    return this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }
}
