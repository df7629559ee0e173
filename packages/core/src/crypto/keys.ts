import { isPromiseLike, type MaybePromise } from '../session/maybe.js';
import type { SessionCrypto } from './crypto.js';
import { base64urlEncode } from './encoding.js';

/**
 * What a key is for. No key is ever used for two purposes, so a value made for one (a sealed
 * preference cookie) can never pass for another (a double-submit CSRF cookie, a session tag),
 * whatever its content or name.
 */
export type KeyPurpose =
  /** HMAC tags of session cookie values (`SessionIdCodec`). */
  | 'session-cookie'
  /** Sealing the double-submit CSRF cookie (`csrf({ cookie: true })`). */
  | 'csrf-cookie'
  /** Sealing `cookieMaker` values (`options.sealed: true`). */
  | 'sealed-cookie';

/**
 * The derivation label of a purpose. The version is part of it: a change of format or scheme
 * takes a new label, so values made under the old one simply stop verifying.
 */
export function keyLabel(purpose: KeyPurpose): string {
  return `spartan-sessions/v1/${purpose}`;
}

/**
 * The keys of one purpose, one per configured secret and in the same order (the first signs or
 * seals, all verify or unseal: rotation works per purpose as it does for the secrets).
 *
 * key_i = base64url(HMAC-SHA256(secret_i, "spartan-sessions/v1/<purpose>")): HMAC is a PRF
 * keyed by the secret, so keys of different labels are independent, and one key reveals
 * nothing of the secret or of another purpose's key. The 43-character text form is what the
 * primitives take (a `SessionCrypto` HMAC key, an iron password, which must be >= 32 characters).
 *
 * Each key is derived once, on first use, and kept: with a synchronous `SessionCrypto`
 * (node:crypto) `key(i)` is a plain string from the first call on; with WebCrypto the first call
 * answers a promise and every later one the plain string, so a hot path pays no promise.
 * The keys are as sensitive as the secrets: they never appear in an error, a log or an event.
 */
export class PurposeKeys {
  readonly purpose: KeyPurpose;
  readonly #secrets: readonly string[];
  readonly #crypto: SessionCrypto;
  readonly #label: string;
  readonly #keys: Array<string | undefined>;
  readonly #pending: Array<Promise<string> | undefined>;

  constructor(secrets: readonly string[], purpose: KeyPurpose, crypto: SessionCrypto) {
    this.purpose = purpose;
    this.#secrets = secrets;
    this.#crypto = crypto;
    this.#label = keyLabel(purpose);
    this.#keys = secrets.map(() => undefined);
    this.#pending = secrets.map(() => undefined);
  }

  /** How many keys there are (one per secret). */
  get count(): number {
    return this.#secrets.length;
  }

  /** The key derived from secret `index` (0 signs or seals); plain once derived. */
  key(index: number): MaybePromise<string> {
    const known = this.#keys[index];
    if (known !== undefined) return known;
    const pending = this.#pending[index];
    if (pending !== undefined) return pending;
    const secret = this.#secrets[index];
    if (secret === undefined) throw new RangeError(`no secret #${index}`);
    const tag = this.#crypto.hmacSha256(secret, this.#label);
    if (!isPromiseLike(tag)) return this.#keep(index, tag);
    const deriving = Promise.resolve(tag).then(
      (bytes) => this.#keep(index, bytes),
      (error: unknown) => {
        // Not kept: a failed derivation (a broken WebCrypto) is tried again on the next call.
        this.#pending[index] = undefined;
        throw error;
      },
    );
    this.#pending[index] = deriving;
    return deriving;
  }

  #keep(index: number, bytes: Uint8Array): string {
    const key = base64urlEncode(bytes);
    this.#keys[index] = key;
    this.#pending[index] = undefined;
    return key;
  }
}
