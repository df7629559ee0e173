// Bytes a server allocates per request: the server runs with `alloc-preload.mjs` (V8's sampling
// heap profiler, objects already freed included, started and stopped by SIGUSR2) while
// signed-in visitors hit `/hit` (a returning visitor whose counter changes). Used by
// `src/alloc.mjs` (by package and function, for one change) and the `alloc` scenario of a run.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CookieJar, mapConcurrent, visit, visitEach } from './http.mjs';
import { packageOf } from './package-of.mjs';
import { startServer } from './processes.mjs';

const PRELOAD = join(dirname(fileURLToPath(import.meta.url)), 'alloc-preload.mjs');

async function waitFor(file, ms = 30_000) {
  const until = Date.now() + ms;
  while (!existsSync(file)) {
    if (Date.now() > until) throw new Error('no allocation profile written');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Written in one call; give the writer a moment to finish it.
  await new Promise((resolve) => setTimeout(resolve, 200));
}

/** Self bytes per function and per package, summed over the profile's tree. */
function summarize(profile) {
  const byFunction = new Map();
  const byPackage = new Map();
  let total = 0;
  const walk = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'} ${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
    const pkg = packageOf(url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return { total, byFunction, byPackage };
}

/**
 * Starts `serverFile` on `core` with `env`, signs `connections` visitors in, sends `warmup`
 * requests, then samples `requests` more. Resolves bytes per request in all, and by package and
 * by function (Maps of bytes per request).
 */
export async function measureAllocation({ serverFile, core, cwd, env, connections, warmup, requests }) {
  const work = mkdtempSync(join(tmpdir(), 'spartan-alloc-'));
  const file = join(work, 'server.heapprofile');
  const running = await startServer(serverFile, {
    core,
    cwd,
    env: { ...env, PORT: '0', ALLOC_PROFILE: file },
    nodeOptions: ['--import', PRELOAD],
  });
  try {
    const jars = Array.from({ length: connections }, () => new CookieJar());
    // Bare frameworks have no session: their /login answers without a cookie.
    await mapConcurrent(jars.length, connections, (i) => visit(running.port, jars[i], '/login?user=alloc'));
    await visitEach(running.port, jars, warmup);
    running.child.kill('SIGUSR2');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const measured = await visitEach(running.port, jars, requests);
    running.child.kill('SIGUSR2');
    await waitFor(file);
    const { total, byFunction, byPackage } = summarize(JSON.parse(readFileSync(file, 'utf8')));
    const perRequest = (map) => new Map([...map].map(([name, bytes]) => [name, bytes / measured]));
    return {
      bytes: total / measured,
      requests: measured,
      byPackage: perRequest(byPackage),
      byFunction: perRequest(byFunction),
    };
  } finally {
    await running.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
