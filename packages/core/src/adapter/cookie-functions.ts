import type {
  ClearCookieParams,
  ClearedCookie,
  CookieReader,
  MadeCookie,
  MakeCookieParams,
} from '../cookie/cookie-tools.js';
import type { NodeCallback } from '../session/callbacks.js';

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
