import type { RequestView } from '../ports.js';

export interface TransportPolicy {
  /** Honour `X-Forwarded-Proto` (only behind a proxy you control). */
  trustProxy: boolean;
  /** Treat http://localhost, 127.0.0.1 and [::1] as secure, as browsers do (secure contexts). */
  localhostIsSecure: boolean;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The host name of a `Host` header, without the port, lower-cased. */
export function hostnameOf(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) {
    const close = lower.indexOf(']');
    return close === -1 ? lower : lower.slice(0, close + 1);
  }
  const colon = lower.indexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

/**
 * Whether the request arrived over a connection the browser considers secure, i.e. whether a
 * `Secure` cookie set in the response will be kept.
 */
export function isSecureRequest(view: RequestView, transport: TransportPolicy): boolean {
  if (view.encrypted) return true;
  if (transport.trustProxy) {
    const forwarded = view.headers.get('x-forwarded-proto');
    // The first value is the client-facing hop's protocol.
    if (forwarded !== undefined && forwarded.split(',')[0]!.trim().toLowerCase() === 'https') return true;
  }
  if (transport.localhostIsSecure) {
    const host = view.headers.get('host');
    if (host !== undefined) {
      const name = hostnameOf(host);
      if (LOOPBACK_HOSTS.has(name) || name.endsWith('.localhost')) return true;
    }
  }
  return false;
}

/** The request's own origin, `scheme://host[:port]`, or `null` without a Host header. */
export function requestOrigin(view: RequestView, transport: TransportPolicy): string | null {
  const host = view.headers.get('host');
  if (host === undefined || host.length === 0) return null;
  let scheme = view.encrypted ? 'https' : 'http';
  if (!view.encrypted && transport.trustProxy) {
    const forwarded = view.headers.get('x-forwarded-proto');
    if (forwarded !== undefined) scheme = forwarded.split(',')[0]!.trim().toLowerCase() === 'https' ? 'https' : 'http';
  }
  return `${scheme}://${host.trim().toLowerCase()}`;
}
