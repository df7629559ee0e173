// Each test runs its own subprocess and shares nothing: they run a few at a time.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lines, run } from './support/run.js';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;
const ESC = '\u001b[';

describe.concurrent('--help on every command', () => {
  it.each([
    [[], 'spartan-sessions [options] [command]'],
    [['init'], 'spartan-sessions init [options]'],
    [['doctor'], 'spartan-sessions doctor [options] [path]'],
    [['secret'], 'spartan-sessions secret [options]'],
    [['sessions'], 'spartan-sessions sessions [options] [command]'],
    [['sessions', 'list'], 'spartan-sessions sessions list [options]'],
    [['sessions', 'revoke'], 'spartan-sessions sessions revoke [options]'],
  ])('%j --help prints its usage on stdout and exits 0', async (command, usage) => {
    const result = await run([...command, '--help']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Usage: ${usage}`);
  });

  it('`help doctor` is `doctor --help`', async () => {
    const help = await run(['help', 'doctor']);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe((await run(['doctor', '--help'])).stdout);
  });

  it('documents the exit codes, the revoked events and the stores', async () => {
    expect((await run(['--help'])).stdout).toContain('2 bad command line');
    const revoke = (await run(['sessions', 'revoke', '--help'])).stdout;
    expect(revoke).toContain('"type":"revoked"');
    expect(revoke).toMatch(/--mongo <url>\s+MongoDB \(mongodb:\/\/ or mongodb\+srv:\/\//);
    expect(revoke).toMatch(/--collection <name>\s+with --mongo/);
  });

  it('--version prints the package version', async () => {
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('no command: the help on stderr, exit 2', async () => {
    for (const command of [[], ['sessions']]) {
      const result = await run(command);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('Usage: spartan-sessions');
    }
  });
});

describe.concurrent('a bad command line is one line with a spec code, exit 2', () => {
  it.each([
    [
      ['doctor', '--frobnicate'],
      "spartan-sessions doctor: sessions/option-type-incorrect: unknown option '--frobnicate'",
    ],
    [
      ['init', '--forc'],
      "spartan-sessions init: sessions/option-type-incorrect: unknown option '--forc' (Did you mean --force?)",
    ],
    [['secret', '-x'], "spartan-sessions secret: sessions/option-type-incorrect: unknown option '-x'"],
    [
      ['sessions', 'list', '--user', 'u', '--all'],
      "spartan-sessions sessions list: sessions/option-type-incorrect: unknown option '--all'",
    ],
    [['frobnicate'], "spartan-sessions: sessions/option-type-incorrect: unknown command 'frobnicate'"],
    [['doctor', 'a.json', 'b.json'], 'spartan-sessions doctor: sessions/option-type-incorrect: too many arguments'],
    [['sessions', 'list', '--redis', 'redis://127.0.0.1:1'], '--user <id> is required'],
    [['sessions', 'list', '--usr', 'u'], "unknown option '--usr' (Did you mean --user?)"],
    [['sessions', 'list', '--user'], "option '-u, --user <id>' argument missing"],
    [['sessions', 'list', '--user', 'u', '--timeout', 'soon'], "option '--timeout <ms>' argument 'soon' is invalid"],
    [['sessions', 'list', '--user', 'u', '--timeout', '0'], "option '--timeout <ms>' argument '0' is invalid"],
    [['sessions', 'list', '--user', ''], '--user: a user id is a non-empty string'],
    [
      ['sessions', 'list', '--user', 'u', '--redis', 'http://127.0.0.1:6379'],
      '--redis: expected a redis:// or rediss:// URL',
    ],
    [['sessions', 'list', '--user', 'u', '--redis', 'not a url'], '--redis: not a URL'],
    [
      ['sessions', 'list', '--user', 'u', '--cluster', '127.0.0.1:99999'],
      '--cluster: "127.0.0.1:99999" is not host:port',
    ],
    [
      ['sessions', 'list', '--user', 'u', '--redis', 'redis://a', '--cluster', 'b:1'],
      "option '--cluster <seeds>' cannot be used with option '--redis <url>'",
    ],
    [['sessions', 'list', '--user', 'u'], 'name the store: --redis URL or --cluster SEEDS (or set REDIS_URL)'],
    [
      ['sessions', 'revoke', '--user', 'u', '--all', '--except', 'abcdef'],
      "option '--except <keyhash>' cannot be used with option '--all'",
    ],
    [
      ['sessions', 'revoke', '--user', 'u', '--except', 'a.b', '--redis', 'redis://127.0.0.1:1'],
      '--except: a key hash is 4 to 22 base64url characters',
    ],
    [
      ['sessions', 'revoke', '--user', 'u', '--reason', '', '--redis', 'redis://127.0.0.1:1'],
      '--reason: 1 to 64 printable ASCII characters',
    ],
    [['doctor', '--dotenv', 'no-such.env'], '--dotenv: cannot read no-such.env'],
  ])('%j', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^spartan-sessions[a-z ]*: sessions\/option-type-incorrect: /);
    expect(result.stderr).toContain(message);
  });

  it.each([
    ['mongodb://127.0.0.1:27017', '--mongo: name the database in the URL'],
    ['redis://127.0.0.1:6379/app', '--mongo: expected a mongodb:// or mongodb+srv:// URL'],
    ['not a url', '--mongo: not a URL'],
  ])('--mongo %j: one usage line, exit 2', async (url, message) => {
    for (const command of ['list', 'revoke']) {
      const result = await run(['sessions', command, '--user', 'u', '--mongo', url]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(lines(result.stderr)).toHaveLength(1);
      expect(
        result.stderr.startsWith(`spartan-sessions sessions ${command}: sessions/option-type-incorrect: ${message}`),
      ).toBe(true);
    }
  });

  it('--mongo with --redis: commander refuses the pair', async () => {
    const result = await run(['sessions', 'list', '--user', 'u', '--mongo', 'mongodb://h/app', '--redis', 'redis://h']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("option '--mongo <url>' cannot be used with option '--redis <url>'");
  });
});

describe('colour', () => {
  it('none when stdout is not a terminal', async () => {
    const result = await run(['doctor', 'missing.json']);
    expect(result.stdout).toContain('error');
    expect(result.stdout).not.toContain(ESC);
  });

  it('FORCE_COLOR turns it on off a terminal, NO_COLOR wins over it', async () => {
    expect((await run(['doctor', 'missing.json'], { env: { FORCE_COLOR: '1' } })).stdout).toContain(`${ESC}31merror`);
    const both = await run(['doctor', 'missing.json'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(both.stdout).not.toContain(ESC);
  });
});
