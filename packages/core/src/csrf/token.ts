import type { SessionCrypto } from '../crypto/crypto.js';
import { webCrypto } from '../crypto/crypto.js';
import { base64urlDecode, base64urlEncode, timingSafeEqualBytes } from '../crypto/encoding.js';
import { randomPool } from '../crypto/random-pool.js';
import type { RequestView } from '../ports.js';

/** A CSRF secret is 256 bits from the CSPRNG: 32 bytes, 43 base64url characters. */
const SECRET_BYTES = 32;
const SECRET_LENGTH = 43;
/** A masked token is `mask ‖ (mask XOR secret)`: 64 bytes, 86 base64url characters. */
const TOKEN_BYTES = 2 * SECRET_BYTES;
const TOKEN_LENGTH = 86;

/** A fresh CSRF secret (base64url). It never leaves the server unmasked. */
export function createCsrfSecret(crypto: SessionCrypto = webCrypto()): string {
  return base64urlEncode(crypto.randomBytes(SECRET_BYTES));
}

/**
 * A canonical 43-character base64url encoding of 32 bytes: the last character carries the
 * value's last 4 bits and 2 zero bits, so it is one of the 16 characters whose value is a
 * multiple of 4.
 */
const CANONICAL_SECRET = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** The last secret decoded: a page's token is issued and verified against the same one. */
let lastSecret = '';
let lastSecretBytes: Uint8Array = new Uint8Array(0);

/**
 * The secret's bytes (never to be modified: they may be shared with the next call), or `null`
 * for anything but a canonical 43-character base64url secret.
 */
function decodeSecret(secret: unknown): Uint8Array | null {
  if (typeof secret !== 'string' || secret.length !== SECRET_LENGTH) return null;
  if (secret === lastSecret) return lastSecretBytes;
  const bytes = base64urlDecode(secret);
  if (bytes !== null) {
    lastSecret = secret;
    lastSecretBytes = bytes;
  }
  return bytes;
}

/** Whether `value` is a well-formed CSRF secret (e.g. one read back from a session record). */
export function isCsrfSecret(value: unknown): value is string {
  return typeof value === 'string' && value.length === SECRET_LENGTH && CANONICAL_SECRET.test(value);
}

/**
 * A token for `secret`, masked with a fresh random pad: `base64url(mask ‖ (mask XOR secret))`.
 * Every call gives a different string for the same secret, so a compression side channel
 * (BREACH) on a response that also reflects attacker input cannot recover it byte by byte.
 * Throws a `TypeError` when `secret` is not a CSRF secret (a programming error).
 */
export function maskCsrfToken(secret: string, crypto: SessionCrypto = webCrypto()): string {
  const secretBytes = decodeSecret(secret);
  if (secretBytes === null) throw new TypeError('not a CSRF secret');
  const mask = randomPool(crypto).take(SECRET_BYTES);
  const token = new Uint8Array(TOKEN_BYTES);
  token.set(mask, 0);
  for (let i = 0; i < SECRET_BYTES; i++) token[SECRET_BYTES + i] = mask[i]! ^ secretBytes[i]!;
  return base64urlEncode(token);
}

/**
 * Whether `token` is a masked token of `secret`. Anything but an 86-character canonical
 * base64url string is refused before any work; the unmasked value is compared in constant time.
 * Never throws, whatever the input.
 */
export function verifyCsrfToken(token: unknown, secret: string): boolean {
  if (typeof token !== 'string' || token.length !== TOKEN_LENGTH) return false;
  const secretBytes = decodeSecret(secret);
  const bytes = base64urlDecode(token);
  if (secretBytes === null || bytes === null) return false;
  const unmasked = new Uint8Array(SECRET_BYTES);
  for (let i = 0; i < SECRET_BYTES; i++) unmasked[i] = bytes[i]! ^ bytes[SECRET_BYTES + i]!;
  return timingSafeEqualBytes(unmasked, secretBytes);
}

/**
 * The token a request submits: the header `header` (lower-case name) when present and
 * non-empty, else the string at `field` of a parsed urlencoded or JSON body (a plain or
 * null-prototype object; an own data property only, so no getter or prototype is consulted).
 * `undefined` when neither holds a string. Never throws.
 */
export function readSubmittedToken(view: RequestView, header: string, field: string): string | undefined {
  const fromHeader = view.headers.get(header);
  if (fromHeader !== undefined && fromHeader !== '') return fromHeader;
  return readBodyField(view.body, field);
}

function readBodyField(body: unknown, field: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  try {
    const prototype: unknown = Object.getPrototypeOf(body);
    if (prototype !== Object.prototype && prototype !== null) return undefined;
    const value: unknown = Object.getOwnPropertyDescriptor(body, field)?.value;
    return typeof value === 'string' ? value : undefined;
  } catch {
    // A Proxy body whose traps throw: there is no token to read.
    return undefined;
  }
}
