import { describe, expect, it } from 'vitest';
import { isSpartanError, type SpartanError } from '../errors/errors.js';
import { SessionManager } from '../session/manager.js';
import { defaultPolicy, isParsedPolicy, parsePolicy } from './policy.js';

function issuesOf(input: unknown): Array<{ path: string; message: string }> {
  try {
    parsePolicy(input);
  } catch (error) {
    expect(isSpartanError(error, 'sessions/invalid-policy')).toBe(true);
    return (error as SpartanError).details.issues as Array<{ path: string; message: string }>;
  }
  throw new Error('expected parsePolicy to throw');
}

describe('parsePolicy', () => {
  it('fills every secure default of SPEC §3 from an empty document', () => {
    expect(parsePolicy({})).toEqual({
      sessionPolicy: { enabled: true },
      config: {
        name: 'spartan',
        path: '/',
        domain: null,
        cookies: { httpOnly: true, secure: true, sameSite: 'lax', prefix: 'auto' },
        duration: { ttl: 43200, idle: 1800, renewal: 900, touchAfter: 60 },
        privileged: { paths: [], exclude: [], idle: 300, reauthAfter: 600 },
        csrf: { trustedOrigins: [], header: 'x-csrf-token', field: '_csrf', mode: 'enforce' },
        logout: { clearSiteData: ['cache'] },
        users: { maxSessions: 0 },
        transport: { trustProxy: false, localhostIsSecure: true },
      },
    });
    expect(defaultPolicy()).toEqual(parsePolicy(undefined));
  });

  it('keeps given values and fills the rest of a partial section', () => {
    const policy = parsePolicy({ config: { duration: { ttl: 3600 }, privileged: { paths: ['/admin'] } } });
    expect(policy.config.duration).toEqual({ ttl: 3600, idle: 1800, renewal: 900, touchAfter: 60 });
    expect(policy.config.privileged.paths).toEqual(['/admin']);
  });

  it('returns a frozen policy so no request can change it', () => {
    const policy = parsePolicy({});
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.config.cookies)).toBe(true);
  });

  it('names every bad path in one invalid-policy error', () => {
    const issues = issuesOf({
      sessionPolicy: { enabled: 'yes' },
      config: { duration: { ttl: -1, idle: 'x' }, cookies: { sameSite: 'sometimes' }, unknownKey: 1 },
    });
    const paths = issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'sessionPolicy.enabled',
        'config.duration.ttl',
        'config.duration.idle',
        'config.cookies.sameSite',
      ]),
    );
    expect(issues.some((issue) => issue.path === 'config' && /unknownKey/.test(issue.message))).toBe(true);
  });

  it('puts the bad paths in the error message too', () => {
    expect(() => parsePolicy({ config: { name: 'has space' } })).toThrow(/config\.name/);
  });

  it('refuses a cookie path or domain a browser would split or misread', () => {
    for (const [path, domain] of [
      ['/a b', null],
      ['/a,b', null],
      ['app', null],
      ['/', 'a b,c'],
      ['/', 'example.com:443'],
      ['/', ''],
    ] as const) {
      const paths = issuesOf({ config: { path, domain } }).map((issue) => issue.path);
      expect(paths).toEqual([domain === null ? 'config.path' : 'config.domain']);
    }
    expect(parsePolicy({ config: { path: '/app', domain: '.example.com' } }).config.domain).toBe('.example.com');
  });

  it('refuses a cookie name that carries a prefix itself', () => {
    expect(issuesOf({ config: { name: '__Host-x' } }).map((i) => i.path)).toContain('config.name');
  });

  it('refuses prefix "host" with a domain, a non-root path or secure: false', () => {
    const paths = issuesOf({
      config: { domain: 'example.com', path: '/app', cookies: { prefix: 'host', secure: false } },
    }).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['config.domain', 'config.path', 'config.cookies.secure']));
  });

  it('refuses prefix "secure" without secure: true', () => {
    expect(issuesOf({ config: { cookies: { prefix: 'secure', secure: false } } }).map((i) => i.path)).toContain(
      'config.cookies.secure',
    );
  });

  it('refuses SameSite=None without Secure', () => {
    expect(issuesOf({ config: { cookies: { sameSite: 'none', secure: false } } }).map((i) => i.path)).toContain(
      'config.cookies.sameSite',
    );
  });

  it('refuses an idle limit longer than the absolute ttl, and a privileged idle longer than idle', () => {
    const paths = issuesOf({ config: { duration: { ttl: 100, idle: 200 }, privileged: { idle: 500 } } }).map(
      (i) => i.path,
    );
    expect(paths).toEqual(expect.arrayContaining(['config.duration.idle', 'config.privileged.idle']));
  });

  it('accepts only exact scheme://host[:port] trusted origins', () => {
    expect(
      parsePolicy({ config: { csrf: { trustedOrigins: ['https://a.example:8443'] } } }).config.csrf.trustedOrigins,
    ).toEqual(['https://a.example:8443']);
    for (const bad of ['https://a.example/', 'https://user@a.example', 'a.example', 'null', 'ftp://a.example']) {
      expect(issuesOf({ config: { csrf: { trustedOrigins: [bad] } } })[0]!.path).toBe('config.csrf.trustedOrigins.0');
    }
  });

  it('lower-cases the CSRF header name', () => {
    expect(parsePolicy({ config: { csrf: { header: 'X-XSRF-Token' } } }).config.csrf.header).toBe('x-xsrf-token');
  });

  it('requires privileged paths to start with a slash', () => {
    expect(issuesOf({ config: { privileged: { paths: ['admin'] } } })[0]!.path).toBe('config.privileged.paths.0');
  });

  it('reports a non-object document at the root', () => {
    expect(issuesOf('nope')[0]!.path).toBe('(root)');
  });
});

describe('parsed policies', () => {
  it('a policy parsePolicy returned is taken as it is; a frozen look-alike is validated like any input', () => {
    const parsed = parsePolicy({ config: { name: 'app' } });
    expect(parsePolicy(parsed)).toBe(parsed);
    expect(isParsedPolicy(parsed)).toBe(true);
    const lookAlike = Object.freeze({
      sessionPolicy: Object.freeze({ enabled: true }),
      config: Object.freeze({ ...parsed.config, cookies: Object.freeze({ ...parsed.config.cookies, secure: 'no' }) }),
    });
    expect(isParsedPolicy(lookAlike)).toBe(false);
    expect(() => parsePolicy(lookAlike)).toThrowError(expect.objectContaining({ code: 'sessions/invalid-policy' }));
    expect(() => new SessionManager({ policy: lookAlike, secrets: 'x'.repeat(32) })).toThrowError(
      expect.objectContaining({ code: 'sessions/invalid-policy' }),
    );
  });
});
