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
}

/**
 * `req.session` / `request.session` / `ctx.session`: the user's data as plain enumerable
 * properties (so `req.session.passport` works and JSON.stringify shows only data), and the
 * verbs as non-enumerable prototype members. Every verb returns a promise and also takes an
 * optional node-style callback, as express-session's do.
 */
export class Session {
  // A private field: invisible to Object.keys, JSON and spreads, and cheaper than a
  // non-enumerable property defined per request.
  readonly #backend: SessionBackend;
  [key: string]: unknown;

  constructor(backend: SessionBackend, data: Record<string, unknown>) {
    this.#backend = backend;
    assignData(this, data);
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
  return data;
}

/** Replaces the session's data with `data`. */
export function replaceData(session: Session, data: Record<string, unknown>): void {
  for (const key of Object.keys(session)) delete session[key];
  assignData(session, data);
}

function assignData(session: Session, data: Record<string, unknown>): void {
  for (const key of Object.keys(data)) {
    if (!RESERVED_SESSION_KEYS.has(key)) session[key] = data[key];
  }
}
