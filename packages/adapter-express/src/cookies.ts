import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CookieMakerFor,
  type CookieMonsterFor,
  type CookieReaderFor,
  cookieFunctionsOver,
  type NodeCallback,
  type SpartanCore,
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
  return cookieFunctionsOver<IncomingMessage, ServerResponse>({
    ofExchange: (req, res) => scopeOf(core, req, res),
    ofResponse: (res) => scopeOf(core, res.req, res),
    ofRequest: (req) => scopeOf(core, req, (req as IncomingMessage & { res?: ServerResponse }).res as ServerResponse),
  });
}
