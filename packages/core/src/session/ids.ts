import { BoundedCache } from '../bounded-cache.js';
import type { SessionCrypto } from '../crypto/crypto.js';
import { BASE64URL_ALPHABET, base64urlEncode, timingSafeEqual } from '../crypto/encoding.js';
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
/** The store key's length: 16 bytes in unpadded base64url. */
const KEY_LENGTH = 22;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The end hint: whole seconds since the epoch in base 36, then `t` (absolute end) or `i` (idle). */
const END_HINT = /^[0-9a-z]{1,11}[ti]$/;
/** `<id>.<end>.<tag>`: the shortest and the longest a cookie value can be. */
const MIN_COOKIE_VALUE_LENGTH = ID_LENGTH + 1 + 2 + 1 + TAG_LENGTH;
const MAX_COOKIE_VALUE_LENGTH = ID_LENGTH + 1 + 12 + 1 + TAG_LENGTH;

/**
 * When the session ends if nothing happens, as of the last time its cookie was issued: the
 * earlier of its absolute end and its idle deadline, and which of the two it is. Signed with
 * the id, so a cookie whose record the store has forgotten can be told apart: past this time
 * the session ended by expiry (`expired`), before it the id was ended on purpose or never
 * stored (`fixation-rejected`).
 */
export interface SessionEnd {
  /** ms since the epoch (whole seconds). */
  readonly at: number;
  readonly reason: 'ttl' | 'idle';
}

/** A session's three names: the raw id (cookie only), its cookie value, its store key. */
export interface SessionIdentity {
  /** The raw id. Lives in the cookie only: never in the store, a log, an error or an event. */
  readonly id: string;
  /** `<id>.<end>.<tag>`, what the cookie carries. */
  readonly cookieValue: string;
  /** The end the cookie value carries (see `SessionEnd`). */
  readonly end: SessionEnd;
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
  /** The crypto when it has both base64url methods (node:crypto), else `null`: decided once. */
  readonly #text: TextCrypto | null;
  /** Recently verified cookie values (a bounded LRU): a returning visitor's lookup is one `Map.get`. */
  readonly #verified: BoundedCache<string, VerifiedCookie>;

  constructor(options: SessionIdCodecOptions) {
    this.#keys = new PurposeKeys(options.secrets, 'session-cookie', options.crypto);
    this.#crypto = options.crypto;
    this.#text = hasTextMethods(options.crypto) ? options.crypto : null;
    this.#verified = new BoundedCache(options.cacheSize ?? 10_000);
  }

  /** A fresh raw id from the CSPRNG (synchronous: `getRandomValues` is), cut from a pooled block. */
  generateId(): string {
    return base64urlEncode(randomPool(this.#crypto).take(ID_BYTES));
  }

  /** The signed cookie value and store key of a raw id made by `generateId`, carrying `end`. */
  async identify(id: string, end: SessionEnd): Promise<SessionIdentity> {
    return this.identifyNow(id, end);
  }

  /** `identify`, synchronous when the crypto is (node:crypto). */
  identifyNow(id: string, end: SessionEnd): MaybePromise<SessionIdentity> {
    const key = this.#keys.key(0);
    // Only the first call of a codec on WebCrypto waits for the key.
    if (isPromiseLike(key)) return key.then((derived) => this.#identifyWith(derived, id, end));
    return this.#identifyWith(key, id, end);
  }

  #identifyWith(key: string, id: string, end: SessionEnd): MaybePromise<SessionIdentity> {
    const signed = `${id}.${encodeEnd(end)}`;
    const text = this.#text;
    if (text !== null) {
      // Not remembered: checking it when it comes back costs this crypto ~2 µs, synchronously,
      // once per process. Remembering every new visitor's value (most never come back: crawlers,
      // bots) cost more than that, and a flood of them pushed returning visitors out.
      return this.#identified(id, signed, text.hmacSha256Base64url(key, signed), keyOfText(text.sha256Base64url(id)));
    }
    const tag = this.#crypto.hmacSha256(key, signed);
    const hash = this.#crypto.sha256(id);
    // Remembered: on WebCrypto its first check when it comes back would be a thread-pool hop.
    if (!isPromiseLike(tag) && !isPromiseLike(hash)) {
      return this.#remembered(this.#identified(id, signed, base64urlEncode(tag), keyOf(hash)));
    }
    return Promise.all([tag, hash]).then(([tagBytes, hashBytes]) =>
      this.#remembered(this.#identified(id, signed, base64urlEncode(tagBytes), keyOf(hashBytes))),
    );
  }

  #identified(id: string, signed: string, tag: string, key: string): SessionIdentity {
    const cookieValue = `${signed}.${tag}`;
    const identity: SessionIdentity = {
      id,
      cookieValue,
      key,
      end: decodeEnd(signed.slice(ID_LENGTH + 1)),
    };
    return identity;
  }

  #remembered(identity: SessionIdentity): SessionIdentity {
    this.#remember(identity.cookieValue, { identity, current: true });
    return identity;
  }

  /** A fresh identity: `identify(generateId(), end)`. */
  issue(end: SessionEnd): Promise<SessionIdentity> {
    return this.identify(this.generateId(), end);
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
    const length = cookieValue.length;
    if (length < MIN_COOKIE_VALUE_LENGTH || length > MAX_COOKIE_VALUE_LENGTH || cookieValue[ID_LENGTH] !== '.') {
      return null;
    }
    const tagAt = length - TAG_LENGTH;
    if (cookieValue[tagAt - 1] !== '.') return null;
    const id = cookieValue.slice(0, ID_LENGTH);
    const hint = cookieValue.slice(ID_LENGTH + 1, tagAt - 1);
    const tag = cookieValue.slice(tagAt);
    if (!BASE64URL.test(id) || !END_HINT.test(hint) || !BASE64URL.test(tag)) return null;
    return drive(this.#verifySteps(cookieValue, id, hint, tag));
  }

  *#verifySteps(cookieValue: string, id: string, hint: string, tag: string): Steps<VerifiedCookie | null> {
    const signed = cookieValue.slice(0, cookieValue.length - TAG_LENGTH - 1);
    for (let i = 0; i < this.#keys.count; i++) {
      const key = yield* settle(this.#keys.key(i));
      const expected = yield* settle(this.#tagOf(key, signed));
      if (timingSafeEqual(expected, tag)) {
        const key = yield* settle(this.#storeKeyOf(id));
        const identity: SessionIdentity = { id, cookieValue, key, end: decodeEnd(hint) };
        const verified: VerifiedCookie = { identity, current: i === 0 };
        this.#remember(cookieValue, verified);
        return verified;
      }
    }
    return null;
  }

  /** The tag of `signed` under `key`: unpadded base64url HMAC-SHA256. */
  #tagOf(key: string, signed: string): MaybePromise<string> {
    if (this.#text !== null) return this.#text.hmacSha256Base64url(key, signed);
    const tag = this.#crypto.hmacSha256(key, signed);
    return isPromiseLike(tag) ? tag.then(base64urlEncode) : base64urlEncode(tag);
  }

  /** The store key of a raw id. */
  #storeKeyOf(id: string): MaybePromise<string> {
    if (this.#text !== null) return keyOfText(this.#text.sha256Base64url(id));
    const hash = this.#crypto.sha256(id);
    return isPromiseLike(hash) ? hash.then(keyOf) : keyOf(hash);
  }

  /**
   * The verification of a value seen recently, without any crypto and without a promise (the
   * returning visitor's path); `undefined` when it must go through `verify`.
   */
  verifiedBefore(cookieValue: string): VerifiedCookie | undefined {
    return this.#verified.get(cookieValue);
  }

  /** Drops a cookie value from the verification cache (after rotation or destruction). */
  forget(cookieValue: string): void {
    this.#verified.delete(cookieValue);
  }

  #remember(cookieValue: string, verified: VerifiedCookie): void {
    this.#verified.set(cookieValue, verified);
  }
}

/** `SessionEnd` as the cookie carries it: whole seconds (rounded down) in base 36, `t` or `i`. */
function encodeEnd(end: SessionEnd): string {
  return `${Math.max(0, Math.floor(end.at / 1000)).toString(36)}${end.reason === 'ttl' ? 't' : 'i'}`;
}

function decodeEnd(hint: string): SessionEnd {
  return {
    at: Number.parseInt(hint.slice(0, -1), 36) * 1000,
    reason: hint.endsWith('t') ? 'ttl' : 'idle',
  };
}

/** The store key of a raw id from its SHA-256: the first 128 bits, base64url. */
function keyOf(hash: Uint8Array): string {
  return base64urlEncode(hash.subarray(0, KEY_BYTES));
}

/** A `SessionCrypto` with both of its optional base64url methods. */
type TextCrypto = SessionCrypto & Required<Pick<SessionCrypto, 'hmacSha256Base64url' | 'sha256Base64url'>>;

function hasTextMethods(crypto: SessionCrypto): crypto is TextCrypto {
  return typeof crypto.hmacSha256Base64url === 'function' && typeof crypto.sha256Base64url === 'function';
}

/** Each base64url digit with its low four bits cleared (index: the digit's char code). */
const HIGH_BITS_DIGIT: readonly string[] = (() => {
  const digits: string[] = [];
  for (let value = 0; value < 64; value++) {
    digits[BASE64URL_ALPHABET.charCodeAt(value)] = BASE64URL_ALPHABET[value & 0x30]!;
  }
  return digits;
})();

/**
 * `keyOf` from the whole SHA-256 as base64url text (43 digits): the first 21 digits carry bits
 * 0–125, and the 22nd carries bits 126–127 in its two high bits, the rest of it belonging to the
 * 17th byte, which a 16-byte encoding leaves zero.
 */
function keyOfText(hash: string): string {
  return hash.slice(0, KEY_LENGTH - 1) + HIGH_BITS_DIGIT[hash.charCodeAt(KEY_LENGTH - 1)]!;
}
