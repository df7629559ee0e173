import type { Clock } from '@spartan-sessions/core';
import {
  MemoryStore,
  type SessionStore,
  type StoredSession,
  type StoreRotateOptions,
  type StoreSetOptions,
} from '@spartan-sessions/core';

/** A MemoryStore that counts writes and can be switched to fail (reject) or hang. */
export class ProbeStore implements SessionStore {
  readonly inner: MemoryStore;
  writes = 0;
  mode: 'healthy' | 'reject' | 'hang' = 'healthy';
  /** Makes only `listByUser` reject (the store fails half-way through a login). */
  failListing = false;

  constructor(clock?: Clock) {
    this.inner = clock === undefined ? new MemoryStore() : new MemoryStore({ clock });
  }

  #gate<T>(run: () => Promise<T>): Promise<T> {
    if (this.mode === 'reject') return Promise.reject(new Error('ECONNREFUSED (test store is down)'));
    if (this.mode === 'hang') return new Promise<T>(() => {});
    return run();
  }

  get(key: string): Promise<StoredSession | null> {
    return this.#gate(() => this.inner.get(key));
  }

  set(key: string, record: StoredSession, opts: StoreSetOptions): Promise<boolean> {
    return this.#gate(() => {
      this.writes++;
      return this.inner.set(key, record, opts);
    });
  }

  rotate(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions): Promise<boolean> {
    return this.#gate(() => {
      this.writes++;
      return this.inner.rotate(oldKey, newKey, record, opts);
    });
  }

  destroy(key: string): Promise<void> {
    return this.#gate(() => this.inner.destroy(key));
  }

  listByUser(userId: string) {
    if (this.failListing) return Promise.reject(new Error('ETIMEDOUT (test store listing failed)'));
    return this.#gate(() => this.inner.listByUser(userId));
  }
}

export const SECRET = 'test-secret-test-secret-test-secret-0123';

/**
 * A `ProbeStore` with the synchronous twins (as `MemoryStore` has): core takes the
 * synchronous path with it. `reject` makes them throw; `hang` cannot apply to a synchronous call.
 */
export class SyncProbeStore extends ProbeStore {
  #check(): void {
    if (this.mode === 'reject') throw new Error('ECONNREFUSED (test store is down)');
  }

  getSync(key: string): StoredSession | null {
    this.#check();
    return this.inner.getSync(key);
  }

  setSync(key: string, record: StoredSession, opts: StoreSetOptions): boolean {
    this.#check();
    this.writes++;
    return this.inner.setSync(key, record, opts);
  }

  rotateSync(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions): boolean {
    this.#check();
    this.writes++;
    return this.inner.rotateSync(oldKey, newKey, record, opts);
  }

  destroySync(key: string): void {
    this.#check();
    this.inner.destroySync(key);
  }
}

/** The two ways core runs a request: promise store methods, or the synchronous twins. */
export const storeKinds = [
  { name: 'promise store', make: (clock?: Clock): ProbeStore => new ProbeStore(clock) },
  { name: 'synchronous store', make: (clock?: Clock): ProbeStore => new SyncProbeStore(clock) },
] as const;
