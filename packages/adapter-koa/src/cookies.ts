import type {
  ClearCookieParams,
  ClearedCookie,
  CookieReader,
  MadeCookie,
  MakeCookieParams,
} from '@spartan-sessions/core';
import { cookieFunctionsOver, type NodeCallback, type SpartanCore } from '@spartan-sessions/core/adapter';
import type { ExtendableContext, Request, Response } from 'koa';
import { contextOf, scopeOf } from './scope.js';

/** A node-style callback, as the original module takes them. */
export type CookieCallback<T> = NodeCallback<T>;

/** What the cookie tools take for the request: `ctx.request`, or `ctx` itself. */
export type KoaRequestLike = Request | ExtendableContext;
/** What the cookie tools take for the response: `ctx.response`, or `ctx` itself. */
export type KoaResponseLike = Response | ExtendableContext;

/** `cookieMaker(ctx.request, ctx.response, { name, value, options }, callback?)`. */
export interface CookieMaker {
  /** Sets the cookie; rejects with a `SpartanError` (`session/missing-params`, `session/insecure-connection`, …). */
  (request: KoaRequestLike, response: KoaResponseLike, params: MakeCookieParams): Promise<MadeCookie>;
  /** Callback form: the error or the cookie goes to `callback`; the promise then never rejects. */
  (
    request: KoaRequestLike,
    response: KoaResponseLike,
    params: MakeCookieParams,
    callback: CookieCallback<MadeCookie>,
  ): Promise<MadeCookie | undefined>;
}

/** `cookieMonster(ctx.response, { name, options }, callback?)`. */
export interface CookieMonster {
  /** Expires the cookie; throws `session/missing-params` without a name. */
  (response: KoaResponseLike, params: ClearCookieParams): ClearedCookie;
  /** Callback form: the error or the cleared cookie goes to `callback` (synchronously). */
  (
    response: KoaResponseLike,
    params: ClearCookieParams,
    callback: CookieCallback<ClearedCookie>,
  ): ClearedCookie | undefined;
}

/** `cookieReader(ctx.request)` (or `cookieReader(ctx)`) → `{ get(name), sealed(name) }`. */
export type CookieReaderFactory = (request: KoaRequestLike) => CookieReader;

/** The three cookie tools of SPEC §7 over the request's scope. */
export function createCookieFunctions(core: SpartanCore): {
  cookieMaker: CookieMaker;
  cookieMonster: CookieMonster;
  cookieReader: CookieReaderFactory;
} {
  // Koa's request and response both lead to the one context that holds the scope.
  return cookieFunctionsOver<KoaRequestLike, KoaResponseLike>({
    ofExchange: (request) => scopeOf(core, contextOf(request)),
    ofResponse: (response) => scopeOf(core, contextOf(response)),
    ofRequest: (request) => scopeOf(core, contextOf(request)),
  });
}
