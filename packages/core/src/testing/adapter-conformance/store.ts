import type {
  Clock,
  SessionStore,
  StoredSession,
  StoreRotateOptions,
  StoreSetOptions,
  UserSessionEntry,
} from '../../ports.js';
import { MemoryStore } from '../../store/memory-store.js';

/** What a `ProbeStore` does when called: answer, fail (reject / throw), or never answer. */
export type ProbeMode = 'healthy' | 'reject' | 'hang';

/** Calls a `ProbeStore` has answered or refused, by operation (promise and synchronous alike). */
export interface ProbeCalls {
  get: number;
  set: number;
  rotate: number;
  destroy: number;
  listByUser: number;
}

const downError = () => new Error('ECONNREFUSED (the kit switched its store off)');

/**
 * A `MemoryStore` behind promise methods only (core takes its asynchronous path), counting every
 * call, and able to fail: `mode = 'reject'` makes every call reject, `'hang'` never answer;
 * `failListing` makes only `listByUser` reject (a store failing half-way through a login).
 */
export class ProbeStore implements SessionStore {
  readonly inner: MemoryStore;
  readonly calls: ProbeCalls = { get: 0, set: 0, rotate: 0, destroy: 0, listByUser: 0 };
  mode: ProbeMode = 'healthy';
  failListing = false;

  constructor(clock: Clock) {
    this.inner = new MemoryStore({ clock });
  }

  /** Writes of any kind: `set`, `rotate`. */
  get writes(): number {
    return this.calls.set + this.calls.rotate;
  }

  /** Calls of any kind. */
  get total(): number {
    const { get, set, rotate, destroy, listByUser } = this.calls;
    return get + set + rotate + destroy + listByUser;
  }

  resetCalls(): void {
    for (const name of Object.keys(this.calls) as Array<keyof ProbeCalls>) this.calls[name] = 0;
  }

  /** Records held right now (expired ones count until the store reclaims them). */
  get size(): number {
    return this.inner.stats().sessions;
  }

  #gate<T>(operation: keyof ProbeCalls, run: () => Promise<T>): Promise<T> {
    this.calls[operation]++;
    if (this.mode === 'reject') return Promise.reject(downError());
    if (this.mode === 'hang') return new Promise<T>(() => {});
    return run();
  }

  get(key: string): Promise<StoredSession | null> {
    return this.#gate('get', () => this.inner.get(key));
  }

  set(key: string, record: StoredSession, opts: StoreSetOptions): Promise<boolean> {
    return this.#gate('set', () => this.inner.set(key, record, opts));
  }

  rotate(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions): Promise<boolean> {
    return this.#gate('rotate', () => this.inner.rotate(oldKey, newKey, record, opts));
  }

  destroy(key: string): Promise<void> {
    return this.#gate('destroy', () => this.inner.destroy(key));
  }

  listByUser(userId: string): Promise<UserSessionEntry[]> {
    if (this.failListing) {
      this.calls.listByUser++;
      return Promise.reject(downError());
    }
    return this.#gate('listByUser', () => this.inner.listByUser(userId));
  }

  /** For the synchronous twins: counts, and throws when switched off (a synchronous call cannot hang). */
  protected gateSync(operation: keyof ProbeCalls): void {
    this.calls[operation]++;
    if (this.mode !== 'healthy') throw downError();
  }
}

/** A `ProbeStore` with `MemoryStore`'s synchronous twins: core takes its synchronous path. */
export class SyncProbeStore extends ProbeStore {
  getSync(key: string): StoredSession | null {
    this.gateSync('get');
    return this.inner.getSync(key);
  }

  setSync(key: string, record: StoredSession, opts: StoreSetOptions): boolean {
    this.gateSync('set');
    return this.inner.setSync(key, record, opts);
  }

  rotateSync(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions): boolean {
    this.gateSync('rotate');
    return this.inner.rotateSync(oldKey, newKey, record, opts);
  }

  destroySync(key: string): void {
    this.gateSync('destroy');
    this.inner.destroySync(key);
  }
}

/** The two ways core runs a request, each adapter runs the kit on both. */
export interface StoreKind {
  name: string;
  /** Whether a store call can hang (a synchronous one cannot). */
  canHang: boolean;
  make(clock: Clock): ProbeStore;
}

export const STORE_KINDS: readonly StoreKind[] = [
  { name: 'synchronous store', canHang: false, make: (clock) => new SyncProbeStore(clock) },
  { name: 'promise store', canHang: true, make: (clock) => new ProbeStore(clock) },
];
