import { SpartanError } from '../errors/errors.js';
import type { CookieJar, CsrfSecretHolder, RequestView, StoredSession } from '../ports.js';
import { keyHashOf, type SessionEnd, type SessionIdentity } from './ids.js';
import type { ManagerInternals } from './manager.js';
import { drive, isPromiseLike, type MaybePromise, type Steps, settle } from './maybe.js';
import {
  applyChanges,
  backoff,
  type DataChanges,
  diffData,
  diffMeta,
  freshMeta,
  type MetaState,
  metaOf,
  recordOf,
  sameMeta,
  serializeSessionData,
  snapshotKeys,
  userOf,
  type WrittenRecord,
} from './record.js';
import {
  readData,
  replaceData,
  Session,
  type SessionBackend,
  type SessionMeta,
  type UserSessionInfo,
} from './session.js';

type Rotation = 'authenticate' | 'reauthenticate' | 'rotate' | 'regenerate' | 'renewal' | 'zone-enter' | 'zone-leave';

/**
 * One request's view of its session. Created by `SessionManager.begin`, it backs the
 * `Session` object handlers see, and `commit()` persists it before the response is sent.
 */
export class SessionContext implements SessionBackend, CsrfSecretHolder {
  /**
   * The object adapters expose as `req.session`. `regenerate()` replaces it with a new object
   * (as express-session does), so adapters must read it through this getter, not keep a copy:
   * Passport's `keepSessionInfo` merges the old object into the new one.
   */
  get session(): Session {
    return this.#session;
  }

  #session: Session;
  /**
   * Set when the request may not enter the privileged area (`reauthentication-required`): the
   * adapter hands it to its framework's error path, and the request then changes nothing.
   */
  accessError: SpartanError | null = null;
  /** The library refused the request (see `refuse()`). */
  #refused = false;

  readonly #manager: ManagerInternals;
  readonly #view: RequestView;
  readonly #jar: CookieJar;
  /** The identity the record is stored under now, `null` when nothing is stored. */
  #stored: SessionIdentity | null;
  /** The version of the stored record we last read or wrote. */
  #version: number;
  /** A raw id chosen for this session but not yet stored (new session or pending rotation). */
  #pendingId: string | null = null;
  #rotation: Rotation | null = null;
  #meta: MetaState;
  /** Meta as last read from / written to the store. */
  #storedMeta: MetaState;
  /**
   * JSON of the data as last read from / written to the store. Handlers mutate nested objects
   * in place (Passport does), so this string is the only faithful picture of "before"; its
   * per-key form is derived from it only when a write needs a diff.
   */
  #snapshot: string;
  #touchDue: boolean;
  #resignCookie: boolean;
  #clearCookie: boolean;
  /** A commit that went asynchronous and is still running (a second `commit()` joins it). */
  #committing: Promise<void> | null = null;

  private constructor(
    internals: ManagerInternals,
    view: RequestView,
    jar: CookieJar,
    stored: SessionIdentity | null,
    record: StoredSession | null,
    flags: { clearCookie: boolean; resignCookie: boolean },
  ) {
    this.#manager = internals;
    this.#view = view;
    this.#jar = jar;
    this.#stored = stored;
    const now = internals.clock.now();
    this.#version = record?.version ?? 0;
    this.#meta = record ? metaOf(record) : freshMeta(now, 'normal');
    this.#storedMeta = { ...this.#meta };
    const data = record?.data ?? {};
    this.#snapshot = JSON.stringify(data);
    this.#touchDue = record !== null && now - record.lastSeenAt >= internals.timing.touchAfter;
    this.#resignCookie = flags.resignCookie;
    this.#clearCookie = flags.clearCookie;
    this.#session = new Session(this, data);
  }

  /** See `SessionManager.beginNow`: synchronous when no step needs to wait. */
  static load(m: ManagerInternals, view: RequestView, jar: CookieJar): MaybePromise<SessionContext> {
    return drive(SessionContext.#loadSteps(m, view, jar));
  }

  static *#loadSteps(m: ManagerInternals, view: RequestView, jar: CookieJar): Steps<SessionContext> {
    const cookieValue = jar.get(m.cookieName);
    let context: SessionContext;
    if (cookieValue === undefined || cookieValue === '') {
      context = new SessionContext(m, view, jar, null, null, { clearCookie: false, resignCookie: false });
    } else {
      context = yield* SessionContext.#fromCookie(m, view, jar, cookieValue);
    }
    context.#applyZone();
    return context;
  }

  static *#fromCookie(
    m: ManagerInternals,
    view: RequestView,
    jar: CookieJar,
    cookieValue: string,
  ): Steps<SessionContext> {
    const fresh = () => new SessionContext(m, view, jar, null, null, { clearCookie: true, resignCookie: false });
    const verified = yield* settle(m.codec.verifyNow(cookieValue));
    if (!verified) {
      // A forged or malformed cookie: rejected before the store is asked anything.
      m.emit({ type: 'tamper-rejected', at: m.clock.now(), reason: 'bad-signature' });
      return fresh();
    }
    const { identity } = verified;
    const record = yield* settle(m.records.get(identity.key));
    const now = m.clock.now();
    if (!record) {
      // Strict mode: a well-signed id the store does not know is never adopted (fixation). Past
      // the end its cookie carries, the store forgot it at expiry: the visitor walked away.
      const { end } = identity;
      m.emit(
        now >= end.at
          ? { type: 'expired', at: now, keyHash: keyHashOf(identity.key), reason: end.reason }
          : { type: 'fixation-rejected', at: now, keyHash: keyHashOf(identity.key), reason: 'unknown-id' },
      );
      m.codec.forget(cookieValue);
      return fresh();
    }
    const absoluteEnd = record.createdAt + m.timing.ttl;
    if (now >= absoluteEnd || now >= m.idleExpiresAt(record)) {
      yield* settle(m.records.destroy(identity.key));
      m.codec.forget(cookieValue);
      m.emit({
        type: 'expired',
        at: now,
        keyHash: keyHashOf(identity.key),
        ...(record.userId !== null && { userId: record.userId }),
        reason: now >= absoluteEnd ? 'ttl' : 'idle',
      });
      return fresh();
    }
    const context = new SessionContext(m, view, jar, identity, record, {
      clearCookie: false,
      resignCookie: !verified.current,
    });
    if (m.timing.renewal > 0 && now - record.rotatedAt >= m.timing.renewal) context.#requestRotation('renewal');
    return context;
  }

  /** Zone changes rotate the id; a stale authentication in a privileged area is refused. */
  #applyZone(): void {
    const zone = this.#manager.zoneOf(this.#view.path);
    if (zone === 'excluded') return;
    if (this.#stored !== null && zone !== this.#meta.zone) {
      this.#meta.zone = zone;
      this.#requestRotation(zone === 'privileged' ? 'zone-enter' : 'zone-leave');
    } else {
      this.#meta.zone = zone;
    }
    if (zone === 'privileged') {
      const authenticatedAt = this.#meta.authenticatedAt;
      if (authenticatedAt === null || this.#manager.clock.now() - authenticatedAt > this.#manager.timing.reauthAfter) {
        this.accessError = new SpartanError('sessions/reauthentication-required', undefined, {
          reason: authenticatedAt === null ? 'not-authenticated' : 'stale-authentication',
        });
      }
    }
  }

  #requestRotation(reason: Rotation): void {
    this.#pendingId = this.#manager.codec.generateId();
    // A rotation asked for by the application names itself; renewal or zone changes do not
    // override an earlier, more specific reason.
    if (
      this.#rotation === null ||
      reason === 'authenticate' ||
      reason === 'regenerate' ||
      reason === 'reauthenticate'
    ) {
      this.#rotation = reason;
    }
  }

  /**
   * Marks the request as refused by the library (a CSRF or origin check failed): its commit
   * then writes nothing and issues no cookie, so a forged request cannot rotate, touch or
   * otherwise change the victim's session (SPEC §5). Adapters call it with the refusal they
   * hand to their framework's error path.
   */
  refuse(): void {
    this.#refused = true;
  }

  // ── SessionBackend ────────────────────────────────────────────────────────────────────────

  currentId(): string {
    if (this.#pendingId !== null) return this.#pendingId;
    if (this.#stored !== null) return this.#stored.id;
    // A lazy session has no id yet: choose one now (it is only stored if the session is).
    this.#pendingId = this.#manager.codec.generateId();
    return this.#pendingId;
  }

  meta(): SessionMeta {
    const meta = this.#meta;
    return Object.freeze({
      createdAt: meta.createdAt,
      lastSeenAt: meta.lastSeenAt,
      expiresAt: meta.createdAt + this.#manager.timing.ttl,
      idleExpiresAt: this.#manager.idleExpiresAt(meta),
      zone: meta.zone,
      userId: meta.userId,
      authenticatedAt: meta.authenticatedAt,
    });
  }

  async regenerate(): Promise<void> {
    this.#session = new Session(this, {});
    this.#meta = freshMeta(this.#manager.clock.now(), this.#meta.zone);
    this.#requestRotation('regenerate');
  }

  async rotate(): Promise<void> {
    this.#requestRotation('rotate');
  }

  async authenticate(userId: string): Promise<void> {
    if (typeof userId !== 'string' || userId.length === 0) {
      throw new SpartanError('sessions/option-type-incorrect', '`userId` must be a non-empty string', {
        option: 'userId',
      });
    }
    const now = this.#manager.clock.now();
    this.#meta.userId = userId;
    this.#meta.authenticatedAt = now;
    // New tokens on a privilege change (OWASP): a synchronizer secret an anonymous visitor (or
    // whoever planted the session) knew is not carried into the signed-in session. The guard
    // creates a new one the next time a token is asked for.
    this.#meta.csrfSecret = null;
    this.#requestRotation('authenticate');
    if (this.accessError && this.#manager.zoneOf(this.#view.path) === 'privileged') this.accessError = null;
  }

  async reauthenticate(): Promise<void> {
    if (this.#meta.userId === null) {
      throw new SpartanError('sessions/reauthentication-required', 'reauthenticate() needs an authenticated session', {
        reason: 'not-authenticated',
      });
    }
    this.#meta.authenticatedAt = this.#manager.clock.now();
    this.#requestRotation('reauthenticate');
    this.accessError = null;
  }

  async destroy(): Promise<void> {
    await drive(this.#discardStored('logout'));
    replaceData(this.session, {});
    const { clearSiteData } = this.#manager.policy.config.logout;
    if (clearSiteData.length > 0) {
      this.#jar.setHeader('Clear-Site-Data', clearSiteData.map((directive) => `"${directive}"`).join(', '));
    }
    this.#writeCookieHeaders();
  }

  /** Deletes the stored record (if any) and leaves an empty lazy session whose cookie is cleared. */
  *#discardStored(reason: string): Steps<void> {
    const stored = this.#stored;
    const userId = this.#storedMeta.userId;
    if (stored !== null) {
      yield* settle(this.#manager.records.destroy(stored.key));
      this.#manager.emit({
        type: 'destroyed',
        at: this.#manager.clock.now(),
        keyHash: keyHashOf(stored.key),
        ...(userId !== null && { userId }),
        reason,
      });
    }
    this.#dropStored();
  }

  async save(): Promise<void> {
    await drive(this.#persist());
  }

  async reload(): Promise<void> {
    const stored = this.#stored;
    if (stored === null) {
      replaceData(this.session, {});
      return;
    }
    const record = await this.#manager.records.get(stored.key);
    if (!record) {
      // Revoked or expired meanwhile: the session is gone.
      this.#dropStored();
      return;
    }
    this.#adopt(record);
    replaceData(this.session, record.data);
  }

  async touch(): Promise<void> {
    if (this.#stored !== null) this.#touchDue = true;
  }

  async listUserSessions(): Promise<UserSessionInfo[]> {
    const userId = this.#storedMeta.userId;
    if (userId === null) return [];
    const now = this.#manager.clock.now();
    const currentKey = this.#stored?.key;
    const entries = await this.#manager.call('listByUser', () => this.#manager.store.listByUser(userId));
    return entries
      .filter((entry) => entry.record.userId === userId && this.#manager.expiresAt(entry.record) > now)
      .map((entry) => ({
        current: entry.key === currentKey,
        createdAt: entry.record.createdAt,
        lastSeenAt: entry.record.lastSeenAt,
        expiresAt: this.#manager.expiresAt(entry.record),
        zone: entry.record.zone,
      }))
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  async revokeOtherSessions(): Promise<number> {
    const userId = this.#storedMeta.userId;
    if (userId === null) return 0;
    return this.#manager.revokeUserSessions(userId, this.#stored?.key ?? null, 'user-revoked-others');
  }

  // ── CsrfSecretHolder ──────────────────────────────────────────────────────────────────────

  getCsrfSecret(): string | null {
    return this.#meta.csrfSecret;
  }

  setCsrfSecret(secret: string): void {
    this.#meta.csrfSecret = secret;
  }

  // ── Commit ────────────────────────────────────────────────────────────────────────────────

  /** The id the response will carry, or `null` when it carries none. */
  get id(): string | null {
    return this.#pendingId ?? this.#stored?.id ?? null;
  }

  /**
   * Persists what changed and writes the cookie headers. Call once the handler is done and
   * before the response headers are sent; calling again is harmless. Rejects with
   * `sessions/store-unavailable` when the store fails.
   */
  commit(): Promise<void> {
    try {
      return Promise.resolve(this.commitNow());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * `commit` for adapters: returns `undefined` once done when nothing had to wait (nothing to
   * write, or an in-process store), so the response goes out on the same tick; else a promise.
   * Throws (instead of rejecting) when it fails synchronously.
   */
  commitNow(): MaybePromise<void> {
    if (this.#committing !== null) return this.#committing;
    if (this.#refused || this.accessError !== null) {
      // A refused request (CSRF or origin 403, re-authentication 401) leaves the session as it
      // was (SPEC §5): no rotation, no zone change, no touch, no new cookie. Only a cookie that
      // named no live session when the request came in is cleared.
      if (this.#stored === null) this.#writeCookieHeaders();
      return undefined;
    }
    const done = drive(this.#persist());
    if (!isPromiseLike(done)) return done;
    const committing = done.finally(() => {
      this.#committing = null;
    });
    this.#committing = committing;
    return committing;
  }

  *#persist(): Steps<void> {
    const now = this.#manager.clock.now();
    const data = readData(this.session);
    const whole = serializeSessionData(data);
    const dataChanged = whole !== this.#snapshot;
    const metaChanged = !sameMeta(this.#meta, this.#storedMeta);

    const holds = this.#holdsAnything(data);
    if (holds && (this.#pendingId !== null || this.#stored === null)) {
      // A rotation, or a lazy session that now holds something (after destroy() too).
      this.#pendingId ??= this.#manager.codec.generateId();
      yield* this.#writeNew(data, whole, now);
    } else if (this.#pendingId !== null && this.#stored !== null) {
      // Rotated into an empty session (logout's regenerate): drop the old one, store nothing.
      yield* this.#discardStored('regenerate');
    } else if (this.#stored !== null && (dataChanged || metaChanged || this.#touchDue)) {
      yield* this.#writeUpdate(data, whole, now);
      // The write moved the session's end: a cookie whose end lags by a touch interval or more
      // is issued again, so a forgotten record past its cookie's end reads as expired.
      const stored = this.#stored as SessionIdentity | null;
      if (stored !== null) {
        const end = this.#endOf(this.#meta);
        const moved = end.at - stored.end.at >= Math.max(this.#manager.timing.touchAfter, 1000);
        // Once the absolute end comes before the idle deadline the end stops moving: say so once.
        if (moved || end.reason !== stored.end.reason) this.#resignCookie = true;
      }
    }
    if (this.#stored === null) {
      // A lazy session that ends empty: nothing stored, and its provisional id is dropped.
      this.#pendingId = null;
      this.#rotation = null;
    } else if (this.#resignCookie) {
      yield* this.#resign(this.#stored);
    }
    this.#writeCookieHeaders();
  }

  /**
   * Stores the session under a new id: a new session's first write, or a rotation. A rotation
   * is one store operation with the old record (`SessionStore.rotate`): the new record comes to
   * exist only if the old one is still there, and the old one goes in the same step. If the old
   * record is gone (destroyed, revoked, expired, or rotated by a parallel request), this request
   * ends without a session and clears the cookie: a revoked session is never brought back.
   * The cookie is set only once the record is stored and `maxSessions` enforced.
   */
  *#writeNew(data: Record<string, unknown>, whole: string, now: number): Steps<void> {
    const m = this.#manager;
    const previous = this.#stored;
    const reason = this.#rotation ?? 'rotate';
    const identity = yield* settle(
      m.codec.identifyNow(this.#pendingId!, this.#endOf({ ...this.#meta, lastSeenAt: now, rotatedAt: now })),
    );
    if (previous === null) {
      const meta: MetaState = { ...this.#meta, lastSeenAt: now, rotatedAt: now };
      const record = recordOf(data, meta, 1);
      const written = yield* settle(
        m.records.set(identity.key, record, { expiresAt: m.expiresAt(record), expectedVersion: null }),
      );
      if (!written) {
        // 256 random bits collided with a live session: never adopt it.
        throw new SpartanError('sessions/store-unavailable', undefined, { operation: 'set', reason: 'id-collision' });
      }
      this.#stored = identity;
      this.#wrote(1, meta, whole);
      m.emit({ type: 'created', at: now, keyHash: keyHashOf(identity.key), ...userOf(meta) });
    } else {
      const written = yield* this.#compareAndSet(data, whole, now, null, identity);
      // The old record was gone: #compareAndSet dropped the session (the cookie is cleared).
      if (written === null) return;
      m.codec.forget(previous.cookieValue);
      m.emit({ type: 'rotated', at: now, keyHash: keyHashOf(identity.key), ...userOf(this.#meta), reason });
    }
    this.#pendingId = null;
    this.#rotation = null;
    this.#resignCookie = false;
    const userId = this.#meta.userId;
    if (reason === 'authenticate' && userId !== null) {
      try {
        yield* settle(m.enforceMaxSessions(userId, identity.key));
      } catch (error) {
        yield* this.#abandonNew(identity);
        throw error;
      }
    }
    this.#setCookie(identity, this.#meta);
  }

  /**
   * `maxSessions` could not be enforced (the store failed): the new record must not outlive the
   * failed request as a session over the limit, and the response must promise nothing. Removed
   * as far as the failing store allows (a record left behind has no cookie anywhere and expires
   * by itself); the response then carries only a clearing cookie.
   */
  *#abandonNew(identity: SessionIdentity): Steps<void> {
    try {
      yield* settle(this.#manager.records.destroy(identity.key));
    } catch {
      // The store is failing: the original error is the one to report.
    }
    this.#manager.emit({
      type: 'destroyed',
      at: this.#manager.clock.now(),
      keyHash: keyHashOf(identity.key),
      ...userOf(this.#meta),
      reason: 'max-sessions-unenforced',
    });
    this.#dropStored();
    this.#writeCookieHeaders();
  }

  /**
   * Writes the existing record (compare-and-set). Requests of one session in this process write
   * one after the other: each waits for the write ahead of it and rebases its own changes onto
   * the record that write stored, so a page's parallel requests cost one round trip each
   * instead of racing (and backing off) on every conflict. Only the record this process just
   * wrote is handed on, never kept: the store stays the only source of sessions. On a
   * synchronous store no write is ever in flight, so there is nothing to wait for.
   */
  *#writeUpdate(data: Record<string, unknown>, whole: string, now: number): Steps<void> {
    const m = this.#manager;
    if (m.records.synchronous) {
      yield* this.#compareAndSet(data, whole, now, null, null);
      return;
    }
    const key = this.#stored!.key;
    const ahead = m.writesInFlight.get(key);
    let handOn!: (written: WrittenRecord | null) => void;
    const mine = new Promise<WrittenRecord | null>((resolve) => {
      handOn = resolve;
    });
    m.writesInFlight.set(key, mine);
    let written: WrittenRecord | null = null;
    try {
      const latest = ahead === undefined ? null : yield* settle(ahead);
      written = yield* this.#compareAndSet(data, whole, now, latest, null);
    } finally {
      handOn(written);
      if (m.writesInFlight.get(key) === mine) m.writesInFlight.delete(key);
    }
  }

  /**
   * Compare-and-set of the existing record, starting from `latest` when it is newer than what
   * this request loaded. On a conflict (another request of this session wrote first), re-reads
   * it and re-applies only this request's own changes, so concurrent requests changing
   * different keys never lose each other's writes. Resolves what it wrote (`null` when the
   * session was gone).
   */
  *#compareAndSet(
    data: Record<string, unknown>,
    whole: string,
    now: number,
    latest: WrittenRecord | null,
    rotateTo: SessionIdentity | null,
  ): Steps<WrittenRecord | null> {
    const m = this.#manager;
    const identity = this.#stored!;
    // A rotation stamps the new record; `regenerate()` starts a new session, so a rebase merges
    // nothing of what other requests wrote to the old one (only the version moves on).
    const stamp = (meta: MetaState): MetaState =>
      rotateTo === null ? { ...meta, lastSeenAt: now } : { ...meta, lastSeenAt: now, rotatedAt: now };
    const fresh = this.#rotation === 'regenerate';
    let baseData = data;
    let baseMeta: MetaState = stamp(this.#meta);
    let expectedVersion = this.#version;
    // This request's own changes, worked out only when a rebase needs them re-applied.
    let changes: DataChanges | null = null;
    let metaChanges: Partial<MetaState> | null = null;
    const rebase = (version: number, latestData: Record<string, unknown>, latestMeta: MetaState): void => {
      expectedVersion = version;
      if (fresh) return;
      changes ??= diffData(snapshotKeys(JSON.parse(this.#snapshot) as Record<string, unknown>), data);
      metaChanges ??= diffMeta(this.#storedMeta, this.#meta);
      baseData = applyChanges(latestData, changes);
      baseMeta = stamp({ ...latestMeta, ...metaChanges });
    };
    if (latest !== null && latest.version > expectedVersion) {
      rebase(latest.version, JSON.parse(latest.dataJson) as Record<string, unknown>, latest.meta);
    }
    for (let attempt = 1; attempt <= m.maxWriteAttempts; attempt++) {
      // A rotated record starts its own version count under its new key.
      const record = recordOf(baseData, baseMeta, rotateTo === null ? expectedVersion + 1 : 1);
      const options = { expiresAt: m.expiresAt(record), expectedVersion };
      const written = yield* settle(
        rotateTo === null
          ? m.records.set(identity.key, record, options)
          : m.records.rotate(identity.key, rotateTo.key, record, options),
      );
      if (written) {
        if (rotateTo !== null) this.#stored = rotateTo;
        if (baseData !== data) replaceData(this.session, baseData);
        this.#wrote(record.version, baseMeta, baseData === data ? whole : JSON.stringify(baseData));
        return { version: record.version, meta: { ...baseMeta }, dataJson: this.#snapshot };
      }
      // Lost the race: back off a random moment before re-reading, so a crowd of requests on
      // one session (every connection of a page load, or several processes) spreads out
      // instead of colliding again on every round.
      yield* settle(backoff(attempt));
      const current = yield* settle(m.records.get(identity.key));
      if (!current) {
        // Destroyed, revoked or rotated by another request meanwhile: never resurrect it.
        this.#dropStored();
        return null;
      }
      if (rotateTo !== null && current.version === expectedVersion) {
        // The old record is as it was, so the new key was taken: 256 random bits collided with a
        // live session. Never adopted, never retried under the same id.
        throw new SpartanError('sessions/store-unavailable', undefined, {
          operation: 'rotate',
          reason: 'id-collision',
        });
      }
      rebase(current.version, current.data, metaOf(current));
    }
    throw new SpartanError('sessions/store-unavailable', undefined, { operation: 'set', reason: 'write-contention' });
  }

  /**
   * Same id, a new cookie value: a tag under the current secret (the cookie was signed with a
   * rotated-out one) and the session's end as it stands now.
   */
  *#resign(stored: SessionIdentity): Steps<void> {
    this.#resignCookie = false;
    this.#manager.codec.forget(stored.cookieValue);
    this.#stored = yield* settle(this.#manager.codec.identifyNow(stored.id, this.#endOf(this.#meta)));
    this.#setCookie(this.#stored, this.#meta);
  }

  /** When a session with `meta` ends if nothing happens: its absolute end or its idle deadline. */
  #endOf(meta: MetaState): SessionEnd {
    const absolute = meta.createdAt + this.#manager.timing.ttl;
    const idle = this.#manager.idleExpiresAt(meta);
    return absolute <= idle ? { at: absolute, reason: 'ttl' } : { at: idle, reason: 'idle' };
  }

  /** The store now holds what this request wrote: `version`, `meta` and data as `dataJson`. */
  #wrote(version: number, meta: MetaState, dataJson: string): void {
    this.#version = version;
    this.#meta = meta;
    this.#storedMeta = { ...meta };
    this.#snapshot = dataJson;
    this.#touchDue = false;
    this.#clearCookie = false;
  }

  #adopt(record: StoredSession): void {
    this.#version = record.version;
    this.#meta = { ...metaOf(record), zone: this.#meta.zone };
    this.#storedMeta = metaOf(record);
    this.#snapshot = JSON.stringify(record.data);
  }

  #dropStored(): void {
    if (this.#stored) {
      this.#manager.codec.forget(this.#stored.cookieValue);
      this.#clearCookie = true;
    }
    this.#stored = null;
    this.#pendingId = null;
    this.#rotation = null;
    this.#version = 0;
    replaceData(this.session, {});
    this.#meta = freshMeta(this.#manager.clock.now(), this.#meta.zone);
    this.#storedMeta = { ...this.#meta };
    this.#snapshot = '{}';
  }

  /** Lazy sessions: stored only once they hold data, a user or a CSRF secret. */
  #holdsAnything(data: Record<string, unknown> = readData(this.session)): boolean {
    return this.#meta.userId !== null || this.#meta.csrfSecret !== null || Object.keys(data).length > 0;
  }

  #cookieHeadersPending = false;

  #setCookie(identity: SessionIdentity, meta: MetaState): void {
    this.#manager.cookies.assertTransport(this.#view);
    this.#jar.setCookie(
      this.#manager.cookieName,
      this.#manager.cookies.serialize(identity.cookieValue, meta.createdAt + this.#manager.timing.ttl),
    );
    this.#clearCookie = false;
    this.#cookieHeadersPending = true;
  }

  #writeCookieHeaders(): void {
    if (this.#clearCookie && this.#stored === null) {
      this.#jar.setCookie(this.#manager.cookieName, this.#manager.cookies.serializeClear());
      this.#clearCookie = false;
      this.#cookieHeadersPending = true;
    }
    if (this.#cookieHeadersPending) {
      // The response names a session: no cache may keep it (SPEC §5).
      this.#jar.setHeader('Cache-Control', 'no-store');
      this.#cookieHeadersPending = false;
    }
  }
}
