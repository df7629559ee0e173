import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lines, run, temporaryDirectory } from './support/run.js';

const OLD = 'Pq4-vN8wYc1Rz6Tb0Lm3Xk9Jh2Gf5Ds7Ae_Ui8Oy1It';

describe('secret', () => {
  it('prints a new 256-bit secret (43 base64url characters), a different one every time', async () => {
    const first = await run(['secret']);
    const second = await run(['secret']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(Buffer.from(first.stdout.trim(), 'base64url')).toHaveLength(32);
    expect(second.stdout).not.toBe(first.stdout);
  });

  it('--previous: the two .env lines of a rotation on stdout, what they mean on stderr', async () => {
    const result = await run(['secret', '--previous'], { env: { SESSION_SECRET: OLD } });
    expect(result.code).toBe(0);
    const [current, previous] = lines(result.stdout);
    expect(current).toMatch(/^SESSION_SECRET=[A-Za-z0-9_-]{43}$/);
    expect(previous).toBe(`SESSION_SECRET_PREVIOUS=${OLD}`);
    expect(parseEnv(result.stdout)).toEqual({ SESSION_SECRET: current?.slice(15), SESSION_SECRET_PREVIOUS: OLD });
    expect(result.stderr).toContain('SESSION_SECRET signs from now on');
  });

  it('--previous drops older previous secrets, and says so', async () => {
    const result = await run(['secret', '--previous'], {
      env: { SESSION_SECRET: OLD, SESSION_SECRET_PREVIOUS: 'x'.repeat(32) },
    });
    expect(result.code).toBe(0);
    expect(parseEnv(result.stdout).SESSION_SECRET_PREVIOUS).toBe(OLD);
    expect(result.stderr).toContain('The 1 older secret(s) of SESSION_SECRET_PREVIOUS are left out');
  });

  it('--previous --dotenv reads the current secret from a file; a value with spaces is quoted back', async () => {
    const { dir, remove } = await temporaryDirectory();
    try {
      const spaced = 'a passphrase with spaces and # signs, 40+';
      await writeFile(join(dir, '.env'), `SESSION_SECRET='${spaced}'\n`);
      const result = await run(['secret', '--previous', '--dotenv', '.env'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(parseEnv(result.stdout).SESSION_SECRET_PREVIOUS).toBe(spaced);
    } finally {
      await remove();
    }
  });

  it('--previous without a current secret: sessions/missing-secret, one line, exit 1', async () => {
    const result = await run(['secret', '--previous']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual([
      'spartan-sessions secret: sessions/missing-secret: No secret: set SESSION_SECRET or SESSION_SECRET_FILE',
    ]);
  });

  it('--previous with a current secret under 32 characters: sessions/weak-secret, without the value', async () => {
    const result = await run(['secret', '--previous'], { env: { SESSION_SECRET: 'tiny-secret' } });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain('sessions/weak-secret');
    expect(result.stderr).not.toContain('tiny-secret');
  });
});
