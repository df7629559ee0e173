import type {
  ClearCookieParams,
  ClearedCookie,
  CookieReader,
  MadeCookie,
  MakeCookieParams,
} from '../../cookie/cookie-tools.js';
import type { PolicyInput } from '../../policy/policy.js';
import type { Clock, SessionEventListener, SessionStore } from '../../ports.js';
import type { SessionManager } from '../../session/manager.js';
import type { Session } from '../../session/session.js';

/**
 * What the kit hands to the adapter's `spartan(...)`, unchanged: a harness passes it on as it
 * is (every adapter's options are a superset of these).
 */
export interface KitSpartanOptions {
  /** A `security.json` document. @default every secure default of SPEC §3 */
  policy?: PolicyInput;
  secrets: string | string[];
  /** A `MemoryStore` the kit watches (synchronous twins or promise methods only). */
  store: SessionStore;
  /** A fake clock: the kit moves time by hand, never sleeps. */
  clock: Clock;
  /** Collects events for the kit's assertions (some tests hand a throwing one). */
  onEvent: SessionEventListener;
  /** Milliseconds a store call may take (the kit shortens it for a hanging store). @default 2000 */
  storeTimeout?: number;
}

/** An app the kit wants mounted: the adapter, its middleware, and the kit's routes. */
export interface KitApp {
  spartan: KitSpartanOptions;
  /**
   * The CSRF middleware, installed after the sessioner for every route: `'session'` is
   * `csrf({ cookie: false })` (synchronizer token), `'cookie'` is `csrf({ cookie: true })`
   * (double submit). No CSRF middleware when absent.
   */
  csrf?: 'session' | 'cookie';
  routes: KitRoute[];
  /**
   * Mount everything (body parsers, sessioner, csrf, routes) under this path prefix, the way an
   * app mounts a sub-app: Express `app.use(prefix, router)`, Fastify `register(plugin, { prefix })`,
   * Koa `new Router({ prefix })`. Route paths are then relative to it, and core must still see
   * the full path (privileged areas match the full path). Mounted at the root when absent.
   */
  prefix?: string;
}

/** One route. `path` is a literal path (no parameters, no wildcards). */
export interface KitRoute {
  method: 'GET' | 'POST';
  path: string;
  /**
   * The handler. It may throw or reject: the harness hands that error to the framework's own
   * error path, exactly as an application handler's error gets there (Express `next(err)`,
   * Fastify a thrown error, Koa a thrown error), where the harness's error handler renders it.
   */
  handle(request: KitRequest): KitReply | Promise<KitReply>;
}

/** What a handler sees, translated by the harness from its framework's request. */
export interface KitRequest {
  /** `req.session` / `request.session` / `ctx.session`, read when accessed (it is the live object). */
  readonly session: Session;
  /**
   * The parsed body: the framework's urlencoded and JSON parsers (both installed by the
   * harness, before the sessioner); `{}` without a body.
   */
  readonly body: Record<string, unknown>;
  /** The query string, one string per name (the first when repeated). */
  readonly query: Record<string, string>;
  /** The id the framework exposes (Express `req.sessionID`), else `session.id`. */
  sessionId(): string;
  /** `req.csrfToken()` / `reply.csrfToken()` / `ctx.csrfToken()`; only when `KitApp.csrf` is set. */
  csrfToken(): string;
  /** The adapter's `cookieMaker(req, res, params)` for this request (promise form). */
  cookieMaker(params: MakeCookieParams): Promise<MadeCookie>;
  /** The adapter's `cookieMonster(res, params)` for this response (throwing form). */
  cookieMonster(params: ClearCookieParams): ClearedCookie;
  /** The adapter's `cookieReader(req)` for this request. */
  cookieReader(): CookieReader;
}

/**
 * What a handler answers. `redirect` sends that status (default 302) with `Location`;
 * else `json` (when the key is present) as `application/json`; else `text` (default `''`) as
 * `text/plain`; `status` defaults to 200.
 */
export interface KitReply {
  status?: number;
  json?: unknown;
  text?: string;
  redirect?: string;
}

/** A running app. */
export interface KitServer {
  /** `http://127.0.0.1:<port>`, no trailing slash (the prefix is not part of it). */
  url: string;
  /** The `manager` of the adapter's `spartan(...)` result. */
  manager: SessionManager;
  /** Stops the server, ending open connections (keep-alive ones too). */
  close(): Promise<void>;
}

/**
 * How the kit mounts an app on one framework: about a page of translation per adapter. A
 * harness must add no behaviour of its own beyond what is described here; in particular:
 *
 * - body parsers for `application/x-www-form-urlencoded` and `application/json`, before the
 *   sessioner (the CSRF field is read from the body);
 * - the error handler renders every error that reaches the framework's error path as JSON
 *   `{ "error": err.code ?? "unexpected" }` with status `err.status ?? 500` (a
 *   `SpartanError` without a status, e.g. `session/missing-params`, is a 500), keeping the
 *   headers the response already has (the session's `Set-Cookie`);
 * - the server listens on 127.0.0.1, port 0, over plain http (core treats 127.0.0.1 as secure
 *   while `transport.localhostIsSecure` holds).
 */
export interface AdapterHarness {
  /**
   * Starts a server with the adapter's `spartan(app.spartan)`, its sessioner, optionally its
   * csrf middleware (`app.csrf`), and `app.routes` (under `app.prefix` when set).
   */
  start(app: KitApp): Promise<KitServer>;
}
