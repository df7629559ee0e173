import type {
  ClearCookieParams,
  ClearedCookie,
  CookieReader,
  MadeCookie,
  MakeCookieParams,
} from '../cookie/cookie-tools.js';
import { readCookie } from '../cookie/serialize.js';
import { isSpartanError, SpartanError } from '../errors/errors.js';
import type { CookieJar, CsrfGuard, CsrfRequest, CsrfTokenIssuer, RequestView, ResponseHeaders } from '../ports.js';
import type { SessionContext } from '../session/context.js';
import { isPromiseLike, type MaybePromise } from '../session/maybe.js';
import type { Session } from '../session/session.js';
import type { SpartanCore } from './setup.js';

/**
 * Entity headers of a response that will not be sent: the error response that replaces it
 * must not inherit them (a `Location` would turn it into a redirect, a `Content-Length` would
 * not match its body).
 */
const DISCARDED_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-range',
  'content-disposition',
  'content-location',
  'etag',
  'last-modified',
  'location',
  'refresh',
  'transfer-encoding',
] as const;

/**
 * One request, from the adapter's point of view: everything an adapter does for a request goes
 * through it, in this order —
 *
 * 1. `startSession()` (the sessioner): loads the session; hand `refusal` to the framework's
 *    error path when it is set (re-authentication required), else run the handler;
 * 2. `csrf(guard)` (the csrf middleware): verifies, then prepares `csrfToken()`; a refusal
 *    comes back as the thrown or rejected `SpartanError`, for the error path;
 * 3. before the response's first byte, `beforeSend()`: commits the session, then writes the
 *    CSRF cookie a token created — the headers are written through `ResponseHeaders`;
 * 4. if that fails, `failureResponse(error)` prepares the headers of the error response and
 *    gives its status, and the error goes to the framework's error path.
 *
 * Every call answers synchronously when nothing has to wait (a returning visitor on the
 * embedded store: no promise, no WebCrypto call, no store write when nothing changed), and with
 * a promise otherwise. It is also the request's `CookieJar`: request cookies are read from the
 * `Cookie` header, and a `Set-Cookie` line replaces the response's earlier line for the same
 * cookie name (the application's own included) and keeps every other line.
 */
export class RequestScope implements CookieJar {
  readonly view: RequestView;
  readonly #core: SpartanCore;
  readonly #response: ResponseHeaders;
  #context: SessionContext | null = null;
  #sessionStarted = false;
  #issuer: CsrfTokenIssuer | null = null;

  /**
   * The adapter's own state for this request, if it needs any (core/node keeps its response
   * hold here). Core never reads it. It spares an adapter adding properties to the framework's
   * objects: on Express, whose requests and responses each get the app's prototype, every
   * property added to one of them builds a new hidden class for that object alone.
   */
  adapterState: unknown = undefined;

  constructor(core: SpartanCore, view: RequestView, response: ResponseHeaders) {
    this.#core = core;
    this.view = view;
    this.#response = response;
  }

  // ── CookieJar ─────────────────────────────────────────────────────────────────────────────

  get(name: string): string | undefined {
    return readCookie(this.view.headers.get('cookie'), name);
  }

  setCookie(name: string, serialized: string): void {
    const response = this.#response;
    if (!response.headersWritable) return;
    const prefix = `${name}=`;
    const lines: string[] = [];
    for (const line of response.getSetCookie()) if (!line.startsWith(prefix)) lines.push(line);
    lines.push(serialized);
    response.setSetCookie(lines);
  }

  setHeader(name: string, value: string): void {
    if (this.#response.headersWritable) this.#response.setHeader(name, value);
  }

  // ── The session ───────────────────────────────────────────────────────────────────────────

  /**
   * Loads the request's session (one store read; the cookie's tag checked first). `null` when
   * the session was already started for this request (a sessioner mounted twice: the first
   * one owns it). Throws or rejects `sessions/store-unavailable`.
   */
  startSession(): MaybePromise<SessionContext> | null {
    if (this.#sessionStarted) return null;
    this.#sessionStarted = true;
    const loading = this.#core.manager.beginNow(this.view, this);
    if (isPromiseLike(loading)) {
      return loading.then((context) => {
        this.#context = context;
        return context;
      });
    }
    this.#context = loading;
    return loading;
  }

  /** The loaded session's context, `null` before (or without) a sessioner. */
  get context(): SessionContext | null {
    return this.#context;
  }

  /** The session handlers see (`req.session`), `undefined` before it is loaded. */
  get session(): Session | undefined {
    return this.#context?.session;
  }

  /**
   * Why the handler must not run, as the error to hand to the framework's error path
   * (`sessions/reauthentication-required`, 401), or `null`. The session stays available to
   * the error page, and the request changes nothing in it.
   */
  get refusal(): SpartanError | null {
    return this.#context?.accessError ?? null;
  }

  // ── CSRF ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Verifies the request with `guard` (safe methods pass; unsafe ones need a trusted origin and
   * a valid token), then prepares `csrfToken()`. A refusal (`sessions/csrf-invalid`,
   * `sessions/cross-origin-request`, 403) is thrown or rejected for the framework's error
   * path, and the request then changes no session state (SPEC §5).
   */
  csrf(guard: CsrfGuard): MaybePromise<void> {
    const request: CsrfRequest = { view: this.view, jar: this };
    if (this.#context !== null) request.session = this.#context;
    let verifying: MaybePromise<void>;
    try {
      verifying = guard.verifyNow(request);
    } catch (error) {
      throw this.#refuse(error);
    }
    if (isPromiseLike(verifying)) {
      return verifying.then(
        () => this.#prepare(guard, request),
        (error: unknown) => {
          throw this.#refuse(error);
        },
      );
    }
    return this.#prepare(guard, request);
  }

  #prepare(guard: CsrfGuard, request: CsrfRequest): MaybePromise<void> {
    const preparing = guard.prepareNow(request);
    if (isPromiseLike(preparing)) {
      return preparing.then((issuer) => {
        this.#issuer = issuer;
      });
    }
    this.#issuer = preparing;
    return undefined;
  }

  #refuse(error: unknown): unknown {
    this.#context?.refuse();
    return error;
  }

  /**
   * `csrfToken` as a function of its own (`req.csrfToken`), once `csrf()` has prepared tokens
   * for this request; `undefined` before, as with csurf.
   */
  get csrfTokenFunction(): (() => string) | undefined {
    if (this.#issuer === null) return undefined;
    this.#tokenFunction ??= () => this.csrfToken();
    return this.#tokenFunction;
  }

  #tokenFunction: (() => string) | undefined;

  /** A fresh masked token (the first call creates the secret). Throws before `csrf()` ran. */
  csrfToken(): string {
    if (this.#issuer === null) {
      throw new SpartanError(
        'sessions/option-type-incorrect',
        'csrfToken() needs the csrf() middleware on this route',
        {
          option: 'csrf',
        },
      );
    }
    return this.#issuer.token();
  }

  // ── Cookie tools (SPEC §7) ────────────────────────────────────────────────────────────────

  /** `cookieMaker`: sets a cookie under the policy (see `CookieTools.make`). */
  makeCookie(params: MakeCookieParams): Promise<MadeCookie> {
    return this.#core.cookies.make(this.view, this, params);
  }

  /** `cookieMonster`: expires a cookie (see `CookieTools.clear`). */
  clearCookie(params: ClearCookieParams): ClearedCookie {
    return this.#core.cookies.clear(this, params);
  }

  /** `cookieReader`: reads the request's cookies under their policy names. */
  cookieReader(): CookieReader {
    return this.#core.cookies.reader(this);
  }

  // ── The response ──────────────────────────────────────────────────────────────────────────

  /**
   * The work that must finish before the response's first byte, in order: the session's
   * commit (store write, then its cookie and `Cache-Control: no-store`), then the double-submit
   * cookie a token created. `undefined` once done when nothing had to wait, else a promise;
   * throws or rejects (`sessions/store-unavailable`, …) when the response must not go out.
   * Calling it again joins the work already done or running.
   */
  beforeSend(): MaybePromise<void> {
    const committing = this.#context?.commitNow();
    if (isPromiseLike(committing)) {
      // Without a CSRF issuer there is nothing to flush after it: no second promise.
      return this.#issuer === null ? committing : committing.then(() => this.#flushCsrf());
    }
    return this.#flushCsrf();
  }

  #flushCsrf(): MaybePromise<void> {
    return this.#issuer?.flush();
  }

  /**
   * After `beforeSend()` failed, with the response not sent: drops the entity headers of the
   * response that will not be sent, marks the error response `Cache-Control: no-store`, and
   * returns its status (`error.status`, else 500: an error handler that forgets to set one
   * must not answer with the original 200). `null` when the headers are already out: the
   * adapter must then abort the response rather than let a truncated success pass for one.
   */
  failureResponse(error: unknown): number | null {
    const response = this.#response;
    if (!response.headersWritable) return null;
    for (const name of DISCARDED_HEADERS) response.removeHeader(name);
    response.setHeader('Cache-Control', 'no-store');
    return isSpartanError(error) && error.status !== undefined ? error.status : statusOf(error);
  }
}

/** An error's own HTTP status (http-errors style), else 500. */
function statusOf(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}
