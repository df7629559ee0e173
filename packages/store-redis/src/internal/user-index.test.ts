import { describe, expect, it } from 'vitest';
import { parseUserIndexEntries, USER_INDEX_BUCKETS, userIndexBucket } from './user-index.js';

describe('the user index layout', () => {
  it('puts a user in a fixed bucket (part of the stored layout: these values must never change)', () => {
    expect(USER_INDEX_BUCKETS).toBe(256);
    expect(userIndexBucket('alice')).toBe(userIndexBucket('alice'));
    // FNV-1a 32 of the UTF-8 bytes (of 'a': 0xe40c292c), modulo 256.
    expect(['', 'a', 'alice', 'user-6957', 'ℬob {tagged}'].map(userIndexBucket)).toEqual([197, 44, 231, 144, 184]);
  });

  it('spreads users evenly over the buckets', () => {
    const counts = new Array<number>(USER_INDEX_BUCKETS).fill(0);
    for (let i = 0; i < 25_600; i++) counts[userIndexBucket(`user-${i}`)]! += 1;
    // 100 per bucket on average; a fair hash stays well within ±50%.
    expect(Math.min(...counts)).toBeGreaterThan(50);
    expect(Math.max(...counts)).toBeLessThan(150);
  });

  it('reads entries as the scripts write them: expiry and byte length in base 36, then the key', () => {
    expect(parseUserIndexEntries('')).toEqual([]);
    expect(parseUserIndexEntries('tpd9zb:m:q28i3MpKDYAtOAgQ6Ghi6A')).toEqual([
      { key: 'q28i3MpKDYAtOAgQ6Ghi6A', expiresAt: Number.parseInt('tpd9zb', 36) },
    ]);
    // Keys may hold the separator and multi-byte characters: the length is in bytes.
    expect(parseUserIndexEntries('1:3:a:b2:9:ключ-')).toEqual([
      { key: 'a:b', expiresAt: 1 },
      { key: 'ключ-', expiresAt: 2 },
    ]);
    for (const corrupt of ['x', '1:', '1:5:abc', 'Z:1:a', '1:-1:a', '1::a']) {
      expect(parseUserIndexEntries(corrupt), corrupt).toBeUndefined();
    }
  });
});
