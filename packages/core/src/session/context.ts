import { SpartanError } from '../errors/errors.js';
import type { CookieJar, CsrfSecretHolder, RequestView } from '../ports.js';
import { type Arrival, applyZone, arrive } from './load.js';
import type { ManagerInternals } from './manager.js';
import { drive, isPromiseLike, type MaybePromise, type Steps } from './maybe.js';
import { discardStored, persist } from './persist.js';
import { freshMeta } from './record.js';
import { replaceData, Session, type SessionBackend, type SessionMeta, type UserSessionInfo } from './session.js';
import { adopt, createState, dropStored, requestRotation, type SessionState, writeCookieHeaders } from './state.js';

/**
 * One request's view of its session. Created by `SessionManager.begin`, it backs the
 * `Session` object handlers see, and `commit()` persists it before the response is sent.
 * Loading lives in `load.ts`, the writes in `persist.ts`, the shared state in `state.ts`; this
 * class holds the verbs a handler calls and the commit.
 */
export class SessionContext implements SessionBackend, CsrfSecretHolder {
  /**
   * The object adapters expose as `req.session`. `regenerate()` replaces it with a new object
   * (as express-session does), so adapters must read it through this getter, not keep a copy:
   * Passport's `keepSessionInfo` merges the old object into the new one.
   */
  get session(): Session {
    return this.#state.session;
  }

  /**
   * Set when the request may not enter the privileged area (`reauthentication-required`): the
   * adapter hands it to its framework's error path, and the request then changes nothing.
   */
  accessError: SpartanError | null = null;
  /** The library refused the request (see `refuse()`). */
  #refused = false;
  readonly #state: SessionState;
  /** A commit that went asynchronous and is still running (a second `commit()` joins it). */
  #committing: Promise<void> | null = null;

  private constructor(m: ManagerInternals, view: RequestView, jar: CookieJar, arrival: Arrival) {
    this.#state = createState(m, view, jar, arrival, (data, takeOver) => new Session(this, data, takeOver));
  }

  /** See `SessionManager.beginNow`: synchronous when no step needs to wait. */
  static load(m: ManagerInternals, view: RequestView, jar: CookieJar): MaybePromise<SessionContext> {
    return drive(SessionContext.#loadSteps(m, view, jar));
  }

  static *#loadSteps(m: ManagerInternals, view: RequestView, jar: CookieJar): Steps<SessionContext> {
    const arrival = yield* arrive(m, jar);
    const context = new SessionContext(m, view, jar, arrival);
    if (arrival.renew) requestRotation(context.#state, 'renewal');
    context.accessError = applyZone(context.#state);
    return context;
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
    if (this.#state.pendingId !== null) return this.#state.pendingId;
    if (this.#state.stored !== null) return this.#state.stored.id;
    // A lazy session has no id yet: choose one now (it is only stored if the session is).
    this.#state.pendingId = this.#state.manager.codec.generateId();
    return this.#state.pendingId;
  }

  meta(): SessionMeta {
    const meta = this.#state.meta;
    return Object.freeze({
      createdAt: meta.createdAt,
      lastSeenAt: meta.lastSeenAt,
      expiresAt: meta.createdAt + this.#state.manager.timing.ttl,
      idleExpiresAt: this.#state.manager.idleExpiresAt(meta),
      zone: meta.zone,
      userId: meta.userId,
      authenticatedAt: meta.authenticatedAt,
    });
  }

  now(): number {
    return this.#state.manager.clock.now();
  }

  absoluteEnd(): number {
    return this.#state.meta.createdAt + this.#state.manager.timing.ttl;
  }

  cookieLifetimeChanged(): void {
    // A stored session's cookie is issued again with its new Expires; a new or rotating
    // session gets its cookie (with the lifetime) when it is stored anyway.
    if (this.#state.stored !== null && this.#state.pendingId === null) this.#state.resignCookie = true;
  }

  async regenerate(): Promise<void> {
    this.#state.session = new Session(this, {});
    this.#state.meta = freshMeta(this.#state.manager.clock.now(), this.#state.meta.zone);
    requestRotation(this.#state, 'regenerate');
  }

  async rotate(): Promise<void> {
    requestRotation(this.#state, 'rotate');
  }

  async authenticate(userId: string): Promise<void> {
    if (typeof userId !== 'string' || userId.length === 0) {
      throw new SpartanError('sessions/option-type-incorrect', '`userId` must be a non-empty string', {
        option: 'userId',
      });
    }
    this.#authenticateAs(userId);
  }

  #authenticateAs(userId: string): void {
    const now = this.#state.manager.clock.now();
    this.#state.meta.userId = userId;
    this.#state.meta.authenticatedAt = now;
    // New tokens on a privilege change (OWASP): a synchronizer secret an anonymous visitor (or
    // whoever planted the session) knew is not carried into the signed-in session. The guard
    // creates a new one the next time a token is asked for.
    this.#state.meta.csrfSecret = null;
    requestRotation(this.#state, 'authenticate');
    if (this.accessError && this.#state.manager.zoneOf(this.#state.view.path) === 'privileged') this.accessError = null;
  }

  async reauthenticate(): Promise<void> {
    if (this.#state.meta.userId === null) {
      throw new SpartanError('sessions/reauthentication-required', 'reauthenticate() needs an authenticated session', {
        reason: 'not-authenticated',
      });
    }
    this.#state.meta.authenticatedAt = this.#state.manager.clock.now();
    requestRotation(this.#state, 'reauthenticate');
    this.accessError = null;
  }

  async destroy(): Promise<void> {
    await drive(discardStored(this.#state, 'logout'));
    replaceData(this.session, {});
    const { clearSiteData } = this.#state.manager.policy.config.logout;
    if (clearSiteData.length > 0) {
      this.#state.jar.setHeader('Clear-Site-Data', clearSiteData.map((directive) => `"${directive}"`).join(', '));
    }
    writeCookieHeaders(this.#state);
  }

  async save(): Promise<void> {
    this.#adoptPassportLogin();
    await drive(persist(this.#state));
  }

  /**
   * A Passport login: Passport regenerates the session and stores `passport.user` in it
   * (@fastify/passport: `passport` itself), then saves or lets the response end. A session regenerated in this request that now carries a
   * Passport user, and no user of ours, is authenticated as that user (`passport` option), so
   * the per-user features see Passport users without extra code. Only on a regenerated session:
   * a `passport.user` written into a live session is not a login and authenticates nobody.
   */
  #adoptPassportLogin(): void {
    const state = this.#state;
    const toUserId = state.manager.passportUserId;
    if (toUserId === null || state.rotation !== 'regenerate' || state.meta.userId !== null) return;
    const passport = state.session.passport;
    // Passport and koa-passport store `{ user }`; @fastify/passport stores the serialized user itself.
    const user = typeof passport === 'object' && passport !== null && 'user' in passport ? passport.user : passport;
    if (user === undefined || user === null) return;
    const userId = toUserId(user);
    if (typeof userId === 'string' && userId.length > 0) this.#authenticateAs(userId);
  }

  async reload(): Promise<void> {
    const stored = this.#state.stored;
    if (stored === null) {
      replaceData(this.session, {});
      return;
    }
    const record = await this.#state.manager.records.get(stored.key);
    if (!record) {
      // Revoked or expired meanwhile: the session is gone.
      dropStored(this.#state);
      return;
    }
    adopt(this.#state, record);
    replaceData(this.session, record.data);
  }

  async touch(): Promise<void> {
    if (this.#state.stored !== null) this.#state.touchDue = true;
  }

  async listUserSessions(): Promise<UserSessionInfo[]> {
    const { manager: m, storedMeta, stored } = this.#state;
    const userId = storedMeta.userId;
    if (userId === null) return [];
    const now = m.clock.now();
    const currentKey = stored?.key;
    const entries = await m.call('listByUser', () => m.store.listByUser(userId));
    return entries
      .filter((entry) => entry.record.userId === userId && m.expiresAt(entry.record) > now)
      .map((entry) => ({
        current: entry.key === currentKey,
        createdAt: entry.record.createdAt,
        lastSeenAt: entry.record.lastSeenAt,
        expiresAt: m.expiresAt(entry.record),
        zone: entry.record.zone,
      }))
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  async revokeOtherSessions(): Promise<number> {
    const userId = this.#state.storedMeta.userId;
    if (userId === null) return 0;
    return this.#state.manager.revokeUserSessions(userId, this.#state.stored?.key ?? null, 'user-revoked-others');
  }

  // ── CsrfSecretHolder ──────────────────────────────────────────────────────────────────────

  getCsrfSecret(): string | null {
    return this.#state.meta.csrfSecret;
  }

  setCsrfSecret(secret: string): void {
    this.#state.meta.csrfSecret = secret;
  }

  // ── Commit ────────────────────────────────────────────────────────────────────────────────

  /** The id the response will carry, or `null` when it carries none. */
  get id(): string | null {
    return this.#state.pendingId ?? this.#state.stored?.id ?? null;
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
      if (this.#state.stored === null) writeCookieHeaders(this.#state);
      return undefined;
    }
    this.#adoptPassportLogin();
    const done = drive(persist(this.#state));
    if (!isPromiseLike(done)) return done;
    // Once it ends (done or failed) a later commit starts afresh. One `then` with the same
    // callback both ways, only on a commit that waits: not a `.finally()` (a second promise and
    // two more callbacks), not a generator around the steps (one more object on every commit).
    const clear = (): void => {
      if (this.#committing === done) this.#committing = null;
    };
    done.then(clear, clear);
    this.#committing = done;
    return done;
  }
}
