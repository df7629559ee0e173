import {
  type Clock,
  MemoryStore,
  type SessionStore,
  type StoredSession,
  type StoreRotateOptions,
  type StoreSetOptions,
  type UserSessionEntry,
} from '@spartan-sessions/core';

/** A `MemoryStore` behind promise methods only, that can be switched off (every call rejects). */
export class FlakyStore implements SessionStore {
  readonly inner: MemoryStore;
  down = false;

  constructor(clock?: Clock) {
    this.inner = clock === undefined ? new MemoryStore() : new MemoryStore({ clock });
  }

  #gate<T>(run: () => Promise<T>): Promise<T> {
    return this.down ? Promise.reject(new Error('ECONNREFUSED (test store is down)')) : run();
  }

  get(key: string): Promise<StoredSession | null> {
    return this.#gate(() => this.inner.get(key));
  }

  set(key: string, record: StoredSession, opts: StoreSetOptions): Promise<boolean> {
    return this.#gate(() => this.inner.set(key, record, opts));
  }

  rotate(oldKey: string, newKey: string, record: StoredSession, opts: StoreRotateOptions): Promise<boolean> {
    return this.#gate(() => this.inner.rotate(oldKey, newKey, record, opts));
  }

  destroy(key: string): Promise<void> {
    return this.#gate(() => this.inner.destroy(key));
  }

  listByUser(userId: string): Promise<UserSessionEntry[]> {
    return this.#gate(() => this.inner.listByUser(userId));
  }
}
