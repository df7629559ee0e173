import * as iron from 'iron-webcrypto';
import { createWebCrypto } from '../crypto/crypto.js';
import { type KeyPurpose, PurposeKeys } from '../crypto/keys.js';

/**
 * Sealed values: encrypted and authenticated with iron (AES-256-CBC + HMAC-SHA256) over
 * WebCrypto, and bound to what they were sealed for:
 *
 * - the keys are those of one purpose (`PurposeKeys`: `csrf-cookie` for the double-submit
 *   cookie, `sealed-cookie` for `cookieMaker`), derived from every secret, never the secrets
 *   themselves: a value sealed for one purpose fails the MAC of another;
 * - the sealed payload is `{ p: purpose, n: cookie name, d: value }`, and `unseal` returns `d`
 *   only when `p` and `n` are the ones asked for: a value sealed for cookie `prefs` is `null` when
 *   read as `role`, even though the same keys made both.
 *
 * The first secret's key seals; every secret's key unseals, so secrets rotate without breaking
 * the cookies already out there. A value sealed before this scheme (with a secret as the iron
 * password, without the envelope) reads as `null`.
 */
export interface Sealer {
  readonly purpose: SealPurpose;
  /** Seals a JSON-serializable value for cookie `name` (the final, prefixed name); `ttlSeconds` bounds how long the seal is accepted. */
  seal(name: string, value: unknown, ttlSeconds?: number): Promise<string>;
  /**
   * The value sealed for this purpose and cookie `name`, or `null` for anything forged,
   * expired, malformed, sealed with an unknown secret, or sealed for another purpose or name.
   * Never throws.
   */
  unseal(name: string, sealed: string): Promise<unknown>;
}

/** The purposes a sealer serves (session cookies are tagged, not sealed). */
export type SealPurpose = Extract<KeyPurpose, 'csrf-cookie' | 'sealed-cookie'>;

export interface SealerOptions {
  /** Validated secrets (`normalizeSecrets`): the first seals, all unseal. */
  secrets: readonly string[];
  purpose: SealPurpose;
  /** @default globalThis.crypto */
  webCrypto?: Crypto | undefined;
}

/** What is sealed: the value with the purpose and the cookie name it is for. */
interface Envelope {
  /** The purpose. */
  p: SealPurpose;
  /** The cookie name (final, with its prefix). */
  n: string;
  /** The value. */
  d: unknown;
}

/** The longest sealed string we try to open (a cookie is at most 4096 bytes). */
const MAX_SEALED_LENGTH = 4096;

/** iron-webcrypto's own name for a WebCrypto implementation (its lib typing differs from TS's DOM lib). */
type IronCrypto = Parameters<typeof iron.seal>[0];

export function createSealer(options: SealerOptions): Sealer {
  const { secrets, purpose } = options;
  const webCrypto = options.webCrypto ?? globalThis.crypto;
  const ironCrypto = webCrypto as unknown as IronCrypto;
  // Derived on first use (no WebCrypto work at setup), once per secret.
  const keys = new PurposeKeys(secrets, purpose, createWebCrypto(webCrypto));
  // Built once: iron clones its options on every call, so sharing them is safe. An unseal needs
  // no ttl of its own (the expiry is inside the sealed string and covered by its MAC).
  const noTtl: iron.SealOptions = { ...iron.defaults, ttl: 0 };
  const ironOptions = (ttlSeconds?: number): iron.SealOptions =>
    ttlSeconds === undefined ? noTtl : { ...iron.defaults, ttl: ttlSeconds * 1000 };

  const openedValue = (payload: unknown, name: string): unknown => {
    if (typeof payload !== 'object' || payload === null) return null;
    const { p, n } = payload as Partial<Envelope>;
    if (p !== purpose || n !== name || !Object.hasOwn(payload, 'd')) return null;
    return (payload as Envelope).d;
  };

  return {
    purpose,
    async seal(name, value, ttlSeconds) {
      const envelope: Envelope = { p: purpose, n: name, d: value };
      return iron.seal(ironCrypto, envelope, await keys.key(0), ironOptions(ttlSeconds));
    },
    async unseal(name, sealed) {
      if (typeof name !== 'string' || name.length === 0) return null;
      if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > MAX_SEALED_LENGTH) return null;
      if (!sealed.startsWith(`${iron.macPrefix}*`)) return null;
      for (let i = 0; i < keys.count; i++) {
        let payload: unknown;
        try {
          payload = await iron.unseal(ironCrypto, sealed, await keys.key(i), noTtl);
        } catch {
          // Wrong key, bad MAC, expired or malformed: try the next key, then give up.
          continue;
        }
        // Authentic under this purpose's key: it opens under no other key, so stop here.
        return openedValue(payload, name);
      }
      return null;
    },
  };
}
