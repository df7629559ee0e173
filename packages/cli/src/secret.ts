import { randomBytes } from 'node:crypto';

/** Bytes of a secret `createSecret` makes: 256 bits from the CSPRNG. */
export const SECRET_BYTES = 32;

/** A fresh secret: 256 bits from the CSPRNG, base64url (43 characters, no padding). */
export function createSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/**
 * A rough, conservative estimate of a secret's entropy in bits, for `doctor`. Not a proof of
 * strength, a way to catch the human-made secret that passes the 32-character rule:
 * - each character is worth at most log2 of the alphabet its character classes span
 *   (lower, upper, digits, other printable ASCII, anything else) and at most the Shannon entropy
 *   of the string's own character distribution (a secret of few distinct characters is weak
 *   however long);
 * - a character that continues a run of equal or consecutive code points (`aaaa`, `abcd`,
 *   `4321`) is worth 1 bit;
 * - a string that repeats a shorter unit (`secretsecretsecret…`) is worth its unit plus the
 *   bits to say how many times it repeats.
 * A 256-bit base64url secret from `createSecret` estimates at about 200 bits (the Shannon term
 * of 43 characters caps it below the true 256).
 */
export function estimateEntropyBits(secret: string): number {
  const chars = [...secret];
  if (chars.length === 0) return 0;
  const period = smallestPeriod(chars);
  const unit = chars.slice(0, period);
  const perCharacter = Math.min(Math.log2(alphabetSize(unit)), shannonBitsPerCharacter(unit));
  let bits = 0;
  for (let index = 0; index < unit.length; index++) {
    bits += continuesRun(unit, index) ? 1 : perCharacter;
  }
  if (period < chars.length) bits += Math.log2(chars.length / period);
  return Math.floor(bits);
}

function alphabetSize(chars: readonly string[]): number {
  let size = 0;
  if (chars.some((char) => /[a-z]/.test(char))) size += 26;
  if (chars.some((char) => /[A-Z]/.test(char))) size += 26;
  if (chars.some((char) => /[0-9]/.test(char))) size += 10;
  if (chars.some((char) => /[\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/.test(char))) size += 33;
  if (chars.some((char) => /[^\x20-\x7e]/.test(char))) size += 100;
  return Math.max(size, 1);
}

function shannonBitsPerCharacter(chars: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const char of chars) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / chars.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** True when `chars[index]` steps from its predecessor as that one stepped (by -1, 0 or +1). */
function continuesRun(chars: readonly string[], index: number): boolean {
  if (index < 2) return false;
  const step = codePoint(chars[index]) - codePoint(chars[index - 1]);
  const previousStep = codePoint(chars[index - 1]) - codePoint(chars[index - 2]);
  return step === previousStep && Math.abs(step) <= 1;
}

function codePoint(char: string | undefined): number {
  return char?.codePointAt(0) ?? 0;
}

/**
 * The length of the shortest unit the string repeats, the last repetition possibly cut short
 * (a prefix function, as in Knuth–Morris–Pratt); the whole length when nothing repeats.
 */
function smallestPeriod(chars: readonly string[]): number {
  const prefix = new Array<number>(chars.length).fill(0);
  for (let index = 1; index < chars.length; index++) {
    let matched = prefix[index - 1] ?? 0;
    while (matched > 0 && chars[index] !== chars[matched]) matched = prefix[matched - 1] ?? 0;
    if (chars[index] === chars[matched]) matched++;
    prefix[index] = matched;
  }
  const period = chars.length - (prefix[chars.length - 1] ?? 0);
  // A unit that fits at least twice (`secretsecretsec` repeats `secret`; `abcab` repeats nothing).
  return period * 2 <= chars.length ? period : chars.length;
}
