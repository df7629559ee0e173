import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RequestScope } from '../adapter/request-scope.js';
import type { SpartanCore } from '../adapter/setup.js';
import type { HeaderReader, RequestView, ResponseHeaders } from '../ports.js';

/**
 * A Node request and response as core's request scope sees them: the `RequestView` (method,
 * the full path, headers, TLS) and the `ResponseHeaders`, in one object per request. For every
 * adapter over Node's `http` (Express, Fastify's and Koa's raw `req`/`res`).
 */
export class NodeExchange implements RequestView, HeaderReader, ResponseHeaders {
  readonly method: string;
  readonly path: string;
  readonly encrypted: boolean;
  readonly headers: HeaderReader = this;
  readonly #request: IncomingMessage & { body?: unknown };
  readonly #response: ServerResponse;

  /**
   * `target` is the request target as the client sent it (Express `req.originalUrl`, Koa
   * `ctx.originalUrl`, Node's `req.url` before any router rewrote it): privileged areas are
   * matched against its full path, never the path inside a mounted router.
   */
  constructor(request: IncomingMessage, response: ServerResponse, target: string = request.url ?? '/') {
    this.#request = request;
    this.#response = response;
    this.method = request.method ?? 'GET';
    this.path = pathnameOf(target);
    this.encrypted = Boolean((request.socket as TLSSocket | undefined)?.encrypted);
  }

  /** The body the framework parsed, read when core asks (body parsers may run after the sessioner). */
  get body(): unknown {
    return this.#request.body;
  }

  /** A request header by its lower-case name; Node has joined a repeated one (`Cookie` with "; "). */
  get(name: string): string | undefined {
    const value = this.#request.headers[name];
    return typeof value === 'string' || value === undefined ? value : value.join(', ');
  }

  getSetCookie(): readonly string[] {
    const current = this.#response.getHeader('set-cookie');
    if (current === undefined) return [];
    return Array.isArray(current) ? current : [String(current)];
  }

  setSetCookie(lines: readonly string[]): void {
    this.#response.setHeader('Set-Cookie', lines.length === 1 ? lines[0]! : [...lines]);
  }

  setHeader(name: string, value: string): void {
    this.#response.setHeader(name, value);
  }

  removeHeader(name: string): void {
    this.#response.removeHeader(name);
  }

  get headersWritable(): boolean {
    return !this.#response.headersSent;
  }
}

/**
 * The path of a request target without its query. An absolute-form target (`GET http://host/admin`,
 * which Node accepts and routers route by its pathname) is parsed so it names the same path the
 * router routes on.
 */
export function pathnameOf(target: string): string {
  if (target.charCodeAt(0) !== 0x2f /* "/" */) {
    try {
      return new URL(target).pathname;
    } catch {
      // `*` (OPTIONS *) or garbage: no path core could match.
      return target;
    }
  }
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/**
 * The scope is held by the request under a symbol. Not a WeakMap: V8 keeps every WeakMap entry
 * of a short-lived key in an ephemeron table each garbage collection works through, which
 * measurably slowed every request (docs/performance.md); a symbol-keyed property costs about
 * nothing and stays out of `Object.keys`, `for…in` and JSON.
 */
const SCOPE: unique symbol = Symbol('spartan-sessions.scope');

type Carrier = IncomingMessage & { [SCOPE]?: RequestScope };

/**
 * The request's scope, opened on first use (by the sessioner, csrf() or a cookie tool) over a
 * `NodeExchange`; the same scope for every later call with the same request.
 */
export function nodeScope(
  core: SpartanCore,
  request: IncomingMessage,
  response: ServerResponse,
  target?: string,
): RequestScope {
  let scope = (request as Carrier)[SCOPE];
  if (scope === undefined) {
    const exchange = new NodeExchange(request, response, target);
    scope = core.scope(exchange, exchange);
    (request as Carrier)[SCOPE] = scope;
  }
  return scope;
}

/** The scope a request already has, if any. */
export function existingNodeScope(request: IncomingMessage | undefined): RequestScope | undefined {
  return request === undefined ? undefined : (request as Carrier)[SCOPE];
}
