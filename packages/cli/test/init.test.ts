import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { parsePolicy } from '@spartan-sessions/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lines, run, temporaryDirectory } from './support/run.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => {
  ({ dir, remove } = await temporaryDirectory());
});
afterEach(async () => {
  await remove();
});

const read = (name: string) => readFile(join(dir, name), 'utf8');
const secretIn = async (name = '.env') => parseEnv(await read(name)).SESSION_SECRET;

describe('init', () => {
  it("writes core's default policy and a fresh 256-bit secret into .env (0600), and says what next", async () => {
    const result = await run(['init'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(JSON.parse(await read('security.json'))).toEqual(JSON.parse(JSON.stringify(parsePolicy({}))));
    // The spec's §3 document, field for field.
    expect(JSON.parse(await read('security.json')).config.duration).toEqual({
      ttl: 43200,
      idle: 1800,
      renewal: 900,
      touchAfter: 60,
    });
    const secret = await secretIn();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret ?? '', 'base64url')).toHaveLength(32);
    expect((await stat(join(dir, '.env'))).mode & 0o777).toBe(0o600);
    expect(result.stdout).toContain('wrote security.json');
    expect(result.stdout).toContain('wrote .env  SESSION_SECRET: 256 bits from the CSPRNG, file mode 0600');
    expect(result.stdout).toContain('no .gitignore in .: keep .env out of version control');
    expect(result.stdout).toContain('spartan-sessions doctor security.json --dotenv .env');
    // The secret is in the file, not on the screen.
    expect(result.stdout).not.toContain(secret);
    expect(existsSync(join(dir, '.gitignore'))).toBe(false);
  });

  it('refuses to overwrite either file without --force, writing nothing (exit 1, one line)', async () => {
    await run(['init'], { cwd: dir });
    const policy = await read('security.json');
    const env = await read('.env');
    const again = await run(['init'], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(lines(again.stderr)).toEqual([
      'spartan-sessions init: security.json and SESSION_SECRET in .env already exist; nothing written (--force replaces them, and a new secret signs every user out)',
    ]);
    expect(await read('security.json')).toBe(policy);
    expect(await read('.env')).toBe(env);
  });

  it('refuses when only one of them exists, and leaves the other unwritten', async () => {
    await writeFile(join(dir, 'security.json'), '{"config":{"name":"mine"}}\n');
    const result = await run(['init'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('security.json already exists; nothing written');
    expect(existsSync(join(dir, '.env'))).toBe(false);
    expect(await read('security.json')).toBe('{"config":{"name":"mine"}}\n');
  });

  it('--force replaces both: a new secret, the other variables of .env kept, still 0600', async () => {
    await writeFile(
      join(dir, '.env'),
      'PORT=3000\nSESSION_SECRET=old-old-old-old-old-old-old-old-old\nexport DEBUG=app\n',
      {
        mode: 0o644,
      },
    );
    await writeFile(join(dir, 'security.json'), '{}\n');
    const result = await run(['init', '--force'], { cwd: dir });
    expect(result.code).toBe(0);
    const env = parseEnv(await read('.env'));
    expect(env.PORT).toBe('3000');
    expect(env.DEBUG).toBe('app');
    expect(env.SESSION_SECRET).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await read('.env')).match(/SESSION_SECRET=/g)).toHaveLength(1);
    expect((await stat(join(dir, '.env'))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await read('security.json'))).toEqual(JSON.parse(JSON.stringify(parsePolicy({}))));
    expect(result.stdout).toContain('(its other variables kept)');
  });

  it('adds SESSION_SECRET to an existing .env that has none, without --force', async () => {
    await writeFile(join(dir, '.env'), 'PORT=3000');
    const result = await run(['init'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(await read('.env')).toMatch(/^PORT=3000\nSESSION_SECRET=[A-Za-z0-9_-]{43}\n$/);
    expect((await stat(join(dir, '.env'))).mode & 0o777).toBe(0o600);
  });

  it('adds .env to an existing .gitignore once, and leaves one that already ignores it alone', async () => {
    await writeFile(join(dir, '.gitignore'), 'node_modules/\ndist');
    const first = await run(['init'], { cwd: dir });
    expect(first.stdout).toContain('added .env to .gitignore');
    expect(await read('.gitignore')).toBe('node_modules/\ndist\n.env\n');
    const second = await run(['init', '--force'], { cwd: dir });
    expect(second.stdout).toContain('.gitignore already ignores .env');
    expect(await read('.gitignore')).toBe('node_modules/\ndist\n.env\n');
  });

  it('--dir writes into another directory (made when missing), relative to where it runs', async () => {
    const result = await run(['init', '--dir', 'apps/web'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('wrote apps/web/security.json');
    expect(result.stdout).toContain('spartan-sessions doctor apps/web/security.json --dotenv apps/web/.env');
    expect(await secretIn('apps/web/.env')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(existsSync(join(dir, 'security.json'))).toBe(false);
  });

  it('every run makes a different secret', async () => {
    await run(['init'], { cwd: dir });
    const first = await secretIn();
    await run(['init', '--force'], { cwd: dir });
    expect(await secretIn()).not.toBe(first);
  });

  it('what init writes passes doctor without errors, the secret graded ok', async () => {
    await run(['init'], { cwd: dir });
    const result = await run(['doctor', '--json', '--dotenv', '.env'], { cwd: dir });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.summary.errors).toBe(0);
    expect(report.secret).toMatchObject({ source: 'environment', length: 43, previous: 0 });
    expect(report.findings).toContainEqual(expect.objectContaining({ check: 'secret.strength', severity: 'ok' }));
    expect(result.stdout).not.toContain((await secretIn()) ?? 'x');
  });
});
