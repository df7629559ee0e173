import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSpartanError, parsePolicy } from '@spartan-sessions/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorFinding } from '../src/index.js';
import { run, temporaryDirectory } from './support/run.js';

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => {
  ({ dir, remove } = await temporaryDirectory());
});
afterAll(async () => {
  await remove();
});

/** Writes `document` as `name` in the test directory. */
async function policyFile(name: string, document: unknown): Promise<string> {
  await writeFile(join(dir, name), typeof document === 'string' ? document : JSON.stringify(document));
  return name;
}

async function doctorJson(args: string[], env: Record<string, string> = {}) {
  const result = await run(['doctor', ...args, '--json'], { cwd: dir, env });
  // Untyped on purpose: the tests check the JSON a CI job would read, field by field.
  return { ...result, report: JSON.parse(result.stdout) };
}

/** A policy inside every OWASP range doctor checks. */
const HARDENED = {
  config: {
    name: 'id',
    duration: { ttl: 28800, idle: 900, renewal: 600, touchAfter: 60 },
    privileged: { paths: ['/admin', '/account/security'], exclude: ['/admin/login'], idle: 300, reauthAfter: 600 },
    csrf: { trustedOrigins: ['https://app.example.com'] },
    users: { maxSessions: 5 },
  },
};
const STRONG_SECRET = 'q7ZC0e8Xv_3LkJ2mN-4pR9sT1uW6yA5bD8fG0hK3nP7';

describe('doctor on a good policy', () => {
  it('the defaults: valid, warnings only (12 h absolute timeout), exit 0, the JSON shape', async () => {
    const { code, report, stderr } = await doctorJson([await policyFile('defaults.json', {})]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(report).toMatchObject({
      policy: { path: 'defaults.json', valid: true },
      secret: { variable: 'SESSION_SECRET', source: null, length: null, estimatedBits: null, previous: 0 },
      summary: { errors: 0, warnings: 1 },
      exitCode: 0,
    });
    expect(report.policy).not.toHaveProperty('error');
    for (const item of report.findings) {
      expect(Object.keys(item).every((key) => ['check', 'severity', 'path', 'message', 'code'].includes(key))).toBe(
        true,
      );
      expect(['error', 'warning', 'info', 'ok']).toContain(item.severity);
      expect(typeof item.check).toBe('string');
      expect(typeof item.message).toBe('string');
    }
    expect(report.findings).toContainEqual({
      check: 'timeout.absolute',
      severity: 'warning',
      path: 'config.duration.ttl',
      message: 'absolute timeout 12 h is longer than the 4–8 h OWASP gives for a working day',
    });
    const checks = new Set(report.findings.map((item: { check: string }) => item.check));
    for (const check of [
      'policy.valid',
      'cookie.httpOnly',
      'cookie.secure',
      'cookie.sameSite',
      'cookie.prefix',
      'timeout.absolute',
      'timeout.idle',
      'timeout.renewal',
      'privileged.areas',
      'csrf.mode',
      'csrf.trustedOrigins',
      'secret.present',
    ]) {
      expect(checks).toContain(check);
    }
    const counted = report.summary.errors + report.summary.warnings + report.summary.info + report.summary.ok;
    expect(counted).toBe(report.findings.length);
  });

  it('a hardened policy with a strong secret and a previous one: nothing but ok (and no info)', async () => {
    const { code, report } = await doctorJson([await policyFile('hardened.json', HARDENED)], {
      SESSION_SECRET: STRONG_SECRET,
      SESSION_SECRET_PREVIOUS: 'Pq4-vN8wYc1Rz6Tb0Lm3Xk9Jh2Gf5Ds7Ae_Ui8Oy1It',
    });
    expect(code).toBe(0);
    expect(report.findings.filter((item: { severity: string }) => item.severity !== 'ok')).toEqual([]);
    expect(report.secret).toMatchObject({ source: 'environment', length: 43, previous: 1 });
    expect(report.secret.estimatedBits).toBeGreaterThanOrEqual(128);
  });

  it('the human report: one line per check, a verdict, exit 0', async () => {
    const result = await run(['doctor', await policyFile('human.json', {})], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^policy human\.json\n {2}ok {4}the policy is valid\n/);
    expect(result.stdout).toContain(
      '  warn  absolute timeout 12 h is longer than the 4–8 h OWASP gives for a working day  [config.duration.ttl]',
    );
    expect(result.stdout).toContain('\nsecret SESSION_SECRET\n');
    expect(result.stdout).toMatch(/\n0 error\(s\), 1 warning\(s\), \d+ note\(s\), \d+ passed: no errors\n$/);
  });

  it('reads security.json where it runs when no path is given', async () => {
    await policyFile('security.json', HARDENED);
    const { code, report } = await doctorJson([]);
    expect(code).toBe(0);
    expect(report.policy).toEqual({ path: 'security.json', valid: true });
  });
});

describe('doctor on a bad policy: exit 1', () => {
  it("an invalid document: core's sessions/invalid-policy, with the same issue paths as parsePolicy", async () => {
    const document = {
      config: {
        duration: { ttl: 'long', idle: -5 },
        cookies: { sameSite: 'sometimes' },
        csrf: { trustedOrigins: ['https://ok.example', 'example.com/path'] },
        surprise: true,
      },
    };
    const { code, report } = await doctorJson([await policyFile('invalid.json', document)]);
    expect(code).toBe(1);
    let expected: unknown;
    try {
      parsePolicy(document);
    } catch (error) {
      if (!isSpartanError(error)) throw error;
      expected = error.toJSON();
    }
    const { code: errorCode, message, details } = expected as { code: string; message: string; details: unknown };
    expect(report.policy).toEqual({ path: 'invalid.json', valid: false, error: { code: errorCode, message, details } });
    expect(errorCode).toBe('sessions/invalid-policy');
    const issuePaths = (details as { issues: Array<{ path: string }> }).issues.map((issue) => issue.path);
    expect(issuePaths).toEqual(
      expect.arrayContaining(['config.duration.ttl', 'config.duration.idle', 'config.cookies.sameSite', 'config']),
    );
    expect(
      report.findings
        .filter((item: { check: string }) => item.check === 'policy.valid')
        .map((item: { path: string }) => item.path),
    ).toEqual(issuePaths);
    expect(report.summary.errors).toBe(issuePaths.length);
    expect(report.exitCode).toBe(1);
  });

  it("a policy core's consistency rules refuse (idle over ttl, sameSite none without secure)", async () => {
    const document = { config: { duration: { ttl: 600, idle: 1200 }, cookies: { secure: false, sameSite: 'none' } } };
    const { code, report } = await doctorJson([await policyFile('inconsistent.json', document)]);
    expect(code).toBe(1);
    expect(report.policy.error.details.issues).toEqual(
      expect.arrayContaining([
        { path: 'config.duration.idle', message: 'idle must not exceed ttl' },
        { path: 'config.cookies.sameSite', message: 'sameSite "none" needs secure: true' },
      ]),
    );
  });

  it('a valid but insecure policy: HttpOnly off, Secure off, an http trusted origin, session management off', async () => {
    const document = {
      sessionPolicy: { enabled: false },
      config: {
        cookies: { httpOnly: false, secure: false, prefix: 'none' },
        csrf: { trustedOrigins: ['http://partner.example.com', 'http://localhost:5173', 'https://ok.example.com'] },
      },
    };
    const { code, report } = await doctorJson([await policyFile('insecure.json', document)]);
    expect(code).toBe(1);
    expect(report.policy.valid).toBe(true);
    const errors = report.findings.filter((item: { severity: string }) => item.severity === 'error');
    expect(errors.map((item: { check: string; path?: string }) => [item.check, item.path])).toEqual([
      ['session.enabled', 'sessionPolicy.enabled'],
      ['cookie.httpOnly', 'config.cookies.httpOnly'],
      ['cookie.secure', 'config.cookies.secure'],
      ['csrf.trustedOrigins', 'config.csrf.trustedOrigins.0'],
    ]);
    expect(errors[0].code).toBe('sessions/disabled-by-policy');
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        check: 'csrf.trustedOrigins',
        severity: 'warning',
        path: 'config.csrf.trustedOrigins.1',
      }),
    );
    expect(report.findings).toContainEqual(expect.objectContaining({ check: 'cookie.prefix', severity: 'warning' }));
  });

  it('timeouts outside the OWASP ranges are warnings (exit 0)', async () => {
    const document = {
      config: {
        duration: { ttl: 7 * 86400, idle: 4 * 3600, renewal: 0, touchAfter: 3 * 3600 },
        privileged: { paths: ['/admin'], idle: 1800, reauthAfter: 7200 },
        csrf: { mode: 'report' },
        cookies: { sameSite: 'none' },
        domain: 'example.com',
      },
    };
    const { code, report } = await doctorJson([await policyFile('lax.json', document)]);
    expect(code).toBe(0);
    const warned = report.findings
      .filter((item: { severity: string }) => item.severity === 'warning')
      .map((item: { check: string }) => item.check);
    expect(warned).toEqual([
      'cookie.sameSite',
      'cookie.prefix',
      'cookie.domain',
      'timeout.absolute',
      'timeout.idle',
      'timeout.renewal',
      'timeout.touchAfter',
      'privileged.idle',
      'privileged.reauthAfter',
      'csrf.mode',
    ]);
  });

  it('a missing file and a file that is not JSON: sessions/invalid-policy at (root), with the cause', async () => {
    const missing = await doctorJson(['nowhere.json']);
    expect(missing.code).toBe(1);
    expect(missing.report.policy.error.code).toBe('sessions/invalid-policy');
    expect(missing.report.policy.error.cause).toContain('ENOENT');
    expect(missing.report.findings[0]).toEqual({
      check: 'policy.valid',
      severity: 'error',
      path: '(root)',
      message: 'file cannot be read',
      code: 'sessions/invalid-policy',
    });
    const broken = await doctorJson([await policyFile('broken.json', '{"config": ')]);
    expect(broken.code).toBe(1);
    expect(broken.report.findings[0]).toMatchObject({ path: '(root)', message: 'not valid JSON' });
    const human = await run(['doctor', 'nowhere.json'], { cwd: dir });
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('error sessions/invalid-policy: core refuses this policy (ENOENT');
    expect(human.stdout).toMatch(/1 error\(s\), .*: fix the errors \(exit 1\)\n$/);
  });
});

describe('doctor and the secret (never printed)', () => {
  const secretFindings = (report: { findings: DoctorFinding[] }) =>
    report.findings.filter((item) => item.check.startsWith('secret.'));

  it.each([
    ['shorter than 32 characters', { SESSION_SECRET: 'short-secret' }, 'sessions/weak-secret', 'is shorter than 32'],
    ['32 characters of one letter', { SESSION_SECRET: 'a'.repeat(40) }, 'sessions/weak-secret', 'guessable'],
    ['a word repeated', { SESSION_SECRET: 'hunter2!'.repeat(5) }, 'sessions/weak-secret', 'guessable'],
    [
      'an alphabet run',
      { SESSION_SECRET: 'abcdefghijklmnopqrstuvwxyz0123456789' },
      'sessions/weak-secret',
      'guessable',
    ],
    [
      'a weak previous secret',
      { SESSION_SECRET: STRONG_SECRET, SESSION_SECRET_PREVIOUS: 'too-short' },
      'sessions/weak-secret',
      'SESSION_SECRET_PREVIOUS entry 1 is shorter',
    ],
  ])('%s: an error (exit 1) that names it without its value', async (_name, env, errorCode, message) => {
    const { code, report, stdout, stderr } = await doctorJson([await policyFile('s.json', {})], env);
    expect(code).toBe(1);
    expect(secretFindings(report)).toContainEqual(
      expect.objectContaining({ severity: 'error', code: errorCode, message: expect.stringContaining(message) }),
    );
    for (const value of Object.values(env)) {
      expect(stdout).not.toContain(value);
      expect(stderr).not.toContain(value);
    }
    const human = await run(['doctor', 's.json'], { cwd: dir, env });
    for (const value of Object.values(env)) expect(human.stdout).not.toContain(value);
  });

  it('a passphrase of 32+ characters: a warning (under 128 bits), exit 0', async () => {
    const env = { SESSION_SECRET: 'correct horse battery staple xyz' };
    const { code, report } = await doctorJson([await policyFile('s.json', {})], env);
    expect(code).toBe(0);
    expect(secretFindings(report)).toContainEqual(
      expect.objectContaining({ check: 'secret.strength', severity: 'warning' }),
    );
  });

  it('SESSION_SECRET_FILE is read (fetchSecret), and reported as the source', async () => {
    await writeFile(join(dir, 'secret.txt'), `${STRONG_SECRET}\n`);
    const { code, report, stdout } = await doctorJson([await policyFile('s.json', {})], {
      SESSION_SECRET_FILE: join(dir, 'secret.txt'),
    });
    expect(code).toBe(0);
    expect(report.secret).toMatchObject({ source: 'file', length: 43 });
    expect(secretFindings(report)[0]?.message).toMatch(/^SESSION_SECRET \(from SESSION_SECRET_FILE\): 43 characters/);
    expect(stdout).not.toContain(STRONG_SECRET);
  });

  it('an unreadable SESSION_SECRET_FILE: sessions/missing-secret', async () => {
    const { code, report } = await doctorJson([await policyFile('s.json', {})], {
      SESSION_SECRET_FILE: join(dir, 'no-such-secret'),
    });
    expect(code).toBe(1);
    expect(secretFindings(report)).toContainEqual(
      expect.objectContaining({ severity: 'error', code: 'sessions/missing-secret' }),
    );
  });

  it('SESSION_SECRET_PREVIOUS: info when absent, ok when set, a warning when it repeats the current one', async () => {
    const policy = await policyFile('s.json', {});
    const none = await doctorJson([policy], { SESSION_SECRET: STRONG_SECRET });
    expect(secretFindings(none.report)).toContainEqual(
      expect.objectContaining({ check: 'secret.previous', severity: 'info' }),
    );
    const same = await doctorJson([policy], { SESSION_SECRET: STRONG_SECRET, SESSION_SECRET_PREVIOUS: STRONG_SECRET });
    expect(same.code).toBe(0);
    expect(secretFindings(same.report)).toContainEqual(
      expect.objectContaining({ check: 'secret.previous', severity: 'warning' }),
    );
  });

  it('--dotenv reads the secret from a .env file, over the environment', async () => {
    await writeFile(join(dir, 'app.env'), `SESSION_SECRET="${STRONG_SECRET}"\n`);
    const { code, report } = await doctorJson([await policyFile('s.json', {}), '--dotenv', 'app.env'], {
      SESSION_SECRET: 'short',
    });
    expect(code).toBe(0);
    expect(report.secret).toMatchObject({ source: 'environment', length: 43 });
  });
});
