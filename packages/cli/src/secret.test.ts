import { describe, expect, it } from 'vitest';
import { createSecret, estimateEntropyBits } from './secret.js';

describe('estimateEntropyBits', () => {
  it('grades what createSecret makes well above 128 bits', () => {
    for (let i = 0; i < 50; i++) expect(estimateEntropyBits(createSecret())).toBeGreaterThanOrEqual(150);
  });

  it.each([
    ['', 1],
    ['a'.repeat(64), 30],
    ['secret'.repeat(8), 30],
    ['secretsecretsecretsecretsecretsec', 30],
    ['abcdefghijklmnopqrstuvwxyz012345', 64],
    ['zyxwvutsrqponmlkjihgfedcba987654', 64],
  ])('%j is worth little (< %i bits)', (secret, under) => {
    expect(estimateEntropyBits(secret)).toBeLessThan(under);
  });

  it('never more than log2 of the alphabet per character: 64 hex digits stay under 256 bits', () => {
    const hex = 'f3a1c09b7e2d54a8b6c0d9e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5';
    expect(estimateEntropyBits(hex)).toBeLessThanOrEqual(64 * Math.log2(36));
    expect(estimateEntropyBits(hex)).toBeGreaterThan(128);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(estimateEntropyBits('🔑'.repeat(40))).toBeLessThan(10);
  });
});
