import type { ServerResponse } from 'node:http';
import type { RequestScope, SpartanCore } from '@spartan-sessions/core/adapter';
import { NodeExchange } from '@spartan-sessions/core/node';
import type { ExtendableContext, Request, Response } from 'koa';

/**
 * Koa's request and response as core sees them: Node's `req`/`res` (Koa writes its headers
 * straight onto `ctx.res`), the full request target (`ctx.originalUrl`, never a router's
 * path), the body a Koa parser put on `ctx.request.body`, and a note of the headers core wrote,
 * for the error path (Koa's default error handling drops every header set before the throw).
 */
export class KoaExchange extends NodeExchange {
  readonly #request: { body?: unknown };
  /** Lower-case names of the headers core wrote for this request. */
  written: string[] | undefined;

  constructor(ctx: ExtendableContext) {
    super(ctx.req, ctx.res, ctx.originalUrl);
    this.#request = ctx.request as { body?: unknown };
  }

  override get body(): unknown {
    return this.#request.body;
  }

  override setSetCookie(lines: readonly string[]): void {
    super.setSetCookie(lines);
    this.#note('set-cookie');
  }

  override setHeader(name: string, value: string): void {
    super.setHeader(name, value);
    this.#note(name.toLowerCase());
  }

  #note(name: string): void {
    if (this.written === undefined) this.written = [name];
    else if (!this.written.includes(name)) this.written.push(name);
  }

  /**
   * The headers core wrote, as they stand now on `res`: what an error must carry in
   * `err.headers` so Koa's `ctx.onerror` sets them again after clearing the response.
   */
  writtenHeaders(response: ServerResponse): Record<string, string | string[]> | undefined {
    if (this.written === undefined) return undefined;
    const headers: Record<string, string | string[]> = {};
    for (const name of this.written) {
      const value = response.getHeader(name);
      if (value !== undefined) headers[name] = typeof value === 'number' ? String(value) : value;
    }
    return headers;
  }
}

const SCOPE: unique symbol = Symbol('spartan-sessions.koa-scope');

/** What a Koa context carries for this adapter (under a symbol: no enumerable key). */
interface Carrier {
  [SCOPE]?: RequestScope;
}

/** The context of a context, a `ctx.request` or a `ctx.response`. */
export function contextOf(from: ExtendableContext | Request | Response): ExtendableContext {
  return (from as Partial<Request>).ctx ?? (from as ExtendableContext);
}

/** The request's scope, opened on first use (sessioner, csrf() or a cookie tool), then shared. */
export function scopeOf(core: SpartanCore, ctx: ExtendableContext): RequestScope {
  const carrier = ctx as Carrier;
  let scope = carrier[SCOPE];
  if (scope === undefined) {
    const exchange = new KoaExchange(ctx);
    scope = core.scope(exchange, exchange);
    carrier[SCOPE] = scope;
  }
  return scope;
}

/** The scope a context already has, if any (for `ctx.session` and `ctx.csrfToken`). */
export function existingScope(ctx: object): RequestScope | undefined {
  return (ctx as Carrier)[SCOPE];
}
