import type { CookieJar, RequestView, StoredSession } from '../ports.js';
import type { SessionEnd, SessionIdentity } from './ids.js';
import type { Arrival } from './load.js';
import type { ManagerInternals } from './manager.js';
import { type Steps, settle } from './maybe.js';
import {
  type DataChanges,
  type DataSnapshot,
  freshMeta,
  holdsKeys,
  type MetaState,
  metaOf,
  snapshotOf,
} from './record.js';
import { cookieExpiresAt, replaceData, type Session, TAKE_OVER_FROM_KEYS } from './session.js';

export type Rotation =
  | 'authenticate'
  | 'reauthenticate'
  | 'rotate'
  | 'regenerate'
  | 'renewal'
  | 'zone-enter'
  | 'zone-leave';

/**
 * One request's session state: what is stored, what the handler changed, which cookie the
 * response must carry. `SessionContext` (the verbs), `load.ts` (cookie → record) and
 * `persist.ts` (the writes) share it; nothing outside `session/` sees it.
 */
export interface SessionState {
  readonly manager: ManagerInternals;
  readonly view: RequestView;
  readonly jar: CookieJar;
  /** The object handlers see; `regenerate()` replaces it (as express-session does). */
  session: Session;
  /** The identity the record is stored under now, `null` when nothing is stored. */
  stored: SessionIdentity | null;
  /** The version of the stored record we last read or wrote. */
  version: number;
  /** A raw id chosen for this session but not yet stored (new session or pending rotation). */
  pendingId: string | null;
  rotation: Rotation | null;
  meta: MetaState;
  /** Meta as last read from / written to the store. */
  storedMeta: MetaState;
  /**
   * The data as last read from / written to the store, key by key (objects as JSON: handlers
   * mutate nested objects in place, as Passport does). A commit compares the data to it.
   */
  snapshot: DataSnapshot;
  touchDue: boolean;
  resignCookie: boolean;
  clearCookie: boolean;
  /** A `Set-Cookie` for the session was written and `Cache-Control: no-store` must follow. */
  cookieHeadersPending: boolean;
}

/** The state of a request that arrived with `arrival` (its stored record, or no session). */
export function createState(
  manager: ManagerInternals,
  view: RequestView,
  jar: CookieJar,
  { stored, record, clearCookie, resignCookie }: Arrival,
  newSession: (data: Record<string, unknown>, takeOver: boolean) => Session,
): SessionState {
  const now = manager.clock.now();
  const meta = record ? metaOf(record) : freshMeta(now, 'normal');
  const data = record?.data ?? {};
  // Taken before the session takes `data` over as its own object (see `Session`).
  const snapshot = snapshotOf(data);
  return {
    manager,
    view,
    jar,
    session: newSession(data, snapshot.size >= TAKE_OVER_FROM_KEYS),
    stored,
    version: record?.version ?? 0,
    pendingId: null,
    rotation: null,
    meta,
    storedMeta: { ...meta },
    snapshot,
    touchDue: record !== null && now - record.lastSeenAt >= manager.timing.touchAfter,
    resignCookie,
    clearCookie,
    cookieHeadersPending: false,
  };
}

export function requestRotation(state: SessionState, reason: Rotation): void {
  state.pendingId = state.manager.codec.generateId();
  // A rotation asked for by the application names itself; renewal or zone changes do not
  // override an earlier, more specific reason.
  if (state.rotation === null || reason === 'authenticate' || reason === 'regenerate' || reason === 'reauthenticate') {
    state.rotation = reason;
  }
}

/** The store now holds what this request wrote: `version`, `meta` and the data `snapshot` pictures. */
export function wrote(state: SessionState, version: number, meta: MetaState, snapshot: DataSnapshot): void {
  state.version = version;
  state.meta = meta;
  state.storedMeta = { ...meta };
  state.snapshot = snapshot;
  state.touchDue = false;
  state.clearCookie = false;
}

/** Takes `record` (read again from the store) as the session's stored state. */
export function adopt(state: SessionState, record: StoredSession): void {
  state.version = record.version;
  state.meta = { ...metaOf(record), zone: state.meta.zone };
  state.storedMeta = metaOf(record);
  state.snapshot = snapshotOf(record.data);
}

/** Nothing is stored any more: an empty lazy session whose cookie is cleared. */
export function dropStored(state: SessionState): void {
  if (state.stored) {
    state.manager.codec.forget(state.stored.cookieValue);
    state.clearCookie = true;
  }
  state.stored = null;
  state.pendingId = null;
  state.rotation = null;
  state.version = 0;
  replaceData(state.session, {});
  state.meta = freshMeta(state.manager.clock.now(), state.meta.zone);
  state.storedMeta = { ...state.meta };
  state.snapshot = new Map();
}

/**
 * Lazy sessions: stored only once they hold data, a user or a CSRF secret. Judged from the
 * snapshot and the request's `changes`, without walking the data.
 */
export function holdsAnything(state: SessionState, changes: DataChanges | null): boolean {
  if (state.meta.userId !== null || state.meta.csrfSecret !== null) return true;
  // A cookie lifetime alone (the reserved `cookie` key) is not worth a session.
  return holdsKeys(state.snapshot, changes, 'cookie');
}

// ── Cookie emission ───────────────────────────────────────────────────────────────────────────

/** When a session with `meta` ends if nothing happens: its absolute end or its idle deadline. */
export function endOf(manager: ManagerInternals, meta: MetaState): SessionEnd {
  const absolute = meta.createdAt + manager.timing.ttl;
  const idle = manager.idleExpiresAt(meta);
  return absolute <= idle ? { at: absolute, reason: 'ttl' } : { at: idle, reason: 'idle' };
}

export function setCookie(state: SessionState, identity: SessionIdentity, meta: MetaState): void {
  const { manager } = state;
  manager.cookies.assertTransport(state.view);
  state.jar.setCookie(
    manager.cookieName,
    // The session's own cookie lifetime ("remember me"), never past its absolute end.
    manager.cookies.serialize(
      identity.cookieValue,
      cookieExpiresAt(state.session, meta.createdAt + manager.timing.ttl),
    ),
  );
  state.clearCookie = false;
  state.cookieHeadersPending = true;
}

/** The clearing cookie when the session is gone, and `no-store` whenever a session cookie was written. */
export function writeCookieHeaders(state: SessionState): void {
  const { manager } = state;
  if (state.clearCookie && state.stored === null) {
    state.jar.setCookie(manager.cookieName, manager.cookies.serializeClear());
    state.clearCookie = false;
    state.cookieHeadersPending = true;
  }
  if (state.cookieHeadersPending) {
    // The response names a session: no cache may keep it (SPEC §5).
    state.jar.setHeader('Cache-Control', 'no-store');
    state.cookieHeadersPending = false;
  }
}

/**
 * Same id, a new cookie value: a tag under the current secret (the cookie was signed with a
 * rotated-out one) and the session's end as it stands now.
 */
export function* resign(state: SessionState, stored: SessionIdentity): Steps<void> {
  state.resignCookie = false;
  state.manager.codec.forget(stored.cookieValue);
  state.stored = yield* settle(state.manager.codec.identifyNow(stored.id, endOf(state.manager, state.meta)));
  setCookie(state, state.stored, state.meta);
}
