import { beforeEach, describe, expect, it, vi } from 'vitest';

// Replace the comparison helper by a spy that still compares, to see that verification goes
// through it (a `===` on strings or bytes would leak where they first differ).
vi.mock('../crypto/encoding.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../crypto/encoding.js')>();
  return { ...actual, timingSafeEqualBytes: vi.fn(actual.timingSafeEqualBytes) };
});

const { timingSafeEqualBytes } = await import('../crypto/encoding.js');
const { createCsrfSecret, maskCsrfToken, verifyCsrfToken } = await import('./token.js');

describe('constant-time comparison', () => {
  beforeEach(() => {
    vi.mocked(timingSafeEqualBytes).mockClear();
  });

  it('verification compares the unmasked token with the secret through timingSafeEqualBytes', () => {
    const secret = createCsrfSecret();
    expect(verifyCsrfToken(maskCsrfToken(secret), secret)).toBe(true);
    expect(verifyCsrfToken(maskCsrfToken(createCsrfSecret()), secret)).toBe(false);
    expect(timingSafeEqualBytes).toHaveBeenCalledTimes(2);
    const [unmasked, expected] = vi.mocked(timingSafeEqualBytes).mock.calls[0]!;
    expect(unmasked).toHaveLength(32);
    expect(expected).toHaveLength(32);
  });
});
