import { SpartanError } from '../errors/errors.js';
import type { SessionZone } from '../ports.js';
import { type NodeCallback, withCallback } from './callbacks.js';

/** Read-only facts about a session (all times in ms since the epoch). */
export interface SessionMeta {
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** The absolute end of the session: `createdAt + ttl`, whatever its activity. */
  readonly expiresAt: number;
  /** When the session ends if idle: `lastSeenAt` plus the idle limit in force (privileged or not). */
  readonly idleExpiresAt: number;
  readonly zone: SessionZone;
  readonly userId: string | null;
  readonly authenticatedAt: number | null;
}

/** One of the user's live sessions, without any id. */
export interface UserSessionInfo {
  /** True for the session of the request that asked. */
  current: boolean;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  zone: SessionZone;
}

/** A node-style callback, accepted as express-session does (`req.session.save(cb)`). */
export type SessionCallback<T = void> = NodeCallback<T>;

/**
 * The application's session data, typed by declaration merging, as with express-session:
 *
 * ```ts
 * declare module '@spartan-sessions/adapter-express' { // or adapter-fastify, adapter-koa, core
 *   interface SessionData { views: number; cart: string[] }
 * }
 * ```
 *
 * Every adapter types its session as `Session & Partial<SessionData>` (`SessionWithData`):
 * each key may be absent, since a new session holds nothing. Keys the application does not
 * declare stay open, as `unknown`.
 */
export interface SessionData {
  [key: string]: unknown;
}

/** The session object as handlers see it: the verbs, and the application's typed data (`SessionData`). */
export type SessionWithData = Session & Partial<SessionData>;

/** What a `SessionContext` does for the session object it backs. */
export interface SessionBackend {
  currentId(): string;
  meta(): SessionMeta;
  regenerate(): Promise<void>;
  rotate(): Promise<void>;
  authenticate(userId: string): Promise<void>;
  reauthenticate(): Promise<void>;
  destroy(): Promise<void>;
  save(): Promise<void>;
  reload(): Promise<void>;
  touch(): Promise<void>;
  listUserSessions(): Promise<UserSessionInfo[]>;
  revokeOtherSessions(): Promise<number>;
  /** Now, by the manager's clock (ms). */
  now(): number;
  /** The session's absolute end (ms): the latest a cookie lifetime may reach. */
  absoluteEnd(): number;
  /** The session's cookie lifetime changed: issue its cookie again when the response ends. */
  cookieLifetimeChanged(): void;
}

/**
 * One session's cookie lifetime ("remember me"), within the policy's limits:
 * - `'policy'` (the default): the cookie expires with the session's absolute end
 *   (`createdAt + duration.ttl`);
 * - `'browser-session'`: no `Expires`, so the browser drops the cookie when it closes (the
 *   server still ends the session by its ttl and idle limits);
 * - a number of seconds from now, capped at the session's absolute end: a cookie never
 *   outlives the session it names.
 */
export type CookieLifetime = number | 'browser-session' | 'policy';

/**
 * What a session's own cookie expiry is, kept with its data under the reserved `cookie` key
 * (the key express-session stores its cookie under): an instant (ms) or `false` for a
 * browser-session cookie; absent when the policy decides.
 */
type CookieExpiry = number | false;
const cookieExpiries = new WeakMap<Session, CookieExpiry>();

/** The data key the cookie expiry is stored under (reserved: data cannot take it). */
const COOKIE_KEY = 'cookie';

/**
 * The `Expires` (ms) the session's cookie carries, `null` for a browser-session cookie:
 * `absoluteEnd` unless the session chose otherwise (and never later than it).
 */
export function cookieExpiresAt(session: Session, absoluteEnd: number): number | null {
  const chosen = cookieExpiries.get(session);
  if (chosen === undefined) return absoluteEnd;
  return chosen === false ? null : Math.min(chosen, absoluteEnd);
}

/**
 * express-session's `req.session.cookie`, for code that reads or sets `maxAge` or `expires`
 * ("remember me"): `maxAge` is in milliseconds, as there (everything else in spartan-sessions
 * is in seconds), and both act through `setCookieLifetime`, so the policy's limits hold. The
 * cookie's other attributes come from the policy and are not settable per session.
 */
export class SessionCookie {
  readonly #session: Session;
  readonly #backend: SessionBackend;

  constructor(session: Session, backend: SessionBackend) {
    this.#session = session;
    this.#backend = backend;
  }

  /** Milliseconds until the cookie expires; `null` for a browser-session cookie. Setting it sets the lifetime from now (`null`: browser session). */
  get maxAge(): number | null {
    const expires = cookieExpiresAt(this.#session, this.#backend.absoluteEnd());
    return expires === null ? null : Math.max(0, expires - this.#backend.now());
  }

  set maxAge(milliseconds: number | null) {
    this.#session.setCookieLifetime(milliseconds === null ? 'browser-session' : checkedNumber(milliseconds) / 1000);
  }

  /** When the cookie expires; `null` for a browser-session cookie. Setting `null` or `false` makes it one. */
  get expires(): Date | null {
    const expires = cookieExpiresAt(this.#session, this.#backend.absoluteEnd());
    return expires === null ? null : new Date(expires);
  }

  set expires(date: Date | null | false) {
    if (date === null || date === false) {
      this.#session.setCookieLifetime('browser-session');
      return;
    }
    const at = date instanceof Date ? date.getTime() : Number.NaN;
    this.#session.setCookieLifetime((checkedNumber(at) - this.#backend.now()) / 1000);
  }

  toJSON(): { maxAge: number | null; expires: string | null } {
    return { maxAge: this.maxAge, expires: this.expires?.toISOString() ?? null };
  }
}

function checkedNumber(value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SpartanError('sessions/option-type-incorrect', 'a cookie lifetime must be a finite number', {
      option: 'cookie lifetime',
    });
  }
  return value;
}

/**
 * The base of `Session`: returns the object it is given, with `prototype`, so that `Session`'s
 * constructor works on that object (and installs its private field there) instead of a new one.
 */
class TakenOver {
  constructor(target: object | null, prototype: object) {
    if (target === null) return;
    Object.setPrototypeOf(target, prototype);
    // biome-ignore lint/correctness/noConstructorReturn: the point of this base class.
    return target;
  }
}

/**
 * From how many keys a session takes its data object over instead of copying it: copying a few
 * keys into a new object is cheaper than changing a parsed object's prototype, copying
 * thousands is not.
 */
export const TAKE_OVER_FROM_KEYS = 64;

/**
 * `req.session` / `request.session` / `ctx.session`: the user's data as plain enumerable
 * properties (so `req.session.passport` works and JSON.stringify shows only data), and the
 * verbs as non-enumerable prototype members. Every verb returns a promise and also takes an
 * optional node-style callback, as express-session's do.
 */
export class Session extends TakenOver {
  // A private field: invisible to Object.keys, JSON and spreads, and cheaper than a
  // non-enumerable property defined per request.
  readonly #backend: SessionBackend;
  [key: string]: unknown;

  /**
   * A session holding `data`. With `takeOver`, `data` itself becomes the session object (its
   * prototype becomes the session's) instead of being copied property by property: a record of
   * thousands of keys, parsed by the store for this request, is not copied again. `data` must
   * then be the caller's own (a store returns a fresh copy on every read); names data cannot
   * take are removed from it.
   */
  constructor(backend: SessionBackend, data: Record<string, unknown>, takeOver = false) {
    super(takeOver ? data : null, new.target.prototype);
    this.#backend = backend;
    if (takeOver) takeReservedData(this);
    else assignData(this, data);
  }

  /** The current session id (what the cookie carries, before its signature). */
  get id(): string {
    return this.#backend.currentId();
  }

  /** Read-only facts: createdAt, lastSeenAt, expiresAt, idleExpiresAt, zone, userId, authenticatedAt. */
  get meta(): SessionMeta {
    return this.#backend.meta();
  }

  /** New id, empty data, no user (express-session semantics). */
  regenerate(callback?: SessionCallback): Promise<void> {
    return withCallback(this.#backend.regenerate(), callback);
  }

  /** New id, data kept. */
  rotate(callback?: SessionCallback): Promise<void> {
    return withCallback(this.#backend.rotate(), callback);
  }

  /** Rotates, records the user and the authentication time, indexes under the user, enforces `maxSessions`. */
  authenticate(userId: string, callback?: SessionCallback): Promise<void> {
    return withCallback(this.#backend.authenticate(userId), callback);
  }

  /** Refreshes the authentication time (privileged areas) and rotates. */
  reauthenticate(callback?: SessionCallback): Promise<void> {
    return withCallback(this.#backend.reauthenticate(), callback);
  }

  /** Deletes the record and clears the cookie. */
  destroy(callback?: SessionCallback): Promise<void> {
    return withCallback(this.#backend.destroy(), callback);
  }

  /** Writes the session now (it is also written when the response ends). */
  save(callback?: SessionCallback): Promise<void> {
    return withCallback(this.#backend.save(), callback);
  }

  /** Re-reads the data from the store, dropping this request's unsaved changes. */
  reload(callback?: SessionCallback): Promise<void> {
    return withCallback(this.#backend.reload(), callback);
  }

  /** Marks the session as active now (its idle clock restarts when the response ends). */
  touch(callback?: SessionCallback): Promise<void> {
    return withCallback(this.#backend.touch(), callback);
  }

  /**
   * express-session's `req.session.cookie` view: read or set `maxAge` (milliseconds) or
   * `expires`, e.g. `req.session.cookie.maxAge = 30 * 24 * 3600 * 1000` for "remember me".
   */
  get cookie(): SessionCookie {
    return new SessionCookie(this, this.#backend);
  }

  set cookie(_ignored: unknown) {
    // Ignored: the cookie is not data (Passport's and other code's merges may carry one over).
  }

  /**
   * This session's cookie lifetime, within the policy: seconds from now (capped at the
   * session's absolute end), `'browser-session'` (no `Expires`: gone when the browser closes),
   * or `'policy'` (the default: until the absolute end). Kept with the session (a rotation
   * keeps it, `regenerate()` starts over) and sent with a new cookie when the response ends.
   */
  setCookieLifetime(lifetime: CookieLifetime): void {
    let next: CookieExpiry | undefined;
    if (lifetime === 'policy') next = undefined;
    else if (lifetime === 'browser-session') next = false;
    else next = Math.floor(this.#backend.now() + Math.max(0, checkedNumber(lifetime)) * 1000);
    if (next === cookieExpiries.get(this)) return;
    if (next === undefined) cookieExpiries.delete(this);
    else cookieExpiries.set(this, next);
    this.#backend.cookieLifetimeChanged();
  }

  /** This user's live sessions, without ids. */
  listUserSessions(callback?: SessionCallback<UserSessionInfo[]>): Promise<UserSessionInfo[]> {
    return withCallback(this.#backend.listUserSessions(), callback);
  }

  /** Destroys every other session of this user; resolves how many were revoked. */
  revokeOtherSessions(callback?: SessionCallback<number>): Promise<number> {
    return withCallback(this.#backend.revokeOtherSessions(), callback);
  }
}

/**
 * Names data can never change the session object through. An assignment to `__proto__` would
 * otherwise reach `Object.prototype`'s setter and replace the session's prototype (for example
 * `Object.assign(req.session, JSON.parse('{"__proto__":{"isAdmin":true}}'))`), so these three
 * are accessors on the session's own prototype that read what they always read and ignore
 * assignments: neither during the request nor after can data change the prototype.
 */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
for (const name of PROTOTYPE_KEYS) {
  Object.defineProperty(Session.prototype, name, {
    get(this: Session): unknown {
      if (name === '__proto__') return Object.getPrototypeOf(this);
      return name === 'constructor' ? Session : undefined;
    },
    set(_ignored: unknown) {
      // Ignored: session data cannot take these names.
    },
    enumerable: false,
    configurable: false,
  });
}

/** Names that data can never take: they would shadow the verbs or reach the prototype. */
export const RESERVED_SESSION_KEYS: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Session.prototype),
  ...PROTOTYPE_KEYS,
]);

/** The session's data: its own enumerable properties, verbs and reserved names excluded. */
export function readData(session: Session): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(session)) {
    if (!RESERVED_SESSION_KEYS.has(key)) data[key] = session[key];
  }
  // Last, so the stored JSON and a fresh read of it serialize alike.
  const expiry = cookieExpiries.get(session);
  if (expiry !== undefined) data[COOKIE_KEY] = { expires: expiry };
  return data;
}

/**
 * The data entry `readData` adds for the session's own cookie lifetime (under the reserved
 * `cookie` key), `null` when the policy decides it.
 */
export function cookieDataEntry(session: Session): readonly [string, unknown] | null {
  const expiry = cookieExpiries.get(session);
  return expiry === undefined ? null : [COOKIE_KEY, { expires: expiry }];
}

/** Replaces the session's data with `data`. */
export function replaceData(session: Session, data: Record<string, unknown>): void {
  for (const key of Object.keys(session)) delete session[key];
  cookieExpiries.delete(session);
  assignData(session, data);
}

/**
 * Removes from a session object taken over from data (see `Session`) the names data cannot take,
 * keeping what the reserved `cookie` key says of the cookie's lifetime. Walks the reserved
 * names, not the data.
 */
function takeReservedData(session: Session): void {
  for (const name of RESERVED_SESSION_KEYS) {
    if (!Object.hasOwn(session, name)) continue;
    if (name === COOKIE_KEY) keepCookieExpiry(session, session[name]);
    delete session[name];
  }
}

function keepCookieExpiry(session: Session, stored: unknown): void {
  const expires = typeof stored === 'object' && stored !== null ? (stored as { expires?: unknown }).expires : undefined;
  if (expires === false || (typeof expires === 'number' && Number.isFinite(expires))) {
    cookieExpiries.set(session, expires);
  }
}

function assignData(session: Session, data: Record<string, unknown>): void {
  for (const key of Object.keys(data)) {
    if (!RESERVED_SESSION_KEYS.has(key)) session[key] = data[key];
  }
  keepCookieExpiry(session, data[COOKIE_KEY]);
}
