import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  ClearCookieParams,
  ClearedCookie,
  CookieReader,
  CookieTools,
  MadeCookie,
  MakeCookieParams,
} from '@spartan-sessions/core';
import { ExpressCookieJar, exchangeOf, existingExchange } from './internal/exchange.js';

/** A node-style callback, as the original module and express-session take them. */
export type CookieCallback<T> = (error: Error | null, result?: T) => void;

/** `cookieMaker(req, res, { name, value, options }, callback?)`. */
export interface CookieMaker {
  /** Sets the cookie; rejects with a `SpartanError` (`session/missing-params`, `session/insecure-connection`, …). */
  (req: IncomingMessage, res: ServerResponse, params: MakeCookieParams): Promise<MadeCookie>;
  /** Callback form: the error or the cookie goes to `callback`; the promise then never rejects. */
  (
    req: IncomingMessage,
    res: ServerResponse,
    params: MakeCookieParams,
    callback: CookieCallback<MadeCookie>,
  ): Promise<MadeCookie | undefined>;
}

/** `cookieMonster(res, { name, options }, callback?)`. */
export interface CookieMonster {
  /** Expires the cookie; throws `session/missing-params` without a name. */
  (res: ServerResponse, params: ClearCookieParams): ClearedCookie;
  /** Callback form: the error or the cleared cookie goes to `callback` (synchronously). */
  (res: ServerResponse, params: ClearCookieParams, callback: CookieCallback<ClearedCookie>): ClearedCookie | undefined;
}

/** `cookieReader(req)` → `{ get(name), sealed(name) }`. */
export type CookieReaderFactory = (req: IncomingMessage) => CookieReader;

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The three cookie tools of SPEC §7, over core's `createCookieTools`. */
export function createCookieFunctions(tools: CookieTools): {
  cookieMaker: CookieMaker;
  cookieMonster: CookieMonster;
  cookieReader: CookieReaderFactory;
} {
  function cookieMaker(
    req: IncomingMessage,
    res: ServerResponse,
    params: MakeCookieParams,
    callback?: CookieCallback<MadeCookie>,
  ): Promise<MadeCookie | undefined> {
    const { view, jar } = exchangeOf(req, res);
    const made = tools.make(view, jar, params);
    if (typeof callback !== 'function') return made;
    return made.then(
      (cookie) => {
        callback(null, cookie);
        return cookie;
      },
      (error: unknown) => {
        callback(asError(error));
        return undefined;
      },
    );
  }

  function cookieMonster(
    res: ServerResponse,
    params: ClearCookieParams,
    callback?: CookieCallback<ClearedCookie>,
  ): ClearedCookie | undefined {
    const jar = existingExchange(res.req)?.jar ?? new ExpressCookieJar(res.req, res);
    if (typeof callback !== 'function') return tools.clear(jar, params);
    let cleared: ClearedCookie;
    try {
      cleared = tools.clear(jar, params);
    } catch (error) {
      callback(asError(error));
      return undefined;
    }
    callback(null, cleared);
    return cleared;
  }

  function cookieReader(req: IncomingMessage): CookieReader {
    return tools.reader(existingExchange(req)?.jar ?? new ExpressCookieJar(req, undefined));
  }

  return { cookieMaker: cookieMaker as CookieMaker, cookieMonster: cookieMonster as CookieMonster, cookieReader };
}
