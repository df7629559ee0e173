import { utf8 } from './encoding.js';

/**
 * The cryptographic primitives core needs, taken as a dependency (iron-session's
 * `createSealData(crypto)` pattern): core itself runs on WebCrypto alone, while the Node
 * adapters pass `nodeCrypto` from `@spartan-sessions/core/node`, whose synchronous node:crypto
 * calls avoid the thread-pool hop that every WebCrypto call costs in Node.
 */
export interface SessionCrypto {
  /** `length` bytes from a CSPRNG. */
  randomBytes(length: number): Uint8Array;
  /** HMAC-SHA256 of the UTF-8 `message` under the UTF-8 `key`. */
  hmacSha256(key: string, message: string): Uint8Array | Promise<Uint8Array>;
  /** SHA-256 of the UTF-8 `message`. */
  sha256(message: string): Uint8Array | Promise<Uint8Array>;
  /**
   * Optional, with `sha256Base64url`: `hmacSha256` as unpadded base64url, synchronously, for an
   * implementation that makes the text cheaper than the bytes (node:crypto's `digest('base64url')`).
   * Core then uses both on a new session and on a cookie it verifies for the first time.
   */
  hmacSha256Base64url?(key: string, message: string): string;
  /** Optional, with `hmacSha256Base64url`: `sha256` as unpadded base64url, synchronously. */
  sha256Base64url?(message: string): string;
}

/** `SessionCrypto` over WebCrypto (`globalThis.crypto` by default). */
export function createWebCrypto(webCrypto: Crypto = globalThis.crypto): SessionCrypto {
  const subtle = webCrypto.subtle;
  // Importing a key is itself a WebCrypto call: do it once per secret.
  const keys = new Map<string, Promise<CryptoKey>>();
  const importKey = (secret: string): Promise<CryptoKey> => {
    let key = keys.get(secret);
    if (!key) {
      key = subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      keys.set(secret, key);
    }
    return key;
  };
  return {
    randomBytes(length) {
      return webCrypto.getRandomValues(new Uint8Array(length));
    },
    async hmacSha256(key, message) {
      return new Uint8Array(await subtle.sign('HMAC', await importKey(key), utf8(message)));
    },
    async sha256(message) {
      return new Uint8Array(await subtle.digest('SHA-256', utf8(message)));
    },
  };
}

let defaultCrypto: SessionCrypto | undefined;

/** The WebCrypto implementation, created on first use. */
export function webCrypto(): SessionCrypto {
  defaultCrypto ??= createWebCrypto();
  return defaultCrypto;
}
