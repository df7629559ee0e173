// Issue 12, item 5: a sealed value is bound to its purpose and its cookie name (SPEC §7). Each
// test replays an attack that worked when every sealed value shared one key and one format.
import { describe, expect, it } from 'vitest';
import { createCookieTools } from '../cookie/cookie-tools.js';
import { memoryJar, secureView } from '../cookie/test-helpers.js';
import { parsePolicy } from '../policy/policy.js';
import { createCsrfGuard } from './guard.js';
import { fakeRequest, manualClock } from './testing/fakes.js';
import { createCsrfSecret, maskCsrfToken } from './token.js';

const SECRET = 'purpose-binding-secret-that-is-long-enough-0001';
const CSRF_COOKIE = '__Host-spartan.csrf';

function setup() {
  const policy = parsePolicy();
  const clock = manualClock();
  return {
    clock,
    tools: createCookieTools({ policy, secrets: SECRET }),
    csrf: createCsrfGuard({ policy, secrets: SECRET, mode: 'double-submit', clock }),
  };
}

/** The value a browser sends back for a `Set-Cookie` line. */
function sentValue(header: string): string {
  return header.slice(header.indexOf('=') + 1, header.indexOf(';'));
}

describe('a cookieMaker-sealed value is never a CSRF cookie', () => {
  it('a value the app sealed under the CSRF cookie name, with a payload of the attacker, is cookie-invalid', async () => {
    const { tools, csrf, clock } = setup();
    const chosen = createCsrfSecret();
    const expiresAt = clock.now() + 3_600_000;
    // The app seals something the attacker chose (a preference, a form field) under a name the
    // attacker chose too; the payload mimics the CSRF cookie's, old and new format alike.
    for (const value of [
      { v: 1, s: chosen, e: expiresAt },
      { s: chosen, e: expiresAt },
      { p: 'csrf-cookie', n: CSRF_COOKIE, d: { s: chosen, e: expiresAt } },
    ]) {
      const made = await tools.make(secureView(), memoryJar(), {
        name: 'spartan.csrf',
        value,
        options: { sealed: true },
      });
      expect(made.name).toBe(CSRF_COOKIE);
      const forged = fakeRequest({
        cookies: { [CSRF_COOKIE]: made.value },
        headers: { 'x-csrf-token': maskCsrfToken(chosen) },
      });
      await expect(csrf.verify(forged)).rejects.toMatchObject({
        code: 'sessions/csrf-invalid',
        details: { reason: 'cookie-invalid' },
      });
    }
  });

  it('a CSRF cookie is not readable through cookieReader().sealed, under its own name or another', async () => {
    const { tools, csrf } = setup();
    const request = fakeRequest({ method: 'GET', encrypted: true });
    await csrf.issueToken(request);
    const value = request.jar.setValue(CSRF_COOKIE)!;
    expect(value).toMatch(/^Fe26\.2\*/);
    expect(await tools.reader(memoryJar(`${CSRF_COOKIE}=${value}`)).sealed('spartan.csrf')).toBeNull();
    expect(await tools.reader(memoryJar(`__Host-prefs=${value}`)).sealed('prefs')).toBeNull();
  });

  it('a CSRF cookie moved to the plain (http) CSRF cookie name is cookie-invalid', async () => {
    const policy = parsePolicy({ config: { cookies: { secure: false } } });
    const csrf = createCsrfGuard({ policy, secrets: SECRET, mode: 'double-submit' });
    const issued = fakeRequest({ method: 'GET', encrypted: true });
    const token = await csrf.issueToken(issued);
    const value = issued.jar.setValue(CSRF_COOKIE)!;
    // Over https the guard reads `__Host-spartan.csrf`; over http it reads `spartan.csrf`.
    await expect(
      csrf.verify(
        fakeRequest({ encrypted: true, cookies: { [CSRF_COOKIE]: value }, headers: { 'x-csrf-token': token } }),
      ),
    ).resolves.toBeUndefined();
    await expect(
      csrf.verify(fakeRequest({ cookies: { 'spartan.csrf': value }, headers: { 'x-csrf-token': token } })),
    ).rejects.toMatchObject({ details: { reason: 'cookie-invalid' } });
  });
});

describe('a cookieMaker-sealed value is bound to its cookie name', () => {
  it('a sealed prefs value copied into role reads as null', async () => {
    const { tools } = setup();
    const made = await tools.make(secureView(), memoryJar(), {
      name: 'prefs',
      value: 'admin',
      options: { sealed: true },
    });
    const reader = tools.reader(
      memoryJar(`__Host-prefs=${sentValue(made.header)}; __Host-role=${sentValue(made.header)}`),
    );
    expect(await reader.sealed('prefs')).toBe('admin');
    expect(await reader.sealed('role')).toBeNull();
  });
});
