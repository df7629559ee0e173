#!/usr/bin/env node
// Bytes allocated per request, by package and by function: a contender server runs under V8's
// sampling heap profiler (objects already freed included) while signed-in visitors hit `/hit`
// (a returning visitor whose counter changes: a store read and a store write). Unlike req/s and
// CPU µs, which move by 25% or more between runs on a shared machine, what a request allocates
// is the same from run to run (within a few percent), so one change to the request path can be
// judged on its own; the garbage collector's share of CPU follows it.
//   node src/alloc.mjs [--server express-spartan,express-bare] [--store memory|redis]
//                      [--requests 20000] [--warmup 8000] [--top 15]
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CookieJar, mapConcurrent, visit, visitEach } from './lib/http.mjs';
import { packageOf } from './lib/package-of.mjs';
import { startServer } from './lib/processes.mjs';
import { connectRedis, deletePrefix } from './lib/redis.mjs';

const { values: args } = parseArgs({
  options: {
    server: { type: 'string', default: 'express-bare,express-spartan' },
    store: { type: 'string', default: 'memory' },
    requests: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '8000' },
    connections: { type: 'string', default: '32' },
    top: { type: 'string', default: '15' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: node src/alloc.mjs [--server a,b] [--store memory|redis] [--requests N] [--warmup N] [--top N]');
  process.exit(0);
}

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const preload = join(benchDir, 'src', 'lib', 'alloc-preload.mjs');
const requests = Number(args.requests);
const connections = Number(args.connections);

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

const work = mkdtempSync(join(tmpdir(), 'spartan-alloc-'));
const prefix = `alloc${process.pid}:`;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = args.store === 'redis' ? await connectRedis(redisUrl) : null;
try {
  for (const server of args.server.split(',').map((name) => name.trim())) {
    const file = join(work, `${server}.heapprofile`);
    const running = await startServer(join(benchDir, 'servers', `${server}.mjs`), {
      core: 0,
      cwd: benchDir,
      env: {
        PORT: '0',
        STORE: args.store,
        PREFIX: prefix,
        REDIS_URL: redisUrl,
        ALLOC_PROFILE: file,
      },
      nodeOptions: ['--import', preload],
    });
    try {
      const jars = Array.from({ length: connections }, () => new CookieJar());
      // Bare frameworks have no session: their /login answers without a cookie.
      await mapConcurrent(jars.length, connections, (i) => visit(running.port, jars[i], '/login?user=alloc'));
      await visitEach(running.port, jars, Number(args.warmup));
      running.child.kill('SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const measured = await visitEach(running.port, jars, requests);
      running.child.kill('SIGUSR2');
      await waitFor(file);
      const { total, byFunction, byPackage } = summarize(JSON.parse(readFileSync(file, 'utf8')));
      const perRequest = (bytes) => bytes / measured;
      console.log(`\n${server} (${args.store}): ${(perRequest(total) / 1024).toFixed(1)} KB allocated per request`);
      for (const [pkg, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
        console.log(`  ${perRequest(bytes).toFixed(0).padStart(7)} B  ${pkg}`);
      }
      console.log('  by function (self, B per request):');
      for (const [name, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) {
        console.log(`  ${perRequest(bytes).toFixed(0).padStart(7)} B  ${name}`);
      }
    } finally {
      await running.stop();
      if (redis !== null) await deletePrefix(redis, prefix);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  redis?.disconnect();
}
