import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
  type CookieJar,
  type HeaderReader,
  type RequestView,
  readCookie,
  type SessionContext,
} from '@spartan-sessions/core';

/**
 * The adapter's per-request state, held by the request under a symbol. Not a WeakMap: V8 keeps
 * every WeakMap entry of a short-lived key in an ephemeron table that each garbage collection
 * has to work through, and two WeakMap entries per request (this one and the response hold's)
 * measured 15–25 µs a request on a 130 µs Express request; a symbol-keyed property follows the
 * same hidden-class transition on every request (Express gives each request the same
 * prototype) and costs about nothing. A symbol stays out of `Object.keys`, `for…in` and JSON.
 */
const EXCHANGE: unique symbol = Symbol('spartan-sessions.exchange');

type Carrier = IncomingMessage & { [EXCHANGE]?: Exchange };

/** The `RequestView` core reads: built once per request, the path and the body read as core asks. */
export class ExpressRequestView implements RequestView, HeaderReader {
  readonly method: string;
  readonly path: string;
  readonly encrypted: boolean;
  readonly headers: HeaderReader = this;
  readonly #request: IncomingMessage & { body?: unknown };

  constructor(request: IncomingMessage & { originalUrl?: string; body?: unknown }) {
    this.#request = request;
    this.method = request.method ?? 'GET';
    // `originalUrl`, not `req.path`: inside a mounted router `req.path` is relative to the mount
    // point, and core matches privileged areas against the full path.
    this.path = pathnameOf(request.originalUrl ?? request.url ?? '/');
    this.encrypted = Boolean((request.socket as TLSSocket | undefined)?.encrypted);
  }

  /** Read when core asks (body parsers may run after the sessioner). */
  get body(): unknown {
    return this.#request.body;
  }

  /** A request header by its lower-case name; a repeated header is joined with ", ". */
  get(name: string): string | undefined {
    const value = this.#request.headers[name];
    return typeof value === 'string' || value === undefined ? value : value.join(', ');
  }
}

/**
 * The path of a request target without its query. An absolute-form target (`GET http://host/admin`,
 * which Node accepts and Express routes by its pathname) is parsed so it names the same path
 * Express routes on.
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

/** `CookieJar` over Node's request and response. Never throws: after the headers are out it does nothing. */
export class ExpressCookieJar implements CookieJar {
  readonly #request: IncomingMessage | undefined;
  readonly #response: ServerResponse | undefined;

  constructor(request: IncomingMessage | undefined, response: ServerResponse | undefined) {
    this.#request = request;
    this.#response = response;
  }

  get(name: string): string | undefined {
    return readCookie(this.#request?.headers.cookie, name);
  }

  /** Replaces an earlier `Set-Cookie` line for `name`, keeps every other line (`res.cookie`'s too). */
  setCookie(name: string, serialized: string): void {
    const response = this.#response;
    if (response === undefined || response.headersSent) return;
    const current = response.getHeader('set-cookie');
    if (current === undefined) {
      response.setHeader('Set-Cookie', serialized);
      return;
    }
    const prefix = `${name}=`;
    const lines: string[] = [];
    for (const line of Array.isArray(current) ? current : [String(current)]) {
      if (!line.startsWith(prefix)) lines.push(line);
    }
    lines.push(serialized);
    response.setHeader('Set-Cookie', lines);
  }

  setHeader(name: string, value: string): void {
    const response = this.#response;
    if (response !== undefined && !response.headersSent) response.setHeader(name, value);
  }
}

/**
 * What the adapter knows of one request; built once, shared by the sessioner, csrf() and the
 * cookie tools. It is the request's cookie jar itself (one object a request instead of two).
 */
export class Exchange extends ExpressCookieJar {
  readonly view: ExpressRequestView;
  /** The session of the request, once the sessioner has loaded it. */
  context: SessionContext | null = null;
  /** Set when a sessioner started on this request (a second one mounted by mistake then passes). */
  sessioner = false;
  /** `req.csrfToken`, once csrf() has run on the request (`undefined` before, as with csurf). */
  csrfToken: (() => string) | undefined = undefined;

  constructor(request: IncomingMessage, response: ServerResponse) {
    super(request, response);
    this.view = new ExpressRequestView(request);
  }

  /** The request's `CookieJar` (the exchange itself). */
  get jar(): ExpressCookieJar {
    return this;
  }
}

/** The request's exchange, created on first use (by the sessioner, csrf() or cookieMaker). */
export function exchangeOf(request: IncomingMessage, response: ServerResponse): Exchange {
  let exchange = (request as Carrier)[EXCHANGE];
  if (exchange === undefined) {
    exchange = new Exchange(request, response);
    (request as Carrier)[EXCHANGE] = exchange;
  }
  return exchange;
}

/** The exchange of a request, if the sessioner, csrf() or cookieMaker already made one. */
export function existingExchange(request: IncomingMessage | undefined): Exchange | undefined {
  return request === undefined ? undefined : (request as Carrier)[EXCHANGE];
}
