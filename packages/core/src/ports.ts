/**
 * The ports of the hexagon. Core depends only on these interfaces; adapters implement
 * `CookieJar` and build a `RequestView`; store packages implement `SessionStore`.
 *
 * Units, stated once: every time is **milliseconds since the Unix epoch** (a `number`), every
 * duration in a policy is **seconds**.
 */

/** Which area of the site a session was last used in. */
import type { MaybePromise } from './session/maybe.js';

export type SessionZone = 'normal' | 'privileged';

/**
 * What a store persists for one session. Stores treat it as opaque data except for `version`
 * (compare-and-set) and `userId` (the per-user index). It must survive a JSON round trip.
 */
export interface StoredSession {
  /** Incremented by core on every write; the compare-and-set token. Starts at 1. */
  version: number;
  /** The user's data (what handlers see as plain properties of `req.session`). JSON only. */
  data: Record<string, unknown>;
  /** When the session was created (ms). The absolute lifetime counts from here. */
  createdAt: number;
  /** Last request that touched the store (ms); the idle clock counts from here. */
  lastSeenAt: number;
  /** When the id was last rotated (ms); `renewal` counts from here. */
  rotatedAt: number;
  /** The authenticated user, or `null`. Stores index sessions by it. */
  userId: string | null;
  /** When the user last (re)authenticated (ms), or `null`. */
  authenticatedAt: number | null;
  /** The area the session was last used in. */
  zone: SessionZone;
  /** Synchronizer-token CSRF secret (base64url), when one has been issued. */
  csrfSecret: string | null;
}

/** Options of `SessionStore.set`. */
export interface StoreSetOptions {
  /** When the store must forget the record by itself (ms since epoch). */
  expiresAt: number;
  /**
   * Compare-and-set: `null` means "create; fail if a record exists under this key", a number
   * means "replace only if the stored record's `version` equals this".
   */
  expectedVersion: number | null;
}

/** Options of `SessionStore.rotate`. */
export interface StoreRotateOptions {
  /** When the store must forget the new record by itself (ms since epoch). */
  expiresAt: number;
  /** The version the old record must still have: the one the request last read or wrote. */
  expectedVersion: number;
}

/**
 * One request's own changes to a session it loaded, for `SessionStore.update`: the data keys it
 * set or deleted and when it used the session — not the record it read, so that requests of one
 * session changing different keys never conflict.
 */
export interface StoredSessionChanges {
  /** Data keys the request set or changed, each with its whole new value (JSON only). */
  readonly set: Readonly<Record<string, unknown>>;
  /** Data keys the request deleted (never also in `set`). */
  readonly unset: readonly string[];
  /** When the request used the session (ms): the stored `lastSeenAt` becomes the later of the two. */
  readonly lastSeenAt: number;
  /** A CSRF secret the request issued, replacing the stored one; absent: unchanged. */
  readonly csrfSecret?: string;
}

/** Options of `SessionStore.update`. */
export interface StoreUpdateOptions {
  /** The record's expiry moves to this time (ms since epoch), unless it is later already. */
  expiresAt: number;
}

/** One session of a user, as `listByUser` returns it. */
export interface UserSessionEntry {
  key: string;
  record: StoredSession;
}

/**
 * Persistence port. Keys are already hashed by core (a store never sees a raw session id).
 * Every method must be safe to call concurrently from many processes.
 */
export interface SessionStore {
  /** The live record under `key`, or `null` when absent or expired. */
  get(key: string): Promise<StoredSession | null>;
  /**
   * Atomically writes `record` under `key` when `opts.expectedVersion` matches (see
   * `StoreSetOptions`), sets its expiry to `opts.expiresAt`, and keeps the per-user index in
   * step with `record.userId`. Resolves `false` on a version conflict, `true` when written.
   * An `expiresAt` in the past deletes the record.
   */
  set(key: string, record: StoredSession, opts: StoreSetOptions): Promise<boolean>;
  /**
   * Rotation, atomic with the old record (SPEC §5): when the record under `oldKey` exists at
   * version `opts.expectedVersion` and nothing is stored under `newKey`, removes the old record
   * (and its index entry) and creates `record` under `newKey` with expiry `opts.expiresAt`,
   * indexed under `record.userId`, as one step: resolves `true`. Otherwise changes nothing and
   * resolves `false` (the old record is gone — destroyed, revoked, expired or rotated by another
   * request — or at another version, or `newKey` is taken). Of two rotations of one record at
   * most one resolves `true`, and a `destroy(oldKey)` that lands before the rotation makes it
   * fail. A store that cannot change both keys in one step (Redis Cluster: two slots) must keep
   * these guarantees another way, and its `destroy(oldKey)` landing mid-rotation must end the
   * new record too (see `RedisStore`).
   */
  rotate(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions): Promise<boolean>;
  /** Deletes the record and its index entry; no-op when absent. */
  destroy(key: string): Promise<void>;
  /**
   * Optional server-side delta save. When a live record is stored under `key`, applies
   * `changes` to it as one atomic step, whatever its version: each key of `changes.set` takes
   * its new value whole, each key of `changes.unset` is deleted, `lastSeenAt` becomes the later
   * of the stored one and `changes.lastSeenAt`, `csrfSecret` is replaced when given, the expiry
   * moves to `opts.expiresAt` unless it is later already, and the version goes up by one; every
   * other field (`userId`, `zone`, `createdAt`, `rotatedAt`, `authenticatedAt`) and the user's
   * index entry stay as they are. Resolves the new version, or `null` when no live record is
   * stored (destroyed, revoked, rotated away, expired): then it creates nothing.
   *
   * Two updates of different keys both land; of two updates of the same key, the one the store
   * applies last wins (its value whole: values are never merged). A store with `update` lets
   * core write a returning visitor's changes without compare-and-set loops; without it, core
   * uses `set` with compare-and-set and re-applies the request's changes on a conflict.
   */
  update?(key: string, changes: StoredSessionChanges, opts: StoreUpdateOptions): Promise<number | null>;

  /**
   * Every live (unexpired) session of `userId`. Order unspecified. A session that is being
   * rotated while the listing runs is listed under its old or its new key, never missed:
   * `revokeUser` ends a user's sessions by listing until a listing finds none.
   */
  listByUser(userId: string): Promise<UserSessionEntry[]>;
  /** Releases what the store opened itself (never a client it was given). */
  close?(): Promise<void>;
  /**
   * Set by a store that bounds each of its calls itself (ms): every call settles — resolves, or
   * rejects with `sessions/store-unavailable` — within this time, its own deadline also stopping
   * the call's further commands (`@spartan-sessions/core/store`'s `createStoreErrors().deadlines`).
   * Core then adds no timer of its own to the store's calls (a call is timed once) and its
   * `storeTimeout` option does not apply; without it core bounds every call by `storeTimeout`.
   */
  readonly callTimeout?: number;
  /**
   * Optional synchronous twins of `get`, `set`, `rotate` and `destroy`, for stores that live in
   * the process (`MemoryStore`). When a store has all four, core calls them instead, so a request
   * whose cookie was verified before loads and commits without a promise, and the adapter need
   * not hold the response for a microtask. Same semantics as the promise methods; they throw
   * where those reject. A store that does I/O must not define them.
   */
  getSync?(key: string): StoredSession | null;
  setSync?(key: string, record: StoredSession, opts: StoreSetOptions): boolean;
  rotateSync?(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions): boolean;
  destroySync?(key: string): void;
  /** Synchronous twin of `update`, used when the store also has the other four twins. */
  updateSync?(key: string, changes: StoredSessionChanges, opts: StoreUpdateOptions): number | null;
}

/** A case-insensitive view of request headers. */
export interface HeaderReader {
  /**
   * The header by its lower-case name, `undefined` when absent. A header sent more than once
   * is joined with ", " in the order received (RFC 9110 §5.3), as Node and the fetch API's
   * `Headers.get` do; core then refuses what a repeated `Host`, `Origin` or
   * `X-Forwarded-Proto` cannot be. Repeated `Cookie` lines are joined with "; " instead (RFC
   * 6265 §5.4; Node's `IncomingMessage` does so, the fetch API's `Headers.get` does not).
   */
  get(name: string): string | undefined;
}

/**
 * What core needs to know of a request. Adapters build it from their framework's request
 * once per request; core never touches a framework object, and no Node type appears here (an
 * adapter over the fetch API's `Request` builds one in a few lines).
 */
export interface RequestView {
  /** Upper-case HTTP method. */
  method: string;
  /**
   * The path of the request target as the client sent it, without the query string, e.g.
   * `/admin/users` — never the path inside a mounted router or a plugin's prefix: privileged
   * areas are matched against the full path (core folds case, percent-escapes and repeated
   * slashes itself). An absolute-form target (`GET http://host/admin`) gives its pathname.
   */
  path: string;
  headers: HeaderReader;
  /**
   * True when the connection itself is TLS (not what a proxy says). Core alone decides whether
   * the request counts as secure: `transport.trustProxy` makes it honour the first value of
   * `X-Forwarded-Proto`, `transport.localhostIsSecure` treats `localhost`, `127.0.0.1` and
   * `[::1]` over http as browsers do. Adapters never read either header for this.
   */
  encrypted: boolean;
  /** The parsed request body, when the framework has parsed one (for the CSRF form field). */
  body?: unknown;
}

/**
 * The response headers of one request, as an adapter exposes them to core's request scope.
 * Core decides every header it writes (the session and CSRF cookies, `Cache-Control`,
 * `Clear-Site-Data`) and merges its `Set-Cookie` lines with the application's by cookie name;
 * the adapter only reads and writes what it is told.
 */
export interface ResponseHeaders {
  /** The `Set-Cookie` lines the response holds now (the application's too), in order. */
  getSetCookie(): readonly string[];
  /** Replaces every `Set-Cookie` line of the response with `lines`. */
  setSetCookie(lines: readonly string[]): void;
  /** Sets (replaces) header `name`. */
  setHeader(name: string, value: string): void;
  /** Removes header `name`. */
  removeHeader(name: string): void;
  /** False once the headers have been sent: then core writes nothing. */
  readonly headersWritable: boolean;
}

/** Options of a cookie being set, after the policy has been applied. */
export interface CookieAttributes {
  path?: string;
  domain?: string;
  /** Absolute expiry (ms since epoch). */
  expires?: number;
  /** Lifetime in seconds (Max-Age). */
  maxAge?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'strict' | 'lax' | 'none';
  partitioned?: boolean;
  priority?: 'low' | 'medium' | 'high';
}

/**
 * Reads request cookies and writes response headers. Adapters implement it over their
 * framework's request/response; core serializes `Set-Cookie` itself.
 */
export interface CookieJar {
  /** The raw value of a request cookie (not URI-decoded), `undefined` when absent. */
  get(name: string): string | undefined;
  /**
   * Adds one serialized `Set-Cookie` line for cookie `name`; a later call for the same name in
   * the same response replaces the earlier line.
   */
  setCookie(name: string, serialized: string): void;
  /** Sets (replaces) a response header, e.g. `Cache-Control`, `Clear-Site-Data`. */
  setHeader(name: string, value: string): void;
}

/** A source of time (ms since epoch); injected so tests never sleep. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Kinds of audit event. */
export type SessionEventType =
  | 'created'
  | 'rotated'
  | 'destroyed'
  | 'expired'
  | 'revoked'
  | 'fixation-rejected'
  | 'tamper-rejected'
  | 'csrf-rejected';

/** An audit event. Never carries a raw session id or a secret. */
export interface SessionEvent {
  type: SessionEventType;
  /** When it happened (ms since epoch). */
  at: number;
  /** A short prefix of the store key (itself a hash of the id), for correlating audit lines. */
  keyHash?: string;
  userId?: string;
  reason?: string;
}

export type SessionEventListener = (event: SessionEvent) => void;

/** Where a synchronizer-token guard keeps its secret: the session of the request. */
export interface CsrfSecretHolder {
  /** The session's CSRF secret (base64url), or `null` when none was issued yet. */
  getCsrfSecret(): string | null;
  /** Stores a new secret in the session (this makes a lazy session persist). */
  setCsrfSecret(secret: string): void;
}

/** One request as a CSRF guard sees it. */
export interface CsrfRequest {
  view: RequestView;
  jar: CookieJar;
  /** The request's session; required by the synchronizer-token guard. */
  session?: CsrfSecretHolder;
}

/** Mints tokens for one response; see `CsrfGuard.prepare`. */
export interface CsrfTokenIssuer {
  /** A fresh masked token; creates the secret on the first call when there is none. */
  token(): string;
  /**
   * Writes what `token()` created that must reach the client (the double-submit cookie):
   * `undefined` when there was nothing to write, else a promise (sealing is WebCrypto).
   */
  flush(): MaybePromise<void>;
}

/** CSRF port: issue a token for a response, verify an unsafe request. */
export interface CsrfGuard {
  /** A fresh masked token (BREACH-safe: differs on every call, verifies the same). */
  issueToken(request: CsrfRequest): Promise<string>;
  /**
   * Loads the request's secret without creating one, for frameworks whose `csrfToken()` is
   * synchronous (Express): the returned `token()` creates the secret on first use only, so a
   * visitor who never sees a form gets no session and no cookie. Await `flush()` before the
   * response headers go out (it writes a double-submit cookie `token()` created).
   */
  prepare(request: CsrfRequest): Promise<CsrfTokenIssuer>;
  /** `prepare` without a promise when none is needed (no cookie to unseal): for adapters. */
  prepareNow(request: CsrfRequest): MaybePromise<CsrfTokenIssuer>;
  /**
   * Passes safe methods; for unsafe ones checks the origin, then the token. Throws
   * `sessions/cross-origin-request` or `sessions/csrf-invalid` (403) in `enforce` mode; in
   * `report` mode only emits `csrf-rejected` events.
   */
  verify(request: CsrfRequest): Promise<void>;
  /**
   * `verify` for adapters: returns (or throws) synchronously when nothing must be unsealed
   * (synchronizer tokens, a double-submit cookie seen before), else a promise.
   */
  verifyNow(request: CsrfRequest): MaybePromise<void>;
}
