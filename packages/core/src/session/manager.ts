import { isSecureRequest } from '../cookie/transport.js';
import { type SessionCrypto, webCrypto } from '../crypto/crypto.js';
import { normalizeSecrets } from '../crypto/secrets.js';
import { SpartanError } from '../errors/errors.js';
import { createEmitter } from '../events.js';
import type { Policy } from '../policy/policy.js';
import { parsePolicy } from '../policy/policy.js';
import {
  type Clock,
  type CookieJar,
  type RequestView,
  type SessionEvent,
  type SessionEventListener,
  type SessionStore,
  type SessionZone,
  type StoredSession,
  systemClock,
  type UserSessionEntry,
} from '../ports.js';
import { MemoryStore } from '../store/memory-store.js';
import { SessionContext } from './context.js';
import { keyHashOf, SessionIdCodec } from './ids.js';
import type { MaybePromise } from './maybe.js';
import type { WrittenRecord } from './record.js';
import { createSessionCookieWriter, type SessionCookieWriter } from './session-cookie.js';
import { createRecordCalls, createStoreCaller, DEFAULT_STORE_TIMEOUT_MS, type RecordCalls } from './store-call.js';

/** Options of `new SessionManager(...)`. */
export interface SessionManagerOptions {
  /** A parsed policy (`parsePolicy`) or the `security.json` document itself. @default all secure defaults */
  policy?: Policy | unknown;
  /** The first signs, all verify. Each at least 32 characters. */
  secrets: string | readonly string[];
  /** Where sessions live. @default a new `MemoryStore` (single process) */
  store?: SessionStore | undefined;
  /** Crypto primitives. @default WebCrypto; Node adapters pass `nodeCrypto` from `@spartan-sessions/core/node` */
  crypto?: SessionCrypto | undefined;
  /** Time source (ms since the epoch). @default `Date.now` */
  clock?: Clock | undefined;
  /** Audit events; never given a raw id or a secret. A throwing listener never breaks a request. */
  onEvent?: SessionEventListener | undefined;
  /**
   * Longest a store call may take, in milliseconds. A store that bounds its calls itself
   * (`SessionStore.callTimeout`: RedisStore, MongoStore) is held to its own bound instead.
   * @default 2000
   */
  storeTimeout?: number | undefined;
  /**
   * Compare-and-set attempts before a write gives up with `store-unavailable`. Each round lets at
   * least one concurrent writer through, so N parallel requests need at most N. @default 64
   */
  maxWriteAttempts?: number | undefined;
  /** Verified cookie values remembered (signature checks only, never records). @default 10000 */
  verifiedCookieCacheSize?: number | undefined;
  /**
   * Passport logins authenticate the session: when Passport stores `session.passport.user`
   * (@fastify/passport: `session.passport`) on a session it regenerated (its login), the session is authenticated as that user, as
   * `authenticate(userId)` would (so `listUserSessions()`, `revokeUser()` and `maxSessions` see
   * Passport users). `false` turns it off. @default on, with `defaultPassportUserId`
   */
  passport?: PassportOptions | false | undefined;
}

/** How a Passport login becomes the session's user (`SessionManagerOptions.passport`). */
export interface PassportOptions {
  /**
   * The user id for what `passport.serializeUser` stored; `null` or `undefined` leaves the
   * session unauthenticated. @default `defaultPassportUserId`
   */
  userId?: ((user: unknown) => string | null | undefined) | undefined;
}

/**
 * The user id of a serialized Passport user: a non-empty string as it is, a finite number as
 * its decimal string, an object by its `id` (string or number); anything else is no user.
 */
export function defaultPassportUserId(user: unknown): string | null {
  if (typeof user === 'string') return user.length > 0 ? user : null;
  if (typeof user === 'number') return Number.isFinite(user) ? String(user) : null;
  if (typeof user === 'object' && user !== null && 'id' in user) return defaultPassportUserId(user.id);
  return null;
}

/**
 * Listings `revokeUser` makes at most: each round ends what the last one found, and a session
 * can only reappear through a rotation that was already under way, so more rounds than this
 * means something keeps rotating the user's sessions faster than they are revoked.
 */
const MAX_REVOKE_ROUNDS = 16;

/** Policy values turned into milliseconds once, at setup. */
export interface Timing {
  ttl: number;
  idle: number;
  privilegedIdle: number;
  renewal: number;
  touchAfter: number;
  reauthAfter: number;
}

/** Internal collaborators a `SessionContext` uses; built once per manager. */
export interface ManagerInternals {
  readonly policy: Policy;
  readonly timing: Timing;
  readonly store: SessionStore;
  readonly codec: SessionIdCodec;
  readonly clock: Clock;
  readonly maxWriteAttempts: number;
  /** The Passport user's id, or `null` when Passport logins do not authenticate (`passport: false`). */
  readonly passportUserId: ((user: unknown) => string | null | undefined) | null;
  readonly cookieName: string;
  readonly cookies: SessionCookieWriter;
  call<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  /** get / set / destroy of one record: synchronous on an in-process store. */
  readonly records: RecordCalls;
  /** Per store key, the write of that session this process has in flight (see `#writeUpdate`). */
  readonly writesInFlight: Map<string, Promise<WrittenRecord | null>>;
  emit(event: SessionEvent): void;
  zoneOf(path: string): SessionZone | 'excluded';
  expiresAt(record: Pick<StoredSession, 'createdAt' | 'lastSeenAt' | 'zone'>): number;
  idleExpiresAt(record: Pick<StoredSession, 'lastSeenAt' | 'zone'>): number;
  /** Nothing to wait for (`undefined`) unless the policy sets `users.maxSessions`. */
  enforceMaxSessions(userId: string, keepKey: string): MaybePromise<void>;
  /**
   * Destroys every live session of `userId` but `keepKey`'s, emitting `revoked` (`reason`) for
   * each, until a listing finds none left; resolves how many it ended.
   */
  revokeUserSessions(userId: string, keepKey: string | null, reason: string): Promise<number>;
  /** The user's sessions the store holds and this policy counts as live. */
  liveSessions(userId: string): Promise<UserSessionEntry[]>;
}

/** One live session of a user, as an administrator sees it: never an id, a key hash instead. */
export interface UserSessionSummary {
  /** A short prefix of the store key (itself a hash of the id), as in events. */
  keyHash: string;
  createdAt: number;
  lastSeenAt: number;
  /** The absolute end (`createdAt + ttl`). */
  expiresAt: number;
  /** When it ends if idle (`lastSeenAt` + the idle limit of its zone). */
  idleExpiresAt: number;
  zone: SessionZone;
  authenticatedAt: number | null;
}

/** Options of `SessionManager.revokeUser`. */
export interface RevokeUserOptions {
  /**
   * Keep the one live session whose key hash starts with this (at least 4 characters, as
   * `sessionsOf` and events show it): "sign out everywhere else" for an administrator.
   */
  except?: string | undefined;
}

/**
 * The session engine: one per application. `begin(view, jar)` turns a request into a
 * `SessionContext`; every security decision of SPEC §5 is made here or in the context.
 */
export class SessionManager {
  readonly policy: Policy;
  readonly store: SessionStore;
  readonly #internals: ManagerInternals;
  /** Ends this manager's subscription to its MemoryStore's evictions (a store may outlive it). */
  #stopAuditingEvictions: () => void = () => {};

  constructor(options: SessionManagerOptions) {
    const policy = parsePolicy(options.policy ?? {});
    if (!policy.sessionPolicy.enabled) {
      throw new SpartanError('sessions/disabled-by-policy');
    }
    const secrets = normalizeSecrets(options.secrets);
    const clock = options.clock ?? systemClock;
    const store = options.store ?? new MemoryStore({ clock });
    const storeTimeout = options.storeTimeout ?? DEFAULT_STORE_TIMEOUT_MS;
    if (!Number.isInteger(storeTimeout) || storeTimeout <= 0) {
      throw new SpartanError('sessions/option-type-incorrect', '`storeTimeout` must be a positive integer (ms)', {
        option: 'storeTimeout',
      });
    }
    const onEvent = options.onEvent;
    if (onEvent !== undefined && typeof onEvent !== 'function') {
      throw new SpartanError('sessions/option-type-incorrect', '`onEvent` must be a function', { option: 'onEvent' });
    }
    this.policy = policy;
    this.store = store;
    const config = policy.config;
    const timing: Timing = {
      ttl: config.duration.ttl * 1000,
      idle: config.duration.idle * 1000,
      privilegedIdle: config.privileged.idle * 1000,
      renewal: config.duration.renewal * 1000,
      touchAfter: config.duration.touchAfter * 1000,
      reauthAfter: config.privileged.reauthAfter * 1000,
    };
    const codec = new SessionIdCodec({
      secrets,
      crypto: options.crypto ?? webCrypto(),
      cacheSize: options.verifiedCookieCacheSize ?? 10_000,
    });
    const call = createStoreCaller(storeTimeout, store);
    const emit = createEmitter(onEvent);
    if (store instanceof MemoryStore && onEvent !== undefined) {
      // An eviction ends a session no request asked to end: audit it (the key is already a hash).
      this.#stopAuditingEvictions = store.addEvictionListener(({ key, userId }) =>
        emit({
          type: 'destroyed',
          at: clock.now(),
          keyHash: keyHashOf(key),
          ...(userId !== null && { userId }),
          reason: 'evicted',
        }),
      );
    }
    // Routers match paths case-insensitively (Express, Koa) and some decode percent-escapes
    // (Fastify): zone matching must match at least what they route, so both sides are folded.
    const privilegedPaths = config.privileged.paths.map(foldPath);
    const excludedPaths = config.privileged.exclude.map(foldPath);
    const zoneOf = (rawPath: string): SessionZone | 'excluded' => {
      if (privilegedPaths.length === 0) return 'normal';
      const path = foldPath(rawPath);
      if (excludedPaths.some((prefix) => matchesPrefix(path, prefix))) return 'excluded';
      return privilegedPaths.some((prefix) => matchesPrefix(path, prefix)) ? 'privileged' : 'normal';
    };
    const idleExpiresAt = (record: Pick<StoredSession, 'lastSeenAt' | 'zone'>): number =>
      record.lastSeenAt + (record.zone === 'privileged' ? timing.privilegedIdle : timing.idle);
    const expiresAt = (record: Pick<StoredSession, 'createdAt' | 'lastSeenAt' | 'zone'>): number =>
      Math.min(record.createdAt + timing.ttl, idleExpiresAt(record));
    const cookies = createSessionCookieWriter(policy);
    const maxSessions = config.users.maxSessions;
    const records = createRecordCalls(store, call);
    const enforceMaxSessions = (userId: string, keepKey: string): MaybePromise<void> =>
      maxSessions > 0 ? evictOverMax(userId, keepKey) : undefined;
    // The store's index is a hint: an entry whose record now belongs to another user is not theirs.
    const userSessions = async (userId: string): Promise<UserSessionEntry[]> =>
      (await call('listByUser', () => store.listByUser(userId))).filter((entry) => entry.record.userId === userId);
    const liveSessions = async (userId: string): Promise<UserSessionEntry[]> => {
      const now = clock.now();
      return (await userSessions(userId)).filter((entry) => expiresAt(entry.record) > now);
    };
    const revoke = async (userId: string, victims: readonly UserSessionEntry[], reason: string): Promise<void> => {
      for (const victim of victims) {
        await records.destroy(victim.key);
        emit({ type: 'revoked', at: clock.now(), keyHash: keyHashOf(victim.key), userId, reason });
      }
    };
    const revokeUserSessions = async (userId: string, keepKey: string | null, reason: string): Promise<number> => {
      // A session of this user may be rotating while we revoke: its new record, indexed before it
      // is written, shows up in the next listing (and a rotation whose old record we destroyed
      // first fails). So revoke until a listing finds nothing left.
      // Every record the store still holds is ended, also one this policy counts as expired
      // (a store whose expiry lags, another process with a longer idle limit): revocation must
      // not depend on two configurations agreeing.
      let revoked = 0;
      for (let round = 0; round < MAX_REVOKE_ROUNDS; round++) {
        const victims = (await userSessions(userId)).filter((entry) => entry.key !== keepKey);
        if (victims.length === 0) return revoked;
        await revoke(userId, victims, reason);
        revoked += victims.length;
      }
      throw new SpartanError('sessions/store-unavailable', 'Sessions of this user kept appearing while being revoked', {
        operation: 'revoke',
        reason: 'revocation-contended',
      });
    };
    const evictOverMax = async (userId: string, keepKey: string): Promise<void> => {
      const live = await liveSessions(userId);
      if (live.length <= maxSessions) return;
      // Oldest first; the session that just authenticated is never the one evicted.
      const victims = live
        .filter((entry) => entry.key !== keepKey)
        .sort((a, b) => a.record.createdAt - b.record.createdAt)
        .slice(0, live.length - maxSessions);
      await revoke(userId, victims, 'max-sessions');
    };
    this.#internals = {
      policy,
      timing,
      store,
      codec,
      clock,
      maxWriteAttempts: options.maxWriteAttempts ?? 64,
      passportUserId: passportUserIdOf(options.passport),
      cookieName: cookies.name,
      cookies,
      call,
      records,
      writesInFlight: new Map(),
      emit,
      zoneOf,
      expiresAt,
      idleExpiresAt,
      enforceMaxSessions,
      revokeUserSessions,
      liveSessions,
    };
  }

  /** The session cookie's name as the browser stores it (with its prefix). */
  get cookieName(): string {
    return this.#internals.cookieName;
  }

  /**
   * Loads the request's session: verifies the cookie's tag (before any store access), reads
   * the record (one store round trip), applies expiry, zone changes and renewal. Throws
   * `sessions/store-unavailable` when the store fails. A privileged-area access failure is
   * reported on `context.accessError` (so the error page still has its session).
   */
  async begin(view: RequestView, jar: CookieJar): Promise<SessionContext> {
    return SessionContext.load(this.#internals, view, jar);
  }

  /**
   * `begin` for adapters, without a promise when none is needed: returns the context itself
   * when the request has no cookie, or its cookie was verified before and the store answers
   * synchronously (`MemoryStore`): the returning visitor's path on the embedded store. Throws
   * (instead of rejecting) when it fails synchronously.
   */
  beginNow(view: RequestView, jar: CookieJar): MaybePromise<SessionContext> {
    return SessionContext.load(this.#internals, view, jar);
  }

  /**
   * Destroys every session of `userId` (account disabled, password changed), emitting `revoked`
   * with `reason` for each; resolves the count. With `except`, keeps the one live session whose
   * key hash starts with it (`sessions/option-type-incorrect` when it matches none or several).
   */
  async revokeUser(userId: string, reason = 'admin', options: RevokeUserOptions = {}): Promise<number> {
    checkUserId(userId);
    const { except } = options;
    if (except === undefined) return this.#internals.revokeUserSessions(userId, null, reason);
    if (typeof except !== 'string' || !/^[A-Za-z0-9_-]{4,22}$/.test(except)) {
      throw new SpartanError(
        'sessions/option-type-incorrect',
        '`except` must be a key hash (4 to 22 base64url characters)',
        {
          option: 'except',
        },
      );
    }
    const kept = (await this.#internals.liveSessions(userId)).filter((entry) => entry.key.startsWith(except));
    if (kept.length !== 1) {
      throw new SpartanError(
        'sessions/option-type-incorrect',
        kept.length === 0
          ? '`except` names no live session of this user: nothing revoked'
          : '`except` names more than one session of this user (give more characters): nothing revoked',
        { option: 'except', matches: kept.length },
      );
    }
    return this.#internals.revokeUserSessions(userId, kept[0]!.key, reason);
  }

  /** The live sessions of `userId`, most recently seen first, for administrators: no ids, key hashes. */
  async sessionsOf(userId: string): Promise<UserSessionSummary[]> {
    checkUserId(userId);
    const { idleExpiresAt, timing } = this.#internals;
    return (await this.#internals.liveSessions(userId))
      .map(({ key, record }) => ({
        keyHash: keyHashOf(key),
        createdAt: record.createdAt,
        lastSeenAt: record.lastSeenAt,
        expiresAt: record.createdAt + timing.ttl,
        idleExpiresAt: idleExpiresAt(record),
        zone: record.zone,
        authenticatedAt: record.authenticatedAt,
      }))
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  /** Whether a request to this path is secure enough for the session cookie. */
  isSecure(view: RequestView): boolean {
    return isSecureRequest(view, this.policy.config.transport);
  }

  /** Closes the store (a store closes only what it opened itself). */
  async close(): Promise<void> {
    this.#stopAuditingEvictions();
    await this.store.close?.();
  }
}

/**
 * The form of a path that zone matching compares: percent-escapes decoded (when well formed),
 * lower case, runs of slashes collapsed. Folding can only make more paths privileged.
 */
export function foldPath(path: string): string {
  let decoded = path;
  if (path.includes('%')) {
    try {
      decoded = decodeURIComponent(path);
    } catch {
      decoded = path;
    }
  }
  return decoded.toLowerCase().replace(/\/{2,}/g, '/');
}

/** Path-prefix match on segment boundaries: `/admin` matches `/admin` and `/admin/x`, not `/administrator`. */
export function matchesPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === base || path.startsWith(`${base}/`);
}

function checkUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new SpartanError('sessions/option-type-incorrect', '`userId` must be a non-empty string', {
      option: 'userId',
    });
  }
}

function passportUserIdOf(option: PassportOptions | false | undefined): ManagerInternals['passportUserId'] {
  if (option === false) return null;
  if (option === undefined) return defaultPassportUserId;
  if (
    typeof option !== 'object' ||
    option === null ||
    (option.userId !== undefined && typeof option.userId !== 'function')
  ) {
    throw new SpartanError(
      'sessions/option-type-incorrect',
      '`passport` must be false or { userId(user) }, a function from the Passport user to an id',
      { option: 'passport' },
    );
  }
  return option.userId ?? defaultPassportUserId;
}
