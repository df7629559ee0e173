import type { SessionCrypto } from './crypto.js';

/** Random bytes drawn from the CSPRNG a block at a time; every byte is handed out once. */
class RandomPool {
  readonly #crypto: SessionCrypto;
  #block: Uint8Array = new Uint8Array(0);
  #offset = 0;

  constructor(crypto: SessionCrypto) {
    this.#crypto = crypto;
  }

  take(length: number): Uint8Array {
    if (this.#offset + length > this.#block.length) {
      this.#block = this.#crypto.randomBytes(RANDOM_POOL_BYTES);
      if (this.#block.length !== RANDOM_POOL_BYTES) {
        throw new TypeError(`randomBytes(${RANDOM_POOL_BYTES}) returned ${this.#block.length} bytes`);
      }
      this.#offset = 0;
    }
    const bytes = this.#block.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return bytes;
  }
}

/**
 * Blocks of 4 KiB: one CSPRNG call per 128 CSRF masks or session ids instead of one each (the
 * call was a third of the time of issuing a CSRF token).
 */
const RANDOM_POOL_BYTES = 4096;
const pools = new WeakMap<SessionCrypto, RandomPool>();

/** The pool of a crypto provider (one per provider, created on first use). */
export function randomPool(crypto: SessionCrypto): RandomPool {
  let pool = pools.get(crypto);
  if (pool === undefined) {
    pool = new RandomPool(crypto);
    pools.set(crypto, pool);
  }
  return pool;
}
