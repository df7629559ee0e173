import { describe, expect, it } from 'vitest';
import { isSpartanError } from '../errors/errors.js';
import { parsePolicy } from '../policy/policy.js';
import { checkRequestOrigin, createOriginCheck, normalizeOrigin, type OriginPolicy } from './origin.js';
import { fakeView } from './testing/fakes.js';

const OWN = 'https://app.example';
const TRUSTED = 'https://partner.example';

function policy(overrides: { trustedOrigins?: string[]; trustProxy?: boolean } = {}): OriginPolicy {
  return parsePolicy({
    config: {
      csrf: { trustedOrigins: overrides.trustedOrigins ?? [TRUSTED] },
      transport: { trustProxy: overrides.trustProxy ?? false },
    },
  }).config;
}

/** An https POST to app.example carrying `headers`. */
function check(headers: Record<string, string>, options: { encrypted?: boolean; policy?: OriginPolicy } = {}) {
  return checkRequestOrigin(
    fakeView({ headers: { host: 'app.example', ...headers }, encrypted: options.encrypted ?? true }),
    options.policy ?? policy(),
  );
}

describe('normalizeOrigin', () => {
  it.each([
    ['https://a.example', 'https://a.example'],
    ['HTTPS://A.Example', 'https://a.example'],
    ['https://a.example:443', 'https://a.example'],
    ['http://a.example:80', 'http://a.example'],
    ['http://a.example:443', 'http://a.example:443'],
    ['https://a.example:80', 'https://a.example:80'],
    ['https://a.example:08443', 'https://a.example:8443'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
    ['https://my_host.example', 'https://my_host.example'],
    ['chrome-extension://abcdef', 'chrome-extension://abcdef'],
  ])('normalizes %s to %s', (input, expected) => {
    expect(normalizeOrigin(input)).toBe(expected);
  });

  it.each([
    'null',
    '',
    'https://a.example/',
    'https://a.example/path',
    'https://user@a.example',
    'https://user:pass@a.example',
    'https://a.example:',
    'https://a.example:65536',
    'https://a.example?x',
    'https://a.example#x',
    ' https://a.example',
    'https://a.example, https://b.example',
    'https://%61.example',
    'https://a.example\\@b.example',
    '//a.example',
    'a.example',
  ])('refuses %j, which is not a plain scheme://host[:port]', (input) => {
    expect(normalizeOrigin(input)).toBeNull();
  });
});

describe('origin check with Sec-Fetch-Site', () => {
  it.each(['same-origin', 'none', 'Same-Origin'])('Sec-Fetch-Site %s passes', (site) => {
    expect(check({ 'sec-fetch-site': site, origin: 'https://evil.example' })).toEqual({ ok: true });
  });

  it('Sec-Fetch-Site same-site fails without a trusted Origin', () => {
    expect(check({ 'sec-fetch-site': 'same-site', origin: 'https://sub.app.example' })).toEqual({
      ok: false,
      reason: 'sec-fetch-site-same-site',
    });
  });

  it('Sec-Fetch-Site cross-site fails without a trusted Origin', () => {
    expect(check({ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).toEqual({
      ok: false,
      reason: 'sec-fetch-site-cross-site',
    });
  });

  it('Sec-Fetch-Site cross-site fails when the Origin is absent', () => {
    expect(check({ 'sec-fetch-site': 'cross-site' })).toMatchObject({ ok: false });
  });

  it.each(['same-site', 'cross-site'])('Sec-Fetch-Site %s passes when the Origin is trusted', (site) => {
    expect(check({ 'sec-fetch-site': site, origin: TRUSTED })).toEqual({ ok: true });
    expect(check({ 'sec-fetch-site': site, origin: 'HTTPS://PARTNER.example:443' })).toEqual({ ok: true });
  });

  it('a trusted Origin must match exactly: another port of the trusted host fails', () => {
    expect(check({ 'sec-fetch-site': 'cross-site', origin: 'https://partner.example:8443' })).toMatchObject({
      ok: false,
    });
  });

  it('Sec-Fetch-Site wins over an Origin equal to the request origin', () => {
    expect(check({ 'sec-fetch-site': 'cross-site', origin: OWN })).toMatchObject({ ok: false });
  });

  it('an unknown Sec-Fetch-Site value fails closed unless the Origin is trusted', () => {
    expect(check({ 'sec-fetch-site': 'same-planet', origin: OWN })).toEqual({
      ok: false,
      reason: 'sec-fetch-site-unknown',
    });
    expect(check({ 'sec-fetch-site': '', origin: OWN })).toMatchObject({ ok: false });
    expect(check({ 'sec-fetch-site': 'same-planet', origin: TRUSTED })).toEqual({ ok: true });
  });

  it('a malformed Origin next to Sec-Fetch-Site cross-site is not trusted', () => {
    expect(check({ 'sec-fetch-site': 'cross-site', origin: `${TRUSTED}/` })).toMatchObject({ ok: false });
    expect(
      check({ 'sec-fetch-site': 'cross-site', origin: 'null' }, { policy: policy({ trustedOrigins: [] }) }),
    ).toMatchObject({
      ok: false,
    });
  });
});

describe('origin check with Origin (no Sec-Fetch-Site)', () => {
  it('an Origin equal to the request origin passes', () => {
    expect(check({ origin: OWN })).toEqual({ ok: true });
  });

  it('the comparison ignores the case of scheme and host', () => {
    expect(check({ origin: 'HTTPS://APP.Example' })).toEqual({ ok: true });
  });

  it('an explicit default port equals the origin without one, both ways', () => {
    expect(check({ origin: 'https://app.example:443' })).toEqual({ ok: true });
    expect(check({ host: 'app.example:443', origin: OWN })).toEqual({ ok: true });
    expect(
      checkRequestOrigin(fakeView({ headers: { host: 'app.example:80', origin: 'http://app.example' } }), policy()),
    ).toEqual({
      ok: true,
    });
  });

  it('a non-default port is part of the origin', () => {
    expect(check({ host: 'app.example:8443', origin: 'https://app.example:8443' })).toEqual({ ok: true });
    expect(check({ host: 'app.example:8443', origin: OWN })).toMatchObject({ ok: false, reason: 'origin-mismatch' });
  });

  it('an Origin from another host fails', () => {
    expect(check({ origin: 'https://evil.example' })).toEqual({ ok: false, reason: 'origin-mismatch' });
  });

  it('an Origin with the other scheme fails (http page posting to the https site)', () => {
    expect(check({ origin: 'http://app.example' })).toEqual({ ok: false, reason: 'origin-mismatch' });
  });

  it('a trusted Origin passes', () => {
    expect(check({ origin: TRUSTED })).toEqual({ ok: true });
  });

  it.each([
    ['null (opaque origin: sandboxed frame, data: URL)', 'null'],
    ['with a path', `${OWN}/`],
    ['with a longer path', `${OWN}/form`],
    ['with userinfo', 'https://user@app.example'],
    ['garbage', '%%%'],
    ['empty', ''],
  ])('an Origin that is %s fails as malformed', (_label, origin) => {
    expect(check({ origin })).toEqual({ ok: false, reason: 'origin-malformed' });
  });

  it('an Origin wins over a matching Referer', () => {
    expect(check({ origin: 'https://evil.example', referer: `${OWN}/form` })).toMatchObject({ ok: false });
  });

  it('without a Host header only trusted origins pass', () => {
    const view = (origin: string) => fakeView({ headers: { origin }, encrypted: true });
    expect(checkRequestOrigin(view(OWN), policy())).toEqual({ ok: false, reason: 'origin-mismatch' });
    expect(checkRequestOrigin(view(TRUSTED), policy())).toEqual({ ok: true });
  });

  it('a garbage Host header matches nothing but trusted origins', () => {
    expect(check({ host: 'app.example/evil', origin: 'https://app.example' })).toMatchObject({ ok: false });
  });
});

describe('origin check with Referer (no Sec-Fetch-Site, no Origin)', () => {
  it.each([`${OWN}/form?x=1#top`, `${OWN}`, `${OWN}?q`, `${OWN}#f`, 'https://APP.example:443/form'])(
    'a same-origin Referer %s passes',
    (referer) => {
      expect(check({ referer })).toEqual({ ok: true });
    },
  );

  it('a Referer from a trusted origin passes', () => {
    expect(check({ referer: `${TRUSTED}/page` })).toEqual({ ok: true });
  });

  it('a Referer from another origin fails', () => {
    expect(check({ referer: 'https://evil.example/app.example' })).toEqual({ ok: false, reason: 'referer-mismatch' });
  });

  it.each([
    'not a url',
    '/relative/path',
    'https://',
    '://app.example/',
    'https://user@app.example/form',
    'https://app.example\\@evil.example/',
    'https://app.example:99999/',
    '',
  ])('a Referer that cannot be parsed (%j) fails', (referer) => {
    expect(check({ referer })).toEqual({ ok: false, reason: 'referer-malformed' });
  });
});

describe('origin check without any browser header', () => {
  it('a request with none of Sec-Fetch-Site, Origin and Referer passes to the token check', () => {
    expect(check({})).toEqual({ ok: true });
    expect(checkRequestOrigin(fakeView(), policy())).toEqual({ ok: true });
  });
});

describe('origin check behind a proxy', () => {
  const behindProxy = (headers: Record<string, string>, trustProxy: boolean) =>
    checkRequestOrigin(
      fakeView({ headers: { host: 'app.example', 'x-forwarded-proto': 'https', ...headers }, encrypted: false }),
      policy({ trustProxy }),
    );

  it('with trustProxy, X-Forwarded-Proto https makes the request origin https', () => {
    expect(behindProxy({ origin: OWN }, true)).toEqual({ ok: true });
    expect(behindProxy({ origin: 'http://app.example' }, true)).toMatchObject({ ok: false });
  });

  it('without trustProxy, X-Forwarded-Proto is ignored and the socket scheme (http) counts', () => {
    expect(behindProxy({ origin: OWN }, false)).toEqual({ ok: false, reason: 'origin-mismatch' });
    expect(behindProxy({ origin: 'http://app.example' }, false)).toEqual({ ok: true });
  });

  it('with trustProxy, the first X-Forwarded-Proto hop decides', () => {
    expect(behindProxy({ 'x-forwarded-proto': 'http, https', origin: 'http://app.example' }, true)).toEqual({
      ok: true,
    });
  });
});

describe('origin check setup', () => {
  it('a trusted origin that is not exact is sessions/invalid-policy naming its path', () => {
    let error: unknown;
    try {
      createOriginCheck({
        csrf: { trustedOrigins: ['https://ok.example', 'https://bad.example/'] },
        transport: { trustProxy: false, localhostIsSecure: true },
      });
    } catch (caught) {
      error = caught;
    }
    expect(isSpartanError(error, 'sessions/invalid-policy')).toBe(true);
    expect((error as { details: unknown }).details).toEqual({
      issues: [{ path: 'config.csrf.trustedOrigins.1', message: 'must be an exact scheme://host[:port]' }],
    });
  });

  it('checkRequestOrigin builds the check once per policy object', () => {
    const trustedOrigins = [TRUSTED];
    const config: OriginPolicy = {
      csrf: { trustedOrigins },
      transport: { trustProxy: false, localhostIsSecure: true },
    };
    const view = fakeView({ headers: { host: 'app.example', origin: TRUSTED }, encrypted: true });
    expect(checkRequestOrigin(view, config)).toEqual({ ok: true });
    // Policies are frozen; a mutation of a hand-built one is not seen, proving the check was kept.
    trustedOrigins.pop();
    expect(checkRequestOrigin(view, config)).toEqual({ ok: true });
    expect(createOriginCheck(config)(view)).toMatchObject({ ok: false });
  });
});
