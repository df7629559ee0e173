import { parsePolicy } from '@spartan-sessions/core';
import { describe, expect, it } from 'vitest';
import { duration } from './findings.js';
import { gradePolicy } from './policy-checks.js';

const grade = (document: unknown) => gradePolicy(parsePolicy(document));
const severityOf = (document: unknown, check: string) =>
  grade(document)
    .filter((item) => item.check === check)
    .map((item) => item.severity);

describe('gradePolicy', () => {
  it('the OWASP idle range edges: 2 min and 30 min are fine, outside them advice and a warning', () => {
    expect(severityOf({ config: { duration: { idle: 120 }, privileged: { idle: 120 } } }, 'timeout.idle')).toEqual([
      'ok',
    ]);
    expect(severityOf({ config: { duration: { idle: 1800 } } }, 'timeout.idle')).toEqual(['ok']);
    expect(severityOf({ config: { duration: { idle: 1801 } } }, 'timeout.idle')).toEqual(['warning']);
    expect(
      severityOf({ config: { duration: { idle: 60, touchAfter: 30 }, privileged: { idle: 60 } } }, 'timeout.idle'),
    ).toEqual(['info']);
  });

  it('the absolute timeout: 8 h is fine, more is a warning', () => {
    expect(severityOf({ config: { duration: { ttl: 28800 } } }, 'timeout.absolute')).toEqual(['ok']);
    expect(severityOf({ config: { duration: { ttl: 28801 } } }, 'timeout.absolute')).toEqual(['warning']);
  });

  it('renewal that never fires is a warning', () => {
    expect(severityOf({ config: { duration: { ttl: 3600, idle: 600, renewal: 3600 } } }, 'timeout.renewal')).toEqual([
      'warning',
    ]);
  });

  it('touchAfter is compared with the privileged idle limit when there are privileged areas', () => {
    const document = { config: { privileged: { paths: ['/admin'], idle: 60 }, duration: { touchAfter: 60 } } };
    expect(severityOf(document, 'timeout.touchAfter')).toEqual(['warning']);
    expect(severityOf({ config: { duration: { touchAfter: 60 } } }, 'timeout.touchAfter')).toEqual([]);
  });

  it('the prefix: __Host- ok, __Secure- (a path) info, none (a domain) warning', () => {
    expect(severityOf({}, 'cookie.prefix')).toEqual(['ok']);
    expect(severityOf({ config: { cookies: { prefix: 'secure' } } }, 'cookie.prefix')).toEqual(['info']);
    expect(severityOf({ config: { domain: 'example.com' } }, 'cookie.prefix')).toEqual(['warning']);
  });

  it('trusted origins: https ok, loopback http a warning, other http an error naming its index', () => {
    const findings = grade({
      config: { csrf: { trustedOrigins: ['https://a.example', 'http://127.0.0.1:8080', 'http://b.example'] } },
    }).filter((item) => item.check === 'csrf.trustedOrigins');
    expect(findings.map((item) => [item.severity, item.path])).toEqual([
      ['warning', 'config.csrf.trustedOrigins.1'],
      ['error', 'config.csrf.trustedOrigins.2'],
    ]);
  });

  it('transport.trustProxy is advice', () => {
    expect(severityOf({ config: { transport: { trustProxy: true } } }, 'transport.trustProxy')).toEqual(['info']);
  });
});

describe('duration', () => {
  it.each([
    [45, '45 s'],
    [90, '1.5 min'],
    [1800, '30 min'],
    [5400, '1.5 h'],
    [43200, '12 h'],
  ])('%i s is %s', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });
});
