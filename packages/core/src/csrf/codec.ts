// Fixed-size base64url (RFC 4648 §5, no padding) for CSRF secrets and tokens, on the hot path of
// every form: decoding writes into a buffer the caller owns, encoding goes through one reusable
// array of character codes, so neither allocates more than the resulting string. Pure JS (no
// Buffer): core's main entry runs on WebCrypto alone.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const CHARACTER_CODES = Uint8Array.from(ALPHABET, (character) => character.charCodeAt(0));
/** The 6-bit value of each ASCII character; -1 outside the alphabet. */
const DIGITS = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGITS[ALPHABET.charCodeAt(i)] = i;

/** The value of `text[index]`, or -1 when it is not a base64url character. */
function digitAt(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? DIGITS[code]! : -1;
}

/**
 * Decodes the base64url `text` into `out`, which must hold exactly `⌊3·length/4⌋` bytes.
 * `false` for anything that is not canonical base64url: a character outside the alphabet, a
 * length of 1 mod 4, or non-zero trailing bits (two strings for one value); `out` is then
 * partly written. The loop has no early exit, so its time depends on the length alone.
 */
export function decodeBase64urlInto(text: string, out: Uint8Array): boolean {
  const rest = text.length % 4;
  const whole = text.length - rest;
  if (rest === 1 || out.length !== (whole / 4) * 3 + (rest === 0 ? 0 : rest - 1)) return false;
  // Any -1 digit makes `invalid` negative.
  let invalid = 0;
  let o = 0;
  for (let i = 0; i < whole; i += 4) {
    const a = digitAt(text, i);
    const b = digitAt(text, i + 1);
    const c = digitAt(text, i + 2);
    const d = digitAt(text, i + 3);
    invalid |= a | b | c | d;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    out[o++] = n >> 8;
    out[o++] = n;
  }
  if (rest === 2) {
    const a = digitAt(text, whole);
    const b = digitAt(text, whole + 1);
    // 12 bits for one byte: the last 4 must be zero.
    invalid |= a | b | -(b & 0x0f);
    out[o] = (a << 2) | (b >> 4);
  } else if (rest === 3) {
    const a = digitAt(text, whole);
    const b = digitAt(text, whole + 1);
    const c = digitAt(text, whole + 2);
    // 18 bits for two bytes: the last 2 must be zero.
    invalid |= a | b | c | -(c & 0x03);
    out[o++] = (a << 2) | (b >> 4);
    out[o] = (b << 4) | (c >> 2);
  }
  return invalid >= 0;
}

/**
 * An encoder for inputs of exactly `byteLength` bytes. It reuses one array of character codes
 * and builds the string with a single `String.fromCharCode` call, several times faster than
 * concatenating characters one by one.
 */
export function base64urlEncoder(byteLength: number): (bytes: Uint8Array) => string {
  const rest = byteLength % 3;
  const whole = byteLength - rest;
  // Array.from makes a packed array of small integers (`new Array(n)` would stay holey).
  const codes = Array.from({ length: Math.ceil((byteLength * 4) / 3) }, () => 0);
  return (bytes) => {
    if (bytes.length !== byteLength) throw new TypeError(`expected ${byteLength} bytes, got ${bytes.length}`);
    let o = 0;
    for (let i = 0; i < whole; i += 3) {
      const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
      codes[o++] = CHARACTER_CODES[n >> 18]!;
      codes[o++] = CHARACTER_CODES[(n >> 12) & 63]!;
      codes[o++] = CHARACTER_CODES[(n >> 6) & 63]!;
      codes[o++] = CHARACTER_CODES[n & 63]!;
    }
    if (rest === 1) {
      const n = bytes[whole]!;
      codes[o++] = CHARACTER_CODES[n >> 2]!;
      codes[o] = CHARACTER_CODES[(n & 0x03) << 4]!;
    } else if (rest === 2) {
      const n = (bytes[whole]! << 8) | bytes[whole + 1]!;
      codes[o++] = CHARACTER_CODES[n >> 10]!;
      codes[o++] = CHARACTER_CODES[(n >> 4) & 63]!;
      codes[o] = CHARACTER_CODES[(n & 0x0f) << 2]!;
    }
    return String.fromCharCode.apply(null, codes);
  };
}
