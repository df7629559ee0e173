import type { SessionCrypto } from '../crypto/crypto.js';
import { base64urlEncode, timingSafeEqual } from '../crypto/encoding.js';
import { PurposeKeys } from '../crypto/keys.js';
import { randomPool } from '../crypto/random-pool.js';
import { drive, isPromiseLike, type MaybePromise, type Steps, settle } from './maybe.js';

/** 256-bit ids: 32 bytes, 43 base64url characters. */
const ID_BYTES = 32;
const ID_LENGTH = 43;
/** HMAC-SHA256 tags: 32 bytes, 43 base64url characters. */
const TAG_LENGTH = 43;
/** Store keys: the first 16 bytes of SHA-256(id), 22 base64url characters. */
const KEY_BYTES = 16;
/** `<id>.<tag>` */
const COOKIE_VALUE_LENGTH = ID_LENGTH + 1 + TAG_LENGTH;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A session's three names: the raw id (cookie only), its cookie value, its store key. */
export interface SessionIdentity {
  /** The raw id. Lives in the cookie only: never in the store, a log, an error or an event. */
  readonly id: string;
  /** `<id>.<tag>`, what the cookie carries. */
  readonly cookieValue: string;
  /**
   * base64url of the first 128 bits of SHA-256(id) (22 characters): the store key, so a leaked
   * store dump cannot be replayed. 128 bits keep preimages out of reach and collisions between
   * random 256-bit ids negligible, at half the bytes per key in Redis and in the user index.
   */
  readonly key: string;
}

export interface VerifiedCookie {
  identity: SessionIdentity;
  /** False when the tag was made with an older (rotated-out) secret: re-issue the cookie. */
  current: boolean;
}

/** A short prefix of a store key, for audit events; it cannot be turned back into an id. */
export function keyHashOf(key: string): string {
  return key.slice(0, 12);
}

export interface SessionIdCodecOptions {
  /**
   * The configured secrets (the first signs, all verify). Tags are never made with a secret
   * itself but with its `session-cookie` key (`PurposeKeys`), so no other sealed or signed value
   * of the library can pass for a session cookie.
   */
  secrets: readonly string[];
  crypto: SessionCrypto;
  /** How many verified cookie values to remember (bounded LRU). @default 10_000 */
  cacheSize?: number;
}

/**
 * Issues ids and verifies cookie values. A cookie value is `<id>.<tag>`, the tag being
 * HMAC-SHA256(key, id) under the `session-cookie` key of a secret (`PurposeKeys`; derived once
 * per secret, on first use). A verified value is remembered in a bounded LRU so a returning
 * visitor costs no HMAC and no hash (only the *signature check* is cached, never a session
 * record: revocation stays immediate on every process).
 */
export class SessionIdCodec {
  readonly #keys: PurposeKeys;
  readonly #crypto: SessionCrypto;
  readonly #cacheSize: number;
  /**
   * Recently verified cookie values, least recently used first. A hit moves its entry to the
   * back only once it has fallen into the older half (`stamp` counts insertions): the returning
   * visitor's lookup is one `Map.get`, not a delete and re-insert on every request.
   */
  readonly #verified = new Map<string, { readonly verified: VerifiedCookie; stamp: number }>();
  #stamp = 0;

  constructor(options: SessionIdCodecOptions) {
    this.#keys = new PurposeKeys(options.secrets, 'session-cookie', options.crypto);
    this.#crypto = options.crypto;
    this.#cacheSize = options.cacheSize ?? 10_000;
  }

  /** A fresh raw id from the CSPRNG (synchronous: `getRandomValues` is), cut from a pooled block. */
  generateId(): string {
    return base64urlEncode(randomPool(this.#crypto).take(ID_BYTES));
  }

  /** The signed cookie value and store key of a raw id made by `generateId`. */
  async identify(id: string): Promise<SessionIdentity> {
    return this.identifyNow(id);
  }

  /** `identify`, synchronous when the crypto is (node:crypto). */
  identifyNow(id: string): MaybePromise<SessionIdentity> {
    const key = this.#keys.key(0);
    // Only the first call of a codec on WebCrypto waits for the key.
    if (isPromiseLike(key)) return key.then((derived) => this.#identifyWith(derived, id));
    return this.#identifyWith(key, id);
  }

  #identifyWith(key: string, id: string): MaybePromise<SessionIdentity> {
    const tag = this.#crypto.hmacSha256(key, id);
    const hash = this.#crypto.sha256(id);
    if (!isPromiseLike(tag) && !isPromiseLike(hash)) return this.#identified(id, tag, hash);
    return Promise.all([tag, hash]).then(([tagBytes, hashBytes]) => this.#identified(id, tagBytes, hashBytes));
  }

  #identified(id: string, tag: Uint8Array, hash: Uint8Array): SessionIdentity {
    const identity: SessionIdentity = { id, cookieValue: `${id}.${base64urlEncode(tag)}`, key: keyOf(hash) };
    this.#remember(identity.cookieValue, { identity, current: true });
    return identity;
  }

  /** A fresh identity: `identify(generateId())`. */
  issue(): Promise<SessionIdentity> {
    return this.identify(this.generateId());
  }

  /**
   * Checks a cookie value's tag against the key of every secret; `null` for anything malformed or forged.
   * Never throws on any input. A bad tag is rejected before the store is asked anything.
   */
  async verify(cookieValue: string): Promise<VerifiedCookie | null> {
    return this.verifyNow(cookieValue);
  }

  /** `verify`, synchronous when the value was verified before or the crypto is synchronous. */
  verifyNow(cookieValue: string): MaybePromise<VerifiedCookie | null> {
    const cached = this.verifiedBefore(cookieValue);
    if (cached !== undefined) return cached;
    if (cookieValue.length !== COOKIE_VALUE_LENGTH || cookieValue[ID_LENGTH] !== '.') return null;
    const id = cookieValue.slice(0, ID_LENGTH);
    const tag = cookieValue.slice(ID_LENGTH + 1);
    if (!BASE64URL.test(id) || !BASE64URL.test(tag)) return null;
    return drive(this.#verifySteps(cookieValue, id, tag));
  }

  *#verifySteps(cookieValue: string, id: string, tag: string): Steps<VerifiedCookie | null> {
    for (let i = 0; i < this.#keys.count; i++) {
      const key = yield* settle(this.#keys.key(i));
      const expected = base64urlEncode(yield* settle(this.#crypto.hmacSha256(key, id)));
      if (timingSafeEqual(expected, tag)) {
        const key = keyOf(yield* settle(this.#crypto.sha256(id)));
        const verified: VerifiedCookie = { identity: { id, cookieValue, key }, current: i === 0 };
        this.#remember(cookieValue, verified);
        return verified;
      }
    }
    return null;
  }

  /**
   * The verification of a value seen recently, without any crypto and without a promise (the
   * returning visitor's path); `undefined` when it must go through `verify`.
   */
  verifiedBefore(cookieValue: string): VerifiedCookie | undefined {
    const cached = this.#verified.get(cookieValue);
    if (cached === undefined) return undefined;
    if (this.#stamp - cached.stamp >= this.#cacheSize >> 1) {
      // Refresh recency (a Map keeps insertion order).
      this.#verified.delete(cookieValue);
      cached.stamp = ++this.#stamp;
      this.#verified.set(cookieValue, cached);
    }
    return cached.verified;
  }

  /** Drops a cookie value from the verification cache (after rotation or destruction). */
  forget(cookieValue: string): void {
    this.#verified.delete(cookieValue);
  }

  #remember(cookieValue: string, verified: VerifiedCookie): void {
    if (this.#cacheSize <= 0) return;
    if (this.#verified.size >= this.#cacheSize) {
      const oldest = this.#verified.keys().next().value;
      if (oldest !== undefined) this.#verified.delete(oldest);
    }
    this.#verified.set(cookieValue, { verified, stamp: ++this.#stamp });
  }
}

/** The store key of a raw id from its SHA-256: the first 128 bits, base64url. */
function keyOf(hash: Uint8Array): string {
  return base64urlEncode(hash.subarray(0, KEY_BYTES));
}
