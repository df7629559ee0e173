import type { IncomingMessage, ServerResponse } from 'node:http';
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
import { scopeOf } from './middleware.js';

/** A node-style callback, as the original module and express-session take them. */
export type CookieCallback<T> = NodeCallback<T>;
/** `cookieMaker(req, res, { name, value, options }, callback?)`. */
export type CookieMaker = CookieMakerFor<IncomingMessage, ServerResponse>;
/** `cookieMonster(res, { name, options }, callback?)`. */
export type CookieMonster = CookieMonsterFor<ServerResponse>;
/** `cookieReader(req)` → `{ get(name), sealed(name) }`. */
export type CookieReaderFactory = CookieReaderFor<IncomingMessage>;

/** The three cookie tools of SPEC §7 over the request's scope. */
export function createCookieFunctions(core: SpartanCore): {
  cookieMaker: CookieMaker;
  cookieMonster: CookieMonster;
  cookieReader: CookieReaderFactory;
} {
  const cookieMaker = (
    req: IncomingMessage,
    res: ServerResponse,
    params: MakeCookieParams,
    callback?: CookieCallback<MadeCookie>,
  ) => withCallback(scopeOf(core, req, res).makeCookie(params), callback);
  const cookieMonster = (res: ServerResponse, params: ClearCookieParams, callback?: CookieCallback<ClearedCookie>) =>
    callWithCallback(() => scopeOf(core, res.req, res).clearCookie(params), callback);
  const cookieReader = (req: IncomingMessage & { res?: ServerResponse }): CookieReader =>
    scopeOf(core, req, req.res as ServerResponse).cookieReader();
  return { cookieMaker: cookieMaker as CookieMaker, cookieMonster: cookieMonster as CookieMonster, cookieReader };
}
