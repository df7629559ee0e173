import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running app: its base URL and how to stop it. */
export interface Running {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves a Koa app (2 or 3) on 127.0.0.1, port 0. */
export function listen(app: { callback(): RequestListener }): Promise<Running> {
  return new Promise((resolve, reject) => {
    const server = createServer(app.callback());
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

export const SECRET = 'koa-adapter-test-secret-0123456789abcdef';
export const SESSION_COOKIE = '__Host-spartan';

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

export function setCookie(response: Response, name: string): SetCookie | undefined {
  return response.headers
    .getSetCookie()
    .map(parseSetCookie)
    .find((cookie) => cookie.name === name);
}

/** A cookie-keeping HTTP client (what a browser does with cookies, nothing more). */
export class Browser {
  readonly cookies = new Map<string, string>();
  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  get session(): string | undefined {
    return this.cookies.get(SESSION_COOKIE);
  }

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has('cookie')) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(this.base + path, { ...init, headers, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie().map(parseSetCookie)) {
      const maxAge = cookie.attributes.get('max-age');
      const expires = cookie.attributes.get('expires');
      const gone = maxAge === '0' || (expires !== undefined && Date.parse(expires) <= Date.parse('2000-01-01'));
      if (gone) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    return response;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch(path, { headers });
  }

  post(path: string, form: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }
}
