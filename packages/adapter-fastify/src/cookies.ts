import type {
  ClearCookieParams,
  ClearedCookie,
  CookieReader,
  MadeCookie,
  MakeCookieParams,
} from '@spartan-sessions/core';
import {
  type CookieMakerFor,
  type CookieMonsterFor,
  type CookieReaderFor,
  callWithCallback,
  type NodeCallback,
  type SpartanCore,
  withCallback,
} from '@spartan-sessions/core/adapter';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { exchangeOf, existingExchange, FastifyExchange } from './exchange.js';

/** A node-style callback, as the original module takes them. */
export type CookieCallback<T> = NodeCallback<T>;
/** `cookieMaker(request, reply, { name, value, options }, callback?)`. */
export type CookieMaker = CookieMakerFor<FastifyRequest, FastifyReply>;
/** `cookieMonster(reply, { name, options }, callback?)`. */
export type CookieMonster = CookieMonsterFor<FastifyReply>;
/** `cookieReader(request)` → `{ get(name), sealed(name) }`. */
export type CookieReaderFactory = CookieReaderFor<FastifyRequest>;

/** The three cookie tools of SPEC §7 over the request's scope. */
export function createCookieFunctions(core: SpartanCore): {
  cookieMaker: CookieMaker;
  cookieMonster: CookieMonster;
  cookieReader: CookieReaderFactory;
} {
  const cookieMaker = (
    request: FastifyRequest,
    reply: FastifyReply,
    params: MakeCookieParams,
    callback?: CookieCallback<MadeCookie>,
  ) => withCallback(exchangeOf(core, request, reply).scope.makeCookie(params), callback);
  const cookieMonster = (reply: FastifyReply, params: ClearCookieParams, callback?: CookieCallback<ClearedCookie>) =>
    callWithCallback(() => exchangeOf(core, reply.request, reply).scope.clearCookie(params), callback);
  // A request alone has no reply: read through its exchange, or a read-only one.
  const cookieReader = (request: FastifyRequest): CookieReader =>
    (existingExchange(request) ?? new FastifyExchange(core, request, null)).scope.cookieReader();
  return { cookieMaker: cookieMaker as CookieMaker, cookieMonster: cookieMonster as CookieMonster, cookieReader };
}
