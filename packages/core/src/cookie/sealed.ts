import * as iron from 'iron-webcrypto';

/**
 * Sealed values: encrypted and authenticated with iron (AES-256-CBC + HMAC-SHA256) over
 * WebCrypto. The first secret seals; every secret unseals, so secrets rotate without breaking
 * the cookies already out there.
 */
export interface Sealer {
  /** Seals a JSON-serializable value; `ttlSeconds` bounds how long the seal is accepted. */
  seal(value: unknown, ttlSeconds?: number): Promise<string>;
  /** The value, or `null` for anything forged, expired, malformed or sealed with an unknown secret. Never throws. */
  unseal(sealed: string): Promise<unknown>;
}

/** The longest sealed string we try to open (a cookie is at most 4096 bytes). */
const MAX_SEALED_LENGTH = 4096;

/** iron-webcrypto's own name for a WebCrypto implementation (its lib typing differs from TS's DOM lib). */
type IronCrypto = Parameters<typeof iron.seal>[0];

export function createSealer(secrets: readonly string[], webCrypto: Crypto = globalThis.crypto): Sealer {
  const ironCrypto = webCrypto as unknown as IronCrypto;
  // Built once: iron clones its options on every call, so sharing them is safe. An unseal needs
  // no ttl of its own (the expiry is inside the sealed string and covered by its MAC).
  const noTtl: iron.SealOptions = { ...iron.defaults, ttl: 0 };
  const options = (ttlSeconds?: number): iron.SealOptions =>
    ttlSeconds === undefined ? noTtl : { ...iron.defaults, ttl: ttlSeconds * 1000 };
  return {
    seal(value, ttlSeconds) {
      return iron.seal(ironCrypto, value, secrets[0]!, options(ttlSeconds));
    },
    async unseal(sealed) {
      if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > MAX_SEALED_LENGTH) return null;
      if (!sealed.startsWith(`${iron.macPrefix}*`)) return null;
      for (const secret of secrets) {
        try {
          return await iron.unseal(ironCrypto, sealed, secret, noTtl);
        } catch {
          // Wrong secret, bad MAC, expired or malformed: try the next secret, then give up.
        }
      }
      return null;
    },
  };
}
