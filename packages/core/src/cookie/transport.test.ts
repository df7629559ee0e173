import { describe, expect, it } from 'vitest';
import { requestView } from './test-helpers.js';
import { hostnameOf, isSecureRequest, requestOrigin, type TransportPolicy } from './transport.js';

const direct: TransportPolicy = { trustProxy: false, localhostIsSecure: false };
const proxied: TransportPolicy = { trustProxy: true, localhostIsSecure: false };
const local: TransportPolicy = { trustProxy: false, localhostIsSecure: true };

describe('isSecureRequest', () => {
  it('trusts a TLS socket whatever the headers say', () => {
    const view = requestView({ encrypted: true, headers: { host: 'example.com', 'x-forwarded-proto': 'http' } });
    expect(isSecureRequest(view, direct)).toBe(true);
    expect(isSecureRequest(view, proxied)).toBe(true);
  });

  it('treats plain http from a remote host as insecure', () => {
    expect(isSecureRequest(requestView({ headers: { host: 'example.com' } }), direct)).toBe(false);
    expect(isSecureRequest(requestView({ headers: { host: 'example.com' } }), local)).toBe(false);
    expect(isSecureRequest(requestView(), local)).toBe(false);
  });

  it('ignores X-Forwarded-Proto unless trustProxy is on (a client could send it)', () => {
    const view = requestView({ headers: { host: 'example.com', 'x-forwarded-proto': 'https' } });
    expect(isSecureRequest(view, direct)).toBe(false);
    expect(isSecureRequest(view, proxied)).toBe(true);
  });

  it.each([
    ['https', true],
    ['HTTPS', true],
    [' https ', true],
    ['http', false],
    ['https, http', true],
    ['http, https', false],
    ['wss', false],
    ['', false],
  ])('with trustProxy, X-Forwarded-Proto %j (first hop decides) is secure: %s', (proto, secure) => {
    const view = requestView({ headers: { host: 'example.com', 'x-forwarded-proto': proto } });
    expect(isSecureRequest(view, proxied)).toBe(secure);
  });

  it('with trustProxy and no X-Forwarded-Proto, plain http stays insecure', () => {
    expect(isSecureRequest(requestView({ headers: { host: 'example.com' } }), proxied)).toBe(false);
  });

  it.each([
    ['localhost', true],
    ['localhost:3000', true],
    ['LOCALHOST:3000', true],
    ['127.0.0.1', true],
    ['127.0.0.1:8080', true],
    ['[::1]', true],
    ['[::1]:3000', true],
    ['app.localhost', true],
    ['app.localhost:5173', true],
    ['localhost.example.com', false],
    ['notlocalhost', false],
    ['127.0.0.2', false],
    ['[::2]:3000', false],
    ['example.com', false],
  ])('with localhostIsSecure, plain http to %j is secure: %s', (host, secure) => {
    const view = requestView({ headers: { host } });
    expect(isSecureRequest(view, local)).toBe(secure);
    // …and never without it.
    expect(isSecureRequest(view, direct)).toBe(false);
  });
});

describe('hostnameOf', () => {
  it('drops the port and lower-cases', () => {
    expect(hostnameOf('Example.COM:8080')).toBe('example.com');
    expect(hostnameOf(' example.com ')).toBe('example.com');
    expect(hostnameOf('[::1]:3000')).toBe('[::1]');
    expect(hostnameOf('[::1')).toBe('[::1');
  });
});

describe('requestOrigin', () => {
  it('is http://host over a plain connection and https://host over TLS', () => {
    expect(requestOrigin(requestView({ headers: { host: 'example.com' } }), direct)).toBe('http://example.com');
    expect(requestOrigin(requestView({ encrypted: true, headers: { host: 'example.com' } }), direct)).toBe(
      'https://example.com',
    );
  });

  it('keeps a non-default port and drops the default one, as a browser serializes Origin', () => {
    expect(requestOrigin(requestView({ headers: { host: 'example.com:8080' } }), direct)).toBe(
      'http://example.com:8080',
    );
    expect(requestOrigin(requestView({ headers: { host: 'example.com:80' } }), direct)).toBe('http://example.com');
    expect(requestOrigin(requestView({ encrypted: true, headers: { host: 'example.com:443' } }), direct)).toBe(
      'https://example.com',
    );
    expect(requestOrigin(requestView({ encrypted: true, headers: { host: 'example.com:80' } }), direct)).toBe(
      'https://example.com:80',
    );
    expect(requestOrigin(requestView({ headers: { host: '[::1]:3000' } }), direct)).toBe('http://[::1]:3000');
  });

  it('lower-cases and trims the host', () => {
    expect(requestOrigin(requestView({ headers: { host: ' Example.COM ' } }), direct)).toBe('http://example.com');
  });

  it('takes the scheme from X-Forwarded-Proto only with trustProxy', () => {
    const forwarded = (proto: string) => requestView({ headers: { host: 'example.com', 'x-forwarded-proto': proto } });
    expect(requestOrigin(forwarded('https'), direct)).toBe('http://example.com');
    expect(requestOrigin(forwarded('https'), proxied)).toBe('https://example.com');
    expect(requestOrigin(forwarded('HTTPS, http'), proxied)).toBe('https://example.com');
    expect(requestOrigin(forwarded('http'), proxied)).toBe('http://example.com');
    expect(requestOrigin(forwarded('ftp'), proxied)).toBe('http://example.com');
    expect(
      requestOrigin(requestView({ headers: { host: 'example.com:443', 'x-forwarded-proto': 'https' } }), proxied),
    ).toBe('https://example.com');
  });

  it('keeps https for a TLS socket even when a proxy header says http', () => {
    const view = requestView({ encrypted: true, headers: { host: 'example.com', 'x-forwarded-proto': 'http' } });
    expect(requestOrigin(view, proxied)).toBe('https://example.com');
  });

  it.each([
    [undefined],
    [''],
    ['   '],
    ['evil.com/path'],
    ['user@example.com'],
    ['example.com, evil.com'],
    ['example.com:'],
    ['example.com:123456'],
    ['exa mple.com'],
    ['[::1'],
  ])('is null for a missing or malformed Host %j (fails closed)', (host) => {
    const view = requestView(host === undefined ? {} : { headers: { host } });
    expect(requestOrigin(view, direct)).toBeNull();
  });
});
