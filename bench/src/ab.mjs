#!/usr/bin/env node
// Paired CPU A/B of one contender server in two checkouts of this repository (the code before a
// change and after it): both servers run at once on the server core, and phases of N requests
// (signed-in visitors on `/hit`) alternate between them, A B B A …, so whatever else the machine
// does weighs on both alike. Each phase's figure is the server's CPU time (/proc) per request;
// the result is the median of the paired differences. On a shared machine where a full run's
// rows move by 25%, this tells a change of a few µs from noise; run it with both sides the same
// checkout first to see the noise floor. `--visitor new` measures new visitors instead (`/new`,
// no cookie sent: every request creates and stores a session).
//   git worktree add /tmp/before <commit> && (cd /tmp/before && pnpm install --offline && pnpm -r build)
//   node src/ab.mjs --before /tmp/before --server express-spartan --store memory
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CookieJar, mapConcurrent, visit, visitEach } from './lib/http.mjs';
import { cpuMicros, startServer } from './lib/processes.mjs';
import { connectRedis, deletePrefix } from './lib/redis.mjs';

const { values: args } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string' },
    server: { type: 'string', default: 'express-spartan' },
    store: { type: 'string', default: 'memory' },
    visitor: { type: 'string', default: 'returning' },
    phases: { type: 'string', default: '20' },
    requests: { type: 'string', default: '4000' },
    connections: { type: 'string', default: '32' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const here = resolve(join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
if (args.help || !args.before) {
  console.log(
    'usage: node src/ab.mjs --before <checkout> [--after <checkout, default this one>] [--server express-spartan]\n' +
      '                       [--store memory|redis] [--visitor returning|new] [--phases 20] [--requests 4000]\n' +
      '                       [--connections 32]',
  );
  process.exit(args.help ? 0 : 2);
}

// This process drives the load: it stays off the servers' core (0), as run.mjs does.
spawnSync('taskset', ['-p', '-c', '1', String(process.pid)]);
const phases = Number(args.phases);
const perPhase = Number(args.requests);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = args.store === 'redis' ? await connectRedis(redisUrl) : null;
if (args.visitor !== 'returning' && args.visitor !== 'new') {
  console.error(`--visitor must be returning or new, not ${args.visitor}`);
  process.exit(2);
}
const newVisitors = args.visitor === 'new';
/** A new visitor's jar: it never keeps the cookie it is given. */
const forgetful = { size: 0, update() {}, header: () => '' };
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

/** One side: its server, its visitors and the prefix of its Redis keys. */
async function open(label, checkout) {
  const bench = join(resolve(checkout), 'bench');
  const prefix = `ab${process.pid}${label}:`;
  const server = await startServer(join(bench, 'servers', `${args.server}.mjs`), {
    core: 0,
    cwd: bench,
    env: { PORT: '0', STORE: args.store, PREFIX: prefix, REDIS_URL: redisUrl },
  });
  const jars = Array.from({ length: Number(args.connections) }, () => new CookieJar());
  await mapConcurrent(jars.length, jars.length, (i) => visit(server.port, jars[i], '/login?user=ab'));
  return { label, server, jars, prefix };
}

/** `count` requests over the side's visitors; resolves its server's CPU µs per request. */
async function phase(side, count) {
  const before = cpuMicros(side.server.pid);
  const made = newVisitors
    ? await visitEach(
        side.server.port,
        side.jars.map(() => forgetful),
        count,
        '/new',
      )
    : await visitEach(side.server.port, side.jars, count);
  return (cpuMicros(side.server.pid) - before) / made;
}

const sides = [];
try {
  sides.push(await open('a', args.before), await open('b', args.after ?? here));
  const [a, b] = sides;
  await phase(a, perPhase);
  await phase(b, perPhase);
  const cpuA = [];
  const cpuB = [];
  for (let i = 0; i < phases; i++) {
    // A B, then B A: neither side always runs second.
    if (i % 2 === 0) {
      cpuA.push(await phase(a, perPhase));
      cpuB.push(await phase(b, perPhase));
    } else {
      cpuB.push(await phase(b, perPhase));
      cpuA.push(await phase(a, perPhase));
    }
  }
  const differences = cpuB.map((value, i) => value - cpuA[i]);
  console.log(
    `${args.server} (${args.store}, ${args.visitor} visitors), ${phases} phases of ${perPhase} requests each side`,
  );
  console.log(`  before (${args.before}): ${median(cpuA).toFixed(1)} µs of server CPU a request (median)`);
  console.log(`  after  (${args.after ?? here}): ${median(cpuB).toFixed(1)} µs`);
  console.log(
    `  after − before, median of the paired phases: ${median(differences).toFixed(1)} µs ` +
      `(min ${Math.min(...differences).toFixed(1)}, max ${Math.max(...differences).toFixed(1)})`,
  );
} finally {
  for (const side of sides) {
    await side.server.stop();
    if (redis !== null) await deletePrefix(redis, side.prefix);
  }
  redis?.disconnect();
}
