import { describe, expect, it } from 'vitest';
import { isSpartanError } from '../errors/errors.js';
import { parsePolicy } from '../policy/policy.js';
import { createCsrfGuard } from './guard.js';
import { FakeHolder, fakeRequest } from './testing/fakes.js';
import { createCsrfSecret, isCsrfSecret, maskCsrfToken } from './token.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

function synchronizer(config: Record<string, unknown> = {}) {
  return createCsrfGuard({ policy: parsePolicy({ config }), secrets: SECRET, mode: 'synchronizer' });
}

describe('synchronizer token (csrf({ cookie: false }))', () => {
  it('issueToken creates the secret in the session holder on first use, then reuses it', async () => {
    const session = new FakeHolder();
    const csrf = synchronizer();
    const first = await csrf.issueToken(fakeRequest({ method: 'GET', session }));
    expect(isCsrfSecret(session.secret)).toBe(true);
    expect(session.writes).toBe(1);
    const secret = session.secret;
    const second = await csrf.issueToken(fakeRequest({ method: 'GET', session }));
    expect(session.secret).toBe(secret);
    expect(session.writes).toBe(1);
    expect(first).not.toBe(second);
  });

  it('issueToken replaces a malformed secret found in the session', async () => {
    const session = new FakeHolder('corrupted');
    await synchronizer().issueToken(fakeRequest({ method: 'GET', session }));
    expect(isCsrfSecret(session.secret)).toBe(true);
  });

  it('the token is accepted from the header', async () => {
    const session = new FakeHolder();
    const csrf = synchronizer();
    const token = await csrf.issueToken(fakeRequest({ method: 'GET', session }));
    await expect(csrf.verify(fakeRequest({ session, headers: { 'x-csrf-token': token } }))).resolves.toBeUndefined();
  });

  it('the token is accepted from the body field', async () => {
    const session = new FakeHolder();
    const csrf = synchronizer();
    const token = await csrf.issueToken(fakeRequest({ method: 'GET', session }));
    await expect(csrf.verify(fakeRequest({ session, body: { _csrf: token, name: 'x' } }))).resolves.toBeUndefined();
  });

  it('the header and field names come from the policy', async () => {
    const session = new FakeHolder();
    const csrf = synchronizer({ csrf: { header: 'X-Token', field: 'authenticity_token' } });
    const token = await csrf.issueToken(fakeRequest({ method: 'GET', session }));
    await expect(csrf.verify(fakeRequest({ session, headers: { 'x-token': token } }))).resolves.toBeUndefined();
    await expect(csrf.verify(fakeRequest({ session, body: { authenticity_token: token } }))).resolves.toBeUndefined();
    await expect(csrf.verify(fakeRequest({ session, body: { _csrf: token } }))).rejects.toMatchObject({
      details: { reason: 'token-missing' },
    });
  });

  it('the header is used first: a wrong header is not rescued by a right body field', async () => {
    const session = new FakeHolder();
    const csrf = synchronizer();
    const token = await csrf.issueToken(fakeRequest({ method: 'GET', session }));
    const request = fakeRequest({ session, headers: { 'x-csrf-token': 'wrong' }, body: { _csrf: token } });
    await expect(csrf.verify(request)).rejects.toMatchObject({ details: { reason: 'token-invalid' } });
  });

  it('verify fails with csrf-invalid when the session holds no secret', async () => {
    const token = maskCsrfToken(createCsrfSecret());
    const error = await synchronizer()
      .verify(fakeRequest({ session: new FakeHolder(), headers: { 'x-csrf-token': token } }))
      .catch((caught: unknown) => caught);
    expect(isSpartanError(error, 'sessions/csrf-invalid')).toBe(true);
    expect(error).toMatchObject({ details: { reason: 'secret-missing' } });
  });

  it('verify fails with csrf-invalid when the token was made for another secret', async () => {
    const session = new FakeHolder(createCsrfSecret());
    const token = maskCsrfToken(createCsrfSecret());
    await expect(
      synchronizer().verify(fakeRequest({ session, headers: { 'x-csrf-token': token } })),
    ).rejects.toMatchObject({ code: 'sessions/csrf-invalid', details: { reason: 'token-invalid' } });
  });

  it('a token of one session does not verify in another session', async () => {
    const csrf = synchronizer();
    const token = await csrf.issueToken(fakeRequest({ method: 'GET', session: new FakeHolder() }));
    const other = new FakeHolder();
    await csrf.issueToken(fakeRequest({ method: 'GET', session: other }));
    await expect(
      csrf.verify(fakeRequest({ session: other, headers: { 'x-csrf-token': token } })),
    ).rejects.toMatchObject({
      code: 'sessions/csrf-invalid',
    });
  });

  it('without a session holder (sessioner not installed before csrf) issueToken is a setup error', async () => {
    const error = await synchronizer()
      .issueToken(fakeRequest({ method: 'GET' }))
      .catch((caught: unknown) => caught);
    expect(isSpartanError(error, 'sessions/option-type-incorrect')).toBe(true);
    expect(error).toMatchObject({ status: undefined });
    expect((error as Error).message).toMatch(/sessioner before csrf/);
  });

  it('without a session holder verify of an unsafe request with a token is a setup error', async () => {
    await expect(synchronizer().verify(fakeRequest({ headers: { 'x-csrf-token': 'x' } }))).rejects.toMatchObject({
      code: 'sessions/option-type-incorrect',
    });
  });
});
