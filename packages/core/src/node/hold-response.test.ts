import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestScope } from '../adapter/request-scope.js';
import type { SessionStore, StoredSession, StoreSetOptions } from '../ports.js';
import { MemoryStore } from '../store/memory-store.js';
import { holdResponse, NodeExchange, nodeScope, nodeSpartanCore } from './index.js';

const secrets = 'a-test-secret-that-is-long-enough-0123456789';

/** A MemoryStore whose writes answer a moment later, as a networked store does. */
function slowStore(): SessionStore {
  const memory = new MemoryStore();
  return {
    get: (key: string) => memory.get(key),
    set: (key: string, record: StoredSession, opts: StoreSetOptions) =>
      new Promise<boolean>((resolve, reject) => {
        setTimeout(() => memory.set(key, record, opts).then(resolve, reject), 20);
      }),
    destroy: (key: string) => memory.destroy(key),
    rotate: memory.rotate.bind(memory),
    listByUser: memory.listByUser.bind(memory),
  } as SessionStore;
}

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/** Serves one request with `handle` and answers the response's status, Set-Cookie and body. */
async function serveOnce(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ status: number; setCookie: string[]; body: string }> {
  server = createServer(handle);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('holdResponse', () => {
  it("keeps its state in the request's scope and adds no property to the response", async () => {
    const core = nodeSpartanCore({ secrets, store: slowStore() });
    let symbolsBefore = -1;
    let symbolsAfter = -1;
    let scope: RequestScope | null = null;
    const result = await serveOnce((req, res) => {
      scope = nodeScope(core, req, res);
      Promise.resolve(scope.startSession()).then(() => {
        scope!.session!.n = 1;
        symbolsBefore = Object.getOwnPropertySymbols(res).length;
        holdResponse(res, scope!, () => res.destroy());
        symbolsAfter = Object.getOwnPropertySymbols(res).length;
        res.end('ok');
      });
    });
    expect(result.status).toBe(200);
    expect(result.body).toBe('ok');
    // The new session's cookie: written by the commit, which the held `end` waited for.
    expect(result.setCookie.some((line) => line.startsWith('__Host-spartan='))).toBe(true);
    expect(symbolsAfter).toBe(symbolsBefore);
    expect(scope!.adapterState).toBeDefined();
  });

  it("falls back to a symbol on the response when the scope is not its request's", async () => {
    const core = nodeSpartanCore({ secrets, store: slowStore() });
    let added: number | null = null;
    let scope: RequestScope | null = null;
    const result = await serveOnce((req, res) => {
      // A scope opened by hand, not through nodeScope: the request does not carry it.
      const exchange = new NodeExchange(req, res);
      scope = core.scope(exchange, exchange);
      Promise.resolve(scope.startSession()).then(() => {
        scope!.session!.n = 1;
        const before = Object.getOwnPropertySymbols(res).length;
        holdResponse(res, scope!, () => res.destroy());
        // A second hold of the same response is a no-op.
        holdResponse(res, scope!, () => res.destroy());
        added = Object.getOwnPropertySymbols(res).length - before;
        res.end('ok');
      });
    });
    expect(result.status).toBe(200);
    expect(result.setCookie.some((line) => line.startsWith('__Host-spartan='))).toBe(true);
    expect(added).toBe(1);
    expect(scope!.adapterState).toBeUndefined();
  });
});
