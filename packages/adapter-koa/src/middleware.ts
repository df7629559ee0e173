import type { CsrfGuard, Session } from '@spartan-sessions/core';
import { isPromiseLike, type RequestScope, type SpartanCore } from '@spartan-sessions/core/adapter';
import type { ExtendableContext, Middleware, Next } from 'koa';
import { existingScope, type KoaExchange, scopeOf } from './scope.js';

/** `sessions.sessioner`: loads the session, exposes `ctx.session`, commits it before Koa responds. */
export function createSessioner(core: SpartanCore): Middleware {
  return async function sessioner(ctx, next) {
    const scope = scopeOf(core, ctx);
    const loading = scope.startSession();
    // A second sessioner on the same request: the first one owns the session.
    if (loading === null) return next();
    if (isPromiseLike(loading)) await loading;
    exposeAccessors(ctx);
    // The error page of a refused privileged request still has its session.
    return around(scope, ctx, next, scope.refusal);
  };
}

/** `sessions.csrf(options)`: verifies unsafe requests (a refusal is thrown), then exposes `ctx.csrfToken()`. */
export function createCsrfMiddleware(core: SpartanCore, guard: CsrfGuard): Middleware {
  return async function csrf(ctx, next) {
    const scope = scopeOf(core, ctx);
    // Under a sessioner, the sessioner commits (and writes the CSRF cookie); without one, this does.
    const owner = scope.context === null;
    const checking = scope.csrf(guard);
    if (checking !== undefined) await checking;
    exposeAccessors(ctx);
    return owner ? around(scope, ctx, next, null) : next();
  };
}

/**
 * Runs downstream, then `beforeSend()` — after the handler and before Koa writes the response
 * (headers, a redirect, a stream body), also when downstream threw. A failed commit replaces
 * the response with its error (`sessions/store-unavailable`, 503): core drops the entity
 * headers of the response that will not be sent; with headers already out, the connection
 * is cut. A thrown error carries the headers core wrote in `err.headers`.
 */
async function around(scope: RequestScope, ctx: ExtendableContext, next: Next, refusal: unknown): Promise<void> {
  let failure: { error: unknown } | undefined;
  try {
    if (refusal !== null) throw refusal;
    await next();
  } catch (error) {
    failure = { error };
  }
  try {
    const sending = scope.beforeSend();
    if (sending !== undefined) await sending;
  } catch (error) {
    if (scope.failureResponse(error) === null) ctx.res.destroy();
    failure = { error };
  }
  if (failure !== undefined) throw handOver(scope, ctx, failure.error);
}

/**
 * Koa's `ctx.onerror` removes every header set before the throw and then sets `err.headers`:
 * the headers core wrote (the session's `Set-Cookie`, `Cache-Control`, `Clear-Site-Data`) go
 * there, replacing the error's own headers of the same names. An error handler of the app's
 * own (try/catch around `next()`) finds them on the response as well. An error object thrown
 * again by a later request loses what an earlier request handed over.
 */
function handOver(scope: RequestScope, ctx: ExtendableContext, error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const written = (scope.view as KoaExchange).writtenHeaders(ctx.res) ?? {};
  const stale = handedOver.get(error) ?? [];
  const names = Object.keys(written);
  if (names.length === 0 && stale.length === 0) return error;
  const replaced = new Set([...stale, ...names]);
  const carrier = error as { headers?: Record<string, unknown> };
  const own = Object.entries(carrier.headers ?? {}).filter(([name]) => !replaced.has(name.toLowerCase()));
  try {
    carrier.headers = { ...Object.fromEntries(own), ...written };
    handedOver.set(error, names);
  } catch {
    // A frozen error keeps its headers; an app's own handler still finds them on the response.
  }
  return error;
}

/** The header names handed over in an error's `headers`, per error object. */
const handedOver = new WeakMap<object, readonly string[]>();

// ── ctx.session and ctx.csrfToken ─────────────────────────────────────────────────────────────
// Accessors on the app's context prototype (`app.context`), read from the request's scope:
// nothing is added to each `ctx`. Where the prototype already answers `session` (another
// session middleware's accessor), they go on the context itself.

function getSession(this: object): Session | undefined {
  return existingScope(this)?.session;
}

function getCsrfToken(this: object): (() => string) | undefined {
  return existingScope(this)?.csrfTokenFunction;
}

/** Plain assignment semantics (`ctx.session = …` in a test or an app): an own property from then on. */
function setter(name: string): (this: object, value: unknown) => void {
  return function set(this: object, value: unknown): void {
    Object.defineProperty(this, name, { value, writable: true, configurable: true, enumerable: true });
  };
}

const ACCESSORS: ReadonlyArray<readonly [string, PropertyDescriptor]> = [
  ['session', { configurable: true, enumerable: false, get: getSession, set: setter('session') }],
  ['csrfToken', { configurable: true, enumerable: false, get: getCsrfToken, set: setter('csrfToken') }],
];

/** Per context prototype: whether the accessors answer there (else they go on each context). */
const prototypes = new WeakMap<object, boolean>();

function exposeAccessors(ctx: object): void {
  const prototype = Object.getPrototypeOf(ctx) as object;
  let ours = prototypes.get(prototype);
  if (ours === undefined) {
    ours = ACCESSORS.every(([name]) => !(name in prototype));
    if (ours) for (const [name, descriptor] of ACCESSORS) Object.defineProperty(prototype, name, descriptor);
    prototypes.set(prototype, ours);
  }
  if (ours && !Object.hasOwn(ctx, 'session') && !Object.hasOwn(ctx, 'csrfToken')) return;
  for (const [name, descriptor] of ACCESSORS) {
    Object.defineProperty(ctx, name, { ...descriptor, enumerable: true });
  }
}
