import type {
  ClearCookieParams,
  ClearedCookie,
  CookieReader,
  MadeCookie,
  MakeCookieParams,
} from '@spartan-sessions/core';
import { callWithCallback, type NodeCallback, type SpartanCore, withCallback } from '@spartan-sessions/core/adapter';
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
  const cookieMaker = (
    request: KoaRequestLike,
    _response: KoaResponseLike,
    params: MakeCookieParams,
    callback?: CookieCallback<MadeCookie>,
  ) => withCallback(scopeOf(core, contextOf(request)).makeCookie(params), callback);
  const cookieMonster = (
    response: KoaResponseLike,
    params: ClearCookieParams,
    callback?: CookieCallback<ClearedCookie>,
  ) => callWithCallback(() => scopeOf(core, contextOf(response)).clearCookie(params), callback);
  const cookieReader = (request: KoaRequestLike): CookieReader => scopeOf(core, contextOf(request)).cookieReader();
  return { cookieMaker: cookieMaker as CookieMaker, cookieMonster: cookieMonster as CookieMonster, cookieReader };
}
