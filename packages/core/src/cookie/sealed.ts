import * as iron from 'iron-webcrypto';
import { createWebCrypto } from '../crypto/crypto.js';
import { base64urlDecode } from '../crypto/encoding.js';
import { type KeyPurpose, PurposeKeys } from '../crypto/keys.js';
import { SpartanError } from '../errors/errors.js';
import { jsonLossOf } from './json-loss.js';

/**
 * Sealed values: encrypted and authenticated with iron (AES-256-CBC + HMAC-SHA256) over
 * WebCrypto (`globalThis.crypto`), and bound to what they were sealed for:
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
 * password, without the envelope) reads as `null`. The sealed format is iron's `Fe26.2`, the
 * same under iron-webcrypto 1 and 2: values sealed by a release on 1.x open here.
 */
export interface Sealer {
  readonly purpose: SealPurpose;
  /**
   * Seals `value` for cookie `name` (the final, prefixed name); `ttlSeconds` bounds how long the
   * seal is accepted. The value must come back from JSON as it went in (`jsonLossOf`): a `Date`,
   * `Map`, class instance, `NaN`, `Infinity`, bigint, function, array hole or circular
   * reference is refused with `sessions/option-type-incorrect` (details `{ param: 'value',
   * reason: 'not-serializable' }`) rather than sealed as something else. A WebCrypto failure
   * rejects as it is.
   */
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
  /**
   * The WebCrypto that derives this purpose's keys from the secrets (`PurposeKeys`: one
   * HMAC-SHA256 per secret, on first use). It does not reach iron: iron-webcrypto 2 takes no
   * WebCrypto, so sealing and unsealing themselves (PBKDF2, AES-256-CBC, HMAC-SHA256) always run
   * on `globalThis.crypto`, as everything in core does by default.
   * @default globalThis.crypto
   */
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

/**
 * Whether the base64url parts of an iron seal (`Fe26.2*id*salt*iv*encrypted*expiry*salt*mac`:
 * the iv, the ciphertext and the MAC) are each the one spelling of their bytes. iron-webcrypto 2
 * decodes them before it checks the MAC, and a decoder ignores the unused low bits of a last
 * character (`…Q` and `…R` can decode alike), so without this a seal would have several
 * spellings that open to the same value. iron 1 compared the MAC as a string, and refused them.
 */
function canonicalParts(sealed: string): boolean {
  const parts = sealed.split('*');
  if (parts.length !== 8) return false;
  // `base64urlDecode` refuses exactly what is not canonical unpadded base64url.
  return [parts[3]!, parts[4]!, parts[7]!].every((part) => base64urlDecode(part) !== null);
}

/** The refusal of a value that JSON would not give back as it is (`loss`: what, never where or which value). */
function notSerializable(name: string, loss: string): SpartanError {
  return new SpartanError(
    'sessions/option-type-incorrect',
    `The sealed value of "${name}" would not come back from JSON as it is: it holds ${loss}. ` +
      'Seal plain objects, arrays, strings, finite numbers, booleans and null (a Date as its ISO string or time value)',
    { param: 'value', reason: 'not-serializable' },
  );
}

export function createSealer(options: SealerOptions): Sealer {
  const { secrets, purpose } = options;
  // Derived on first use (no WebCrypto work at setup), once per secret. iron itself runs on
  // `globalThis.crypto` (see `SealerOptions.webCrypto`).
  const keys = new PurposeKeys(secrets, purpose, createWebCrypto(options.webCrypto ?? globalThis.crypto));
  // Built once: iron reads its options without changing them, so sharing them is safe. An
  // unseal needs no ttl of its own (the expiry is inside the sealed string and covered by its
  // MAC). iron's default (lossless) encoder stays: `seal` has refused what it would refuse, so
  // it never throws its bare `Error` here, and it would catch a value our check let through.
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
      // Checked here, not left to iron: iron 2 refuses with a bare `Error` told apart only by
      // its message, and iron 1 sealed whatever `JSON.stringify` made of the value.
      const loss = jsonLossOf(value);
      if (loss !== null) throw notSerializable(name, loss);
      const envelope: Envelope = { p: purpose, n: name, d: value };
      return iron.seal(envelope, await keys.key(0), ironOptions(ttlSeconds));
    },
    async unseal(name, sealed) {
      if (typeof name !== 'string' || name.length === 0) return null;
      if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > MAX_SEALED_LENGTH) return null;
      if (!sealed.startsWith(`${iron.macPrefix}*`) || !canonicalParts(sealed)) return null;
      for (let i = 0; i < keys.count; i++) {
        let payload: unknown;
        try {
          payload = await iron.unseal(sealed, await keys.key(i), noTtl);
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
