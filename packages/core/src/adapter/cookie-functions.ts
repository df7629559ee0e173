import type {
  ClearCookieParams,
  ClearedCookie,
  CookieReader,
  MadeCookie,
  MakeCookieParams,
} from '../cookie/cookie-tools.js';
import { callWithCallback, type NodeCallback, withCallback } from '../session/callbacks.js';
import type { RequestScope } from './request-scope.js';

/**
 * The shapes of SPEC §7's cookie tools, per framework: `Req` and `Res` are the framework's
 * request and response (Express `req`/`res`, Fastify `request`/`reply`). One definition for
 * every adapter; the bodies are `RequestScope.makeCookie`, `clearCookie` and `cookieReader`.
 */

/** `cookieMaker(req, res, { name, value, options }, callback?)`. */
export interface CookieMakerFor<Req, Res> {
  /** Sets the cookie; rejects with a `SpartanError` (`session/missing-params`, `session/insecure-connection`, …). */
  (req: Req, res: Res, params: MakeCookieParams): Promise<MadeCookie>;
  /** Callback form: the error or the cookie goes to `callback`; the promise then never rejects. */
  (req: Req, res: Res, params: MakeCookieParams, callback: NodeCallback<MadeCookie>): Promise<MadeCookie | undefined>;
}

/** `cookieMonster(res, { name, options }, callback?)`. */
export interface CookieMonsterFor<Res> {
  /** Expires the cookie; throws `session/missing-params` without a name. */
  (res: Res, params: ClearCookieParams): ClearedCookie;
  /** Callback form: the error or the cleared cookie goes to `callback` (synchronously). */
  (res: Res, params: ClearCookieParams, callback: NodeCallback<ClearedCookie>): ClearedCookie | undefined;
}

/** `cookieReader(req)` → `{ get(name), sealed(name) }`. */
export type CookieReaderFor<Req> = (req: Req) => CookieReader;

/** Where an adapter finds the request's scope for each cookie tool. */
export interface CookieScopes<Req, Res> {
  /** For `cookieMaker(req, res, …)`. */
  ofExchange(req: Req, res: Res): RequestScope;
  /** For `cookieMonster(res, …)`. */
  ofResponse(res: Res): RequestScope;
  /** For `cookieReader(req)`. */
  ofRequest(req: Req): RequestScope;
}

/**
 * SPEC §7's three cookie tools over an adapter's way to its request scope: the promise and
 * callback forms, and a failure to open the scope reported the same way as the tool's own.
 */
export function cookieFunctionsOver<Req, Res>(
  scopes: CookieScopes<Req, Res>,
): { cookieMaker: CookieMakerFor<Req, Res>; cookieMonster: CookieMonsterFor<Res>; cookieReader: CookieReaderFor<Req> } {
  const cookieMaker = (req: Req, res: Res, params: MakeCookieParams, callback?: NodeCallback<MadeCookie>) =>
    withCallback(scopes.ofExchange(req, res).makeCookie(params), callback);
  const cookieMonster = (res: Res, params: ClearCookieParams, callback?: NodeCallback<ClearedCookie>) =>
    callWithCallback(() => scopes.ofResponse(res).clearCookie(params), callback);
  const cookieReader = (req: Req): CookieReader => scopes.ofRequest(req).cookieReader();
  return {
    cookieMaker: cookieMaker as CookieMakerFor<Req, Res>,
    cookieMonster: cookieMonster as CookieMonsterFor<Res>,
    cookieReader,
  };
}
