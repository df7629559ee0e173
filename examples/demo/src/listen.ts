import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalhostServer {
  /** The port, the same on both loopback addresses. */
  port: number;
  /** `http://localhost:<port>`: browsers treat it as a secure context, so `__Host-` cookies work over http. */
  url: string;
  /** Stops accepting connections and closes open ones. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Serves `handler` on `localhost` only: 127.0.0.1 and, where the machine has IPv6, [::1] on the
 * same port (`localhost` resolves to either, depending on the resolver). Port 0 picks a free one.
 */
export async function listenOnLocalhost(handler: RequestListener, port: number): Promise<LocalhostServer> {
  const servers: Server[] = [];
  const v4 = createServer(handler);
  await listen(v4, port, '127.0.0.1');
  servers.push(v4);
  const actualPort = (v4.address() as AddressInfo).port;
  const v6 = createServer(handler);
  try {
    await listen(v6, actualPort, '::1');
    servers.push(v6);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // No IPv6 loopback on this machine: 127.0.0.1 alone serves `localhost`.
    if (code !== 'EADDRNOTAVAIL' && code !== 'EAFNOSUPPORT') {
      await closeServer(v4);
      throw error;
    }
  }
  return {
    port: actualPort,
    url: `http://localhost:${actualPort}`,
    close: async () => {
      await Promise.all(servers.map(closeServer));
    },
  };
}
