import type { Server } from 'node:http';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express, Response as ExpressResponse, NextFunction, Request } from 'express';

/** A running app: its base URL and how to stop it. */
export interface Running {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export function listen(app: Express): Promise<Running> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1');
    server.once('error', reject);
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
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

/** The error handler of the test apps: renders what reached `next(err)`. */
export function renderError(err: unknown, _req: Request, res: ExpressResponse, _next: NextFunction): void {
  const { code, status } = err as { code?: string; status?: number };
  res.status(status ?? 500).json({ error: code ?? 'unexpected', status: status ?? null });
}

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

export function setCookies(response: Response): SetCookie[] {
  return response.headers.getSetCookie().map(parseSetCookie);
}

export function setCookie(response: Response, name: string): SetCookie | undefined {
  return setCookies(response).find((cookie) => cookie.name === name);
}

export const SESSION_COOKIE = '__Host-spartan';

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
    for (const cookie of setCookies(response)) {
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

  post(path: string, form: Record<string, string> = {}, headers: Record<string, string> = {}) {
    return this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }
}

/** A raw request with what `fetch` would not let us choose: a `Host` of our own, an absolute-form target. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; path?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const init = {
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      ...(options.path !== undefined && { path: options.path }),
    };
    const request = httpRequest(url, init, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}
