#!/usr/bin/env node
// Bytes allocated per request, by package and by function: a contender server runs under V8's
// sampling heap profiler (objects already freed included) while signed-in visitors hit `/hit`
// (a returning visitor whose counter changes: a store read and a store write). Unlike req/s and
// CPU µs, which move by 25% or more between runs on a shared machine, what a request allocates
// is the same from run to run (within a few percent), so one change to the request path can be
// judged on its own; the garbage collector's share of CPU follows it.
//   node src/alloc.mjs [--server express-spartan,express-bare] [--store memory|redis]
//                      [--requests 20000] [--warmup 8000] [--top 15]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureAllocation } from './lib/alloc.mjs';
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
const prefix = `alloc${process.pid}:`;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = args.store === 'redis' ? await connectRedis(redisUrl) : null;
const top = (map, count) => [...map].sort((a, b) => b[1] - a[1]).slice(0, count);
try {
  for (const server of args.server.split(',').map((name) => name.trim())) {
    try {
      const { bytes, byPackage, byFunction } = await measureAllocation({
        serverFile: join(benchDir, 'servers', `${server}.mjs`),
        core: 0,
        cwd: benchDir,
        env: { STORE: args.store, PREFIX: prefix, REDIS_URL: redisUrl },
        connections: Number(args.connections),
        warmup: Number(args.warmup),
        requests: Number(args.requests),
      });
      console.log(`\n${server} (${args.store}): ${(bytes / 1024).toFixed(1)} KB allocated per request`);
      for (const [pkg, perRequest] of top(byPackage, 10)) {
        console.log(`  ${perRequest.toFixed(0).padStart(7)} B  ${pkg}`);
      }
      console.log('  by function (self, B per request):');
      for (const [name, perRequest] of top(byFunction, Number(args.top))) {
        console.log(`  ${perRequest.toFixed(0).padStart(7)} B  ${name}`);
      }
    } finally {
      if (redis !== null) await deletePrefix(redis, prefix);
    }
  }
} finally {
  redis?.disconnect();
}
