import type { TLSSocket } from 'node:tls';
import { type HeaderReader, type RequestView, type ResponseHeaders, Session } from '@spartan-sessions/core';
import { RESERVED_SESSION_KEYS, type RequestScope, type SpartanCore } from '@spartan-sessions/core/adapter';
import { pathnameOf } from '@spartan-sessions/core/node';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A Fastify request and reply as core's request scope sees them: the `RequestView` over
 * `request.raw` (the full URL, also under a plugin prefix; the body Fastify parsed) and the
 * `ResponseHeaders` over `reply`, where Fastify keeps headers until it sends. The reply may be
 * absent (`cookieReader(request)` before any hook opened the scope): nothing is written then.
 */
export class FastifyExchange implements RequestView, HeaderReader, ResponseHeaders {
  readonly method: string;
  readonly path: string;
  readonly encrypted: boolean;
  readonly headers: HeaderReader = this;
  readonly scope: RequestScope;
  /** `beforeSend()` failed: the error response that replaces the reply goes out as it is. */
  failed = false;
  readonly #request: FastifyRequest;
  readonly #reply: FastifyReply | null;

  constructor(core: SpartanCore, request: FastifyRequest, reply: FastifyReply | null) {
    const raw = request.raw;
    this.#request = request;
    this.#reply = reply;
    this.method = raw.method ?? 'GET';
    this.path = pathnameOf(raw.url ?? '/');
    this.encrypted = Boolean((raw.socket as TLSSocket | undefined)?.encrypted);
    this.scope = core.scope(this, this);
  }

  /** The parsed body, read when core asks (Fastify parses it after `onRequest`). */
  get body(): unknown {
    return this.#request.body;
  }

  get(name: string): string | undefined {
    const value = this.#request.raw.headers[name];
    return typeof value === 'string' || value === undefined ? value : value.join(', ');
  }

  getSetCookie(): readonly string[] {
    const current = this.#reply?.getHeader('set-cookie');
    if (current === undefined) return [];
    return Array.isArray(current) ? current.map(String) : [String(current)];
  }

  setSetCookie(lines: readonly string[]): void {
    const reply = this.#reply;
    if (reply === null) return;
    // `reply.header('set-cookie', …)` appends; replacing the lines needs the old ones gone first.
    reply.removeHeader('set-cookie');
    if (lines.length > 0) reply.header('set-cookie', lines.length === 1 ? lines[0] : [...lines]);
  }

  setHeader(name: string, value: string): void {
    this.#reply?.header(name, value);
  }

  removeHeader(name: string): void {
    this.#reply?.removeHeader(name);
  }

  get headersWritable(): boolean {
    return this.#reply !== null && !this.#reply.raw.headersSent;
  }
}

/** The request's exchange, under a symbol (a request decoration: no WeakMap, no new hidden class). */
export const EXCHANGE: unique symbol = Symbol('spartan-sessions.exchange');

type Carrier = FastifyRequest & { [EXCHANGE]?: FastifyExchange | null };

/** The exchange a request already has, if any. */
export function existingExchange(request: FastifyRequest): FastifyExchange | undefined {
  return (request as Carrier)[EXCHANGE] ?? undefined;
}

/** The request's exchange, opened on first use (the sessioner's hook, csrf(), a cookie tool). */
export function exchangeOf(core: SpartanCore, request: FastifyRequest, reply: FastifyReply): FastifyExchange {
  let exchange = (request as Carrier)[EXCHANGE];
  if (exchange == null) {
    exchange = new FastifyExchange(core, request, reply);
    (request as Carrier)[EXCHANGE] = exchange;
  }
  return exchange;
}

// ── request.session.get/set/delete (SPEC §6, as @fastify/passport and @fastify/flash call them) ──

/** Data only: an own enumerable property, never a verb or a prototype member. */
const isData = (session: Session, key: string): boolean =>
  Object.prototype.propertyIsEnumerable.call(session, key) && !RESERVED_SESSION_KEYS.has(key);

const VERB_NAMES = new Set(['get', 'set', 'delete']);

/**
 * Core's `Session` with `get`, `set` and `delete` (non-enumerable: prototype members). Only its
 * prototype is used: core builds the session object, the adapter points it here — one cached
 * map transition, where defining three properties on every request's object cost about ten
 * times as much and left the object in dictionary mode.
 */
class FastifySession extends Session {
  /** A data value, `undefined` when absent (@fastify/session style). */
  get(key: string): unknown {
    return isData(this, key) ? this[key] : undefined;
  }

  /** Sets a data value; names data can never take (verbs, `__proto__`…) are ignored, as core ignores them. */
  set(key: string, value: unknown): void {
    if (!RESERVED_SESSION_KEYS.has(key) && !VERB_NAMES.has(key)) this[key] = value;
  }

  /** Removes a data value. */
  delete(key: string): void {
    if (isData(this, key)) delete this[key];
  }
}

const FASTIFY_SESSION: object = FastifySession.prototype;

/**
 * The session of `request`, answering `get`, `set` and `delete` (core's `Session` has none).
 * Done again for a new session object (`regenerate()`).
 */
export function sessionOf(request: FastifyRequest): Session | undefined {
  const session = existingExchange(request)?.scope.session;
  if (session !== undefined && Object.getPrototypeOf(session) !== FASTIFY_SESSION) {
    Object.setPrototypeOf(session, FASTIFY_SESSION);
  }
  return session;
}
