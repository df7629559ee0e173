import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../policy/policy.js';
import { createCsrfGuard } from './guard.js';
import { FakeHolder, fakeRequest } from './testing/fakes.js';

const SECRET = 'prepare-test-secret-that-is-long-enough-000';
const COOKIE = '__Host-spartan.csrf';

function guard(mode: 'synchronizer' | 'double-submit') {
  return createCsrfGuard({ policy: parsePolicy({}), secrets: SECRET, mode });
}

function post(token: string, init: Parameters<typeof fakeRequest>[0] = {}) {
  return fakeRequest({ method: 'POST', headers: { 'x-csrf-token': token }, ...init });
}

describe('prepare(): synchronous tokens that keep sessions lazy', () => {
  it('synchronizer: prepare creates nothing; the first token() puts the secret in the session', async () => {
    const csrf = guard('synchronizer');
    const session = new FakeHolder();
    const issuer = await csrf.prepare(fakeRequest({ method: 'GET', session }));
    expect(session.writes).toBe(0);
    const first = issuer.token();
    const second = issuer.token();
    expect(session.writes).toBe(1);
    expect(first).not.toBe(second);
    await issuer.flush();
    await expect(csrf.verify(post(first, { session }))).resolves.toBeUndefined();
    await expect(csrf.verify(post(second, { session }))).resolves.toBeUndefined();
  });

  it('synchronizer: prepare without a session is the setup error', async () => {
    await expect(guard('synchronizer').prepare(fakeRequest({ method: 'GET' }))).rejects.toMatchObject({
      code: 'sessions/option-type-incorrect',
    });
  });

  it('double submit: no cookie unless a token was minted, and flush() writes it once', async () => {
    const csrf = guard('double-submit');
    const untouched = fakeRequest({ method: 'GET' });
    await (await csrf.prepare(untouched)).flush();
    expect(untouched.jar.set.size).toBe(0);

    const request = fakeRequest({ method: 'GET' });
    const issuer = await csrf.prepare(request);
    const token = issuer.token();
    expect(request.jar.set.size).toBe(0);
    await issuer.flush();
    await issuer.flush();
    expect(request.jar.set.size).toBe(1);
    const cookie = request.jar.setValue(COOKIE)!;
    await expect(csrf.verify(post(token, { cookies: { [COOKIE]: cookie } }))).resolves.toBeUndefined();
    await expect(csrf.verify(post(issuer.token(), { cookies: { [COOKIE]: cookie } }))).resolves.toBeUndefined();
  });

  it('double submit: an existing valid cookie is reused and nothing is written', async () => {
    const csrf = guard('double-submit');
    const first = fakeRequest({ method: 'GET' });
    await csrf.issueToken(first);
    const cookie = first.jar.setValue(COOKIE)!;
    const again = fakeRequest({ method: 'GET', cookies: { [COOKIE]: cookie } });
    const issuer = await csrf.prepare(again);
    const token = issuer.token();
    await issuer.flush();
    expect(again.jar.set.size).toBe(0);
    await expect(csrf.verify(post(token, { cookies: { [COOKIE]: cookie } }))).resolves.toBeUndefined();
  });

  it('double submit: two prepares of one response share one secret', async () => {
    const csrf = guard('double-submit');
    const request = fakeRequest({ method: 'GET' });
    const one = await csrf.prepare(request);
    const tokenOne = one.token();
    await one.flush();
    const two = await csrf.prepare(request);
    const tokenTwo = two.token();
    await two.flush();
    const cookie = request.jar.setValue(COOKIE)!;
    for (const token of [tokenOne, tokenTwo]) {
      await expect(csrf.verify(post(token, { cookies: { [COOKIE]: cookie } }))).resolves.toBeUndefined();
    }
  });

  it('double submit: a second prepare before the first flush reuses the minted secret', async () => {
    const csrf = guard('double-submit');
    const request = fakeRequest({ method: 'GET' });
    const one = await csrf.prepare(request);
    const two = await csrf.prepare(request);
    const tokenOne = one.token();
    const tokenTwo = two.token();
    await one.flush();
    await two.flush();
    const cookie = request.jar.setValue(COOKIE)!;
    for (const token of [tokenOne, tokenTwo]) {
      await expect(csrf.verify(post(token, { cookies: { [COOKIE]: cookie } }))).resolves.toBeUndefined();
    }
  });
});

describe('prepareNow() / verifyNow(): no promise unless a cookie must be unsealed', () => {
  it('synchronizer: both answer synchronously; a bad token throws synchronously', () => {
    const csrf = guard('synchronizer');
    const session = new FakeHolder();
    const issuer = csrf.prepareNow(fakeRequest({ method: 'GET', session }));
    expect(issuer).not.toBeInstanceOf(Promise);
    const token = (issuer as Awaited<typeof issuer>).token();
    expect((issuer as Awaited<typeof issuer>).flush()).toBeUndefined();
    expect(csrf.verifyNow(post(token, { session }))).toBeUndefined();
    expect(() => csrf.verifyNow(post(`${token.slice(0, -2)}AA`, { session }))).toThrowError(
      expect.objectContaining({ code: 'sessions/csrf-invalid' }),
    );
    expect(() => csrf.verifyNow(post(token))).toThrowError(
      expect.objectContaining({ code: 'sessions/option-type-incorrect' }),
    );
  });

  it('double submit: a cookie not seen before is unsealed asynchronously, then answered synchronously', async () => {
    const minting = guard('double-submit');
    const first = fakeRequest({ method: 'GET' });
    const token = await minting.issueToken(first);
    const cookie = first.jar.setValue(COOKIE)!;
    // Another process (or a restart): nothing unsealed yet.
    const csrf = guard('double-submit');
    const pending = csrf.verifyNow(post(token, { cookies: { [COOKIE]: cookie } }));
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(csrf.verifyNow(post(token, { cookies: { [COOKIE]: cookie } }))).toBeUndefined();
    expect(csrf.prepareNow(fakeRequest({ method: 'GET', cookies: { [COOKIE]: cookie } }))).not.toBeInstanceOf(Promise);
    await expect(
      csrf.verifyNow(post(token, { cookies: { [COOKIE]: `${cookie.slice(0, -4)}AAAA` } })) as Promise<void>,
    ).rejects.toMatchObject({ code: 'sessions/csrf-invalid', details: { reason: 'cookie-invalid' } });
  });

  it('double submit: prepareNow on a cookie not seen before answers with a promise', async () => {
    const minting = guard('double-submit');
    const first = fakeRequest({ method: 'GET' });
    await minting.issueToken(first);
    const cookie = first.jar.setValue(COOKIE)!;
    const csrf = guard('double-submit');
    const pending = csrf.prepareNow(fakeRequest({ method: 'GET', cookies: { [COOKIE]: cookie } }));
    expect(pending).toBeInstanceOf(Promise);
    const token = (await pending).token();
    await expect(csrf.verify(post(token, { cookies: { [COOKIE]: cookie } }))).resolves.toBeUndefined();
  });
});

describe('issueToken() / verify(): promises over the synchronous paths', () => {
  it('a failure is a rejected promise, never a synchronous throw', async () => {
    const csrf = guard('synchronizer');
    const session = new FakeHolder();
    const token = await csrf.issueToken(fakeRequest({ method: 'GET', session }));
    const passing = csrf.verify(post(token, { session }));
    expect(passing).toBeInstanceOf(Promise);
    await expect(passing).resolves.toBeUndefined();
    let refused: Promise<void> | undefined;
    expect(() => {
      refused = csrf.verify(post(`${token.slice(0, -2)}AA`, { session }));
    }).not.toThrow();
    await expect(refused).rejects.toMatchObject({ code: 'sessions/csrf-invalid' });
    let issuing: Promise<string> | undefined;
    expect(() => {
      issuing = csrf.issueToken(fakeRequest({ method: 'GET' }));
    }).not.toThrow();
    await expect(issuing).rejects.toMatchObject({ code: 'sessions/option-type-incorrect' });
  });

  it('double submit: issueToken waits for the unsealing and for the new cookie', async () => {
    const minting = guard('double-submit');
    const first = fakeRequest({ method: 'GET' });
    const minted = await minting.issueToken(first);
    const cookie = first.jar.setValue(COOKIE)!;
    const csrf = guard('double-submit');
    const token = await csrf.issueToken(fakeRequest({ method: 'GET', cookies: { [COOKIE]: cookie } }));
    for (const submitted of [minted, token]) {
      await expect(csrf.verify(post(submitted, { cookies: { [COOKIE]: cookie } }))).resolves.toBeUndefined();
    }
  });
});
