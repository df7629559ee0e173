import { describe, expect, it } from 'vitest';
import { CAS_SCRIPT, casNumbers } from '../src/internal/scripts.js';
import { useSharedRedis } from './support/fixtures.js';

// The compare-and-set script's packed numbers (ARGV[1]), run as it is on the shared Redis.
const redis = useSharedRedis();

const cas = (key: string, numbers: string, body: string, userId = '') =>
  redis.client.eval(CAS_SCRIPT, 1, `${redis.prefix}${key}`, numbers, body, userId);

describe('CAS_SCRIPT numbers', () => {
  it('packs version, expected version (empty for none), expiry, needed and indexed seconds', () => {
    expect(casNumbers(3, 2, 1_796_561_528_123, 1_796_562, 0)).toBe('3,2,1796561528123,1796562,0');
    expect(casNumbers(1, null, 1_796_561_528_123, 1_796_562, 1_796_600)).toBe('1,,1796561528123,1796562,1796600');
  });

  it('creates only where nothing is, then writes only at the expected version', async () => {
    const expiresAt = Date.now() + 60_000;
    const body = '"u",1,0,0,0,{}]';
    expect(await cas('k', casNumbers(1, null, expiresAt, 0, 0), body)).toBe(1);
    expect(await redis.client.get(`${redis.prefix}k`)).toBe(`[1,0,${body}`);
    // A create of a key that holds anything fails.
    expect(await cas('k', casNumbers(1, null, expiresAt, 0, 0), body)).toBe(0);
    // A stale expected version fails; the current one writes.
    expect(await cas('k', casNumbers(3, 2, expiresAt, 0, 0), body)).toBe(0);
    expect(await cas('k', casNumbers(2, 1, expiresAt, 0, 0), body)).toBe(1);
    expect(await redis.client.get(`${redis.prefix}k`)).toBe(`[2,0,${body}`);
    const ttl = await redis.client.pttl(`${redis.prefix}k`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('refuses malformed numbers with an error and writes nothing', async () => {
    for (const numbers of ['', '1,,2,3', '1,x,2,3,4', '1,,2,3,4,5', '-1,,2,3,4', '1,,2.5,3,4']) {
      await expect(cas('bad', numbers, '{}]')).rejects.toThrow(/malformed compare-and-set numbers/);
    }
    expect(await redis.client.exists(`${redis.prefix}bad`)).toBe(0);
  });
});
