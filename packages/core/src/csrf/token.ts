import type { SessionCrypto } from '../crypto/crypto.js';
import { webCrypto } from '../crypto/crypto.js';
import { base64urlEncode, timingSafeEqualBytes } from '../crypto/encoding.js';
import { randomPool } from '../crypto/random-pool.js';
import type { RequestView } from '../ports.js';
import { base64urlEncoder, decodeBase64urlInto } from './codec.js';

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

// Scratch buffers for the hot path (every form issues a token, every unsafe request verifies
// one): the functions below are synchronous and use them only between their first and last
// line, so one set per process suffices and no call allocates more than its result. They are
// not wiped: the secret they briefly hold stays in memory anyway, as a string in the session.
const secretBytes = new Uint8Array(SECRET_BYTES);
const tokenBytes = new Uint8Array(TOKEN_BYTES);
const unmaskedBytes = new Uint8Array(SECRET_BYTES);
const encodeToken = base64urlEncoder(TOKEN_BYTES);

/** The secret whose bytes `secretBytes` holds ('' when none, or partly overwritten). */
let decodedSecret = '';

/**
 * Decodes a canonical 43-character secret into `secretBytes`; `false` for anything else. A
 * request checks its secret (`isCsrfSecret`) and then masks or verifies with it: the second
 * call finds the bytes already there.
 */
function decodeSecret(secret: unknown): boolean {
  if (typeof secret !== 'string' || secret.length !== SECRET_LENGTH) return false;
  if (secret === decodedSecret) return true;
  decodedSecret = '';
  if (!decodeBase64urlInto(secret, secretBytes)) return false;
  decodedSecret = secret;
  return true;
}

/** Whether `value` is a well-formed CSRF secret (e.g. one read back from a session record). */
export function isCsrfSecret(value: unknown): value is string {
  return decodeSecret(value);
}

/**
 * A token for `secret`, masked with a fresh random pad: `base64url(mask ‖ (mask XOR secret))`.
 * Every call gives a different string for the same secret, so a compression side channel
 * (BREACH) on a response that also reflects attacker input cannot recover it byte by byte.
 * Throws a `TypeError` when `secret` is not a CSRF secret (a programming error).
 */
export function maskCsrfToken(secret: string, crypto: SessionCrypto = webCrypto()): string {
  // The mask first: drawing it may call the injected provider, before the scratch is in use.
  const mask = randomPool(crypto).take(SECRET_BYTES);
  if (!decodeSecret(secret)) throw new TypeError('not a CSRF secret');
  for (let i = 0; i < SECRET_BYTES; i++) {
    const pad = mask[i]!;
    tokenBytes[i] = pad;
    tokenBytes[SECRET_BYTES + i] = pad ^ secretBytes[i]!;
  }
  return encodeToken(tokenBytes);
}

/**
 * Whether `token` is a masked token of `secret`. Anything but an 86-character canonical
 * base64url string is refused before any comparison; the unmasked value is compared in
 * constant time. Never throws, whatever the input.
 */
export function verifyCsrfToken(token: unknown, secret: string): boolean {
  if (typeof token !== 'string' || token.length !== TOKEN_LENGTH) return false;
  if (!decodeBase64urlInto(token, tokenBytes) || !decodeSecret(secret)) return false;
  for (let i = 0; i < SECRET_BYTES; i++) unmaskedBytes[i] = tokenBytes[i]! ^ tokenBytes[SECRET_BYTES + i]!;
  return timingSafeEqualBytes(unmaskedBytes, secretBytes);
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

/**
 * Whether a parsed body is a plain record, so its own field can be read: a plain object, a
 * null-prototype object (Node's querystring), or an object whose prototype is an empty
 * null-prototype object (fast-querystring, behind @fastify/formbody). A class instance, an array
 * or anything with getters on its prototype is not a parsed form.
 */
function isPlainRecord(body: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(body);
  if (prototype === Object.prototype || prototype === null) return true;
  return (
    typeof prototype === 'object' &&
    Object.getPrototypeOf(prototype) === null &&
    Reflect.ownKeys(prototype).length === 0
  );
}

function readBodyField(body: unknown, field: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  try {
    if (!isPlainRecord(body)) return undefined;
    const value: unknown = Object.getOwnPropertyDescriptor(body, field)?.value;
    return typeof value === 'string' ? value : undefined;
  } catch {
    // A Proxy body whose traps throw: there is no token to read.
    return undefined;
  }
}
