#!/usr/bin/env node
// The benchmark orchestrator: `pnpm bench` (full) or `pnpm bench --quick`. See ../README.md.
//
// Cores: every server under test runs alone on core 0; the load generator (autocannon, a child
// process), Redis and this orchestrator share core 1. Results go to results/<date>.json and,
// for a full run, to ../../BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { contenders, variantsOf } from '../servers/registry.mjs';
import { analyze } from './lib/analyze.mjs';
import { buildStamps, machineInfo, versions } from './lib/machine.mjs';
import { installCleanup, killAll, onInterrupt } from './lib/processes.mjs';
import { connectRedis, deletePrefix, pinRedis, serverInfo } from './lib/redis.mjs';
import { consoleReport, markdownReport } from './lib/report.mjs';
import { snapshotBuild } from './lib/snapshot.mjs';
import { runAlloc } from './scenarios/alloc.mjs';
import { runCsrfPairs } from './scenarios/csrf-pairs.mjs';
import { runGrowth } from './scenarios/growth.mjs';
import { HTTP_SCENARIOS, runHttpScenarios } from './scenarios/http.mjs';
import { runRedisBytes } from './scenarios/redis-bytes.mjs';
import { runRevocation } from './scenarios/revoke.mjs';

const srcDir = dirname(fileURLToPath(import.meta.url));
const benchDir = join(srcDir, '..');
const rootDir = join(benchDir, '..');
const ALL_SCENARIOS = [...HTTP_SCENARIOS, 'alloc', 'growth', 'revoke', 'redis-bytes', 'csrf-pairs'];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    repeats: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    retries: { type: 'string' },
    scenarios: { type: 'string' },
    only: { type: 'string' },
    'no-redis': { type: 'boolean', default: false },
    markdown: { type: 'boolean' },
    // Node 20's parseArgs has no negated booleans (allowNegative came in Node 22).
    'no-markdown': { type: 'boolean', default: false },
    out: { type: 'string' },
    profile: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  // pnpm may pass a `--` through.
  allowPositionals: true,
});

if (args.help) {
  console.log(`usage: pnpm bench [--quick] [options]
  --quick               short run (2 s per measurement, 1 repetition, smaller stores): about 9 minutes
  --repeats N           repetitions of each measurement (default 3, quick 1)
  --duration S          seconds per measurement (default 5, quick 2); --warmup S before each (2, quick 0.5)
  --connections N       concurrent connections, each with its own session (default 32)
  --retries N           re-measure a run another workload disturbed up to N times (default 2, quick 0)
  --scenarios a,b       any of ${ALL_SCENARIOS.join(', ')}
  --only text[,text]    only contenders whose file or name contains one of these (bare rows are kept);
                        "spartan" or express-spartan etc. keep both of our Redis rows: store-redis on
                        node-redis (the targets are checked on it) and on ioredis (*-spartan-ioredis)
  --no-redis            skip everything that needs Redis
  --markdown / --no-markdown   (re)write BENCHMARKS.md (default: only after a complete full run)
  --out FILE            results file (default results/<date>[-quick].json)
  --profile             run our servers under node --cpu-prof (results/*.cpuprofile; read them with
                        node src/profile-top.mjs FILE); profiling slows them, so no BENCHMARKS.md`);
  process.exit(0);
}

const quick = args.quick;
const config = {
  quick,
  connections: Number(args.connections ?? 32),
  duration: Number(args.duration ?? (quick ? 2 : 5)),
  warmup: Number(args.warmup ?? (quick ? 0.5 : 2)),
  repeats: Number(args.repeats ?? (quick ? 1 : 3)),
  /** Re-measurements of a run another workload disturbed (the cleanest is kept). */
  noisyRetries: Number(args.retries ?? (quick ? 0 : 2)),
  hotRequests: quick ? 1000 : 3000,
  hotSeconds: quick ? 3 : 15,
  growthSizes: quick ? [1_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000],
  growthRepeats: quick ? 1 : 3,
  revokeOthers: quick ? 100_000 : 1_000_000,
  revokeCounts: [1, 10, 1000],
  revokeRepeats: quick ? 3 : 5,
  bytesSessions: quick ? 2_000 : 10_000,
  csrfSeconds: quick ? 1 : 2,
  csrfRounds: quick ? 1 : 3,
  allocWarmup: quick ? 1000 : 6000,
  allocRequests: quick ? 2000 : 16000,
};
const scenarioNames = args.scenarios ? args.scenarios.split(',').map((name) => name.trim()) : ALL_SCENARIOS;
for (const name of scenarioNames) {
  if (!ALL_SCENARIOS.includes(name)) {
    console.error(`unknown scenario "${name}" (known: ${ALL_SCENARIOS.join(', ')})`);
    process.exit(2);
  }
}

const log = (line) => console.log(line);
const started = Date.now();
// What is measured: taken before the run, while nothing has had a chance to rebuild it.
const measuredVersions = versions(benchDir, rootDir);
const buildsBefore = buildStamps(rootDir);
const phases = {};
/** Runs one phase and records how long it took. */
async function phase(name, fn) {
  const phaseStarted = Date.now();
  try {
    return await fn();
  } finally {
    phases[name] = (Date.now() - phaseStarted) / 1000;
    log(`  (${name}: ${phases[name].toFixed(0)} s)`);
  }
}
installCleanup();

async function main() {
  // Cores: with one core only, everything shares it (and the report says so).
  const cpus = Number(spawnSync('nproc', ['--all'], { encoding: 'utf8' }).stdout.trim()) || 1;
  const cores = cpus >= 2 ? { server: 0, load: 1 } : { server: 0, load: 0 };
  // This process does its work between measurements; it keeps off the servers' core anyway.
  spawnSync('taskset', ['-p', '-c', String(cores.load), String(process.pid)]);

  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let redis = null;
  let redisNote = 'Redis rows skipped (--no-redis)';
  let redisVersion = null;
  let redisPid = null;
  if (!args['no-redis']) {
    redis = await connectRedis(redisUrl);
    redisNote = await pinRedis(redis, cores.load);
    const info = await serverInfo(redis);
    redisVersion = info.redis_version;
    // Its CPU time is read from /proc when Redis runs on this machine (for the noise figures).
    redisPid = existsSync(`/proc/${info.process_id}/stat`) ? Number(info.process_id) : null;
    log(`• ${redisNote}`);
  }

  const only = args.only?.split(',').map((text) => text.trim().toLowerCase());
  const variants = variantsOf(contenders).filter(
    (variant) =>
      (redis !== null || variant.store !== 'redis') &&
      (!only ||
        variant.role === 'bare' ||
        only.some((text) => variant.key.toLowerCase().includes(text) || variant.name.toLowerCase().includes(text))),
  );

  const runId = new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14);
  const prefix = `bench:${runId}:`;
  // The bytes-per-session scenario weighs keys, and a key's name is part of its weight: there
  // every store gets a prefix as short as the libraries' defaults ("sess:", "koa:sess:"), so the
  // figures measure the stores, not this harness's 21-character run prefix.
  const bytesPrefix = `b${runId.slice(-6)}:`;
  // Every child runs from a private copy of our builds: a rebuild meanwhile cannot touch the run.
  const snapshot = snapshotBuild(benchDir, runId);
  process.on('exit', snapshot.remove);
  // Interrupted: the keys this run wrote are deleted (a finished phase has deleted its own).
  if (redis !== null) {
    onInterrupt(() => deletePrefix(redis, prefix));
    onInterrupt(() => deletePrefix(redis, bytesPrefix));
  }
  const ctx = {
    config,
    cores,
    redis,
    redisUrl,
    redisPid,
    prefix,
    bytesPrefix,
    dirs: { bench: benchDir, servers: snapshot.servers, src: snapshot.src, results: join(benchDir, 'results') },
    profile: args.profile,
    log,
  };

  const raw = {};
  const httpNames = scenarioNames.filter((name) => HTTP_SCENARIOS.includes(name));
  if (httpNames.length > 0) {
    log(`• HTTP scenarios (${httpNames.join(', ')}): ${variants.length} contenders × ${config.repeats} repetitions`);
    raw.http = await phase('http', () => runHttpScenarios(ctx, variants, httpNames));
  }
  if (scenarioNames.includes('alloc')) {
    log(`• bytes allocated per request, returning visitor (${compact(config.allocRequests)} requests per contender)`);
    raw.alloc = await phase('alloc', () => runAlloc(ctx, variants));
  }
  if (scenarioNames.includes('growth')) {
    log(`• store growth (${config.growthSizes.map(compact).join(' → ')} sessions)`);
    raw.growth = await phase('growth', () =>
      runGrowth(
        ctx,
        variants.filter((variant) => variant.growth),
      ),
    );
  }
  if (scenarioNames.includes('revoke')) {
    log(`• revoking a user's sessions among ${compact(config.revokeOthers)} others`);
    raw.revoke = await phase('revoke', () => runRevocation(ctx));
  }
  if (scenarioNames.includes('redis-bytes') && redis !== null) {
    log(`• Redis bytes per session (${compact(config.bytesSessions)} logged-in sessions per store)`);
    raw.redisBytes = await phase('redis-bytes', () =>
      runRedisBytes(
        ctx,
        variants.filter((variant) => variant.redisBytes && variant.store === 'redis'),
      ),
    );
  }
  if (scenarioNames.includes('csrf-pairs')) {
    log('• CSRF token pairs (issue + verify) per second');
    raw.csrfPairs = await phase('csrf-pairs', () => runCsrfPairs(ctx));
  }
  await redis?.quit();

  const wallSeconds = (Date.now() - started) / 1000;
  const warnings = [];
  const buildsAfter = buildStamps(rootDir);
  const rebuilt = Object.keys(buildsAfter).filter((name) => buildsAfter[name] !== buildsBefore[name]);
  if (rebuilt.length > 0) {
    // Harmless (every child ran from the copy taken at the start), but worth knowing.
    log(`• packages/${rebuilt.join(', packages/')} rebuilt during the run; the copy taken at its start was measured`);
  }
  for (const warning of warnings) log(`! ${warning}`);
  const command = `pnpm bench${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const results = {
    date: new Date().toISOString(),
    command,
    wallSeconds,
    phases,
    complete: !args.only && !args.scenarios && !args['no-redis'] && !args.profile,
    config,
    machine: { ...machineInfo(), cores, redis: redisVersion, redisPinning: redisNote },
    versions: { ...measuredVersions, builtAt: new Date(Math.max(...Object.values(buildsBefore))).toISOString() },
    warnings,
    variants: variants.map(({ key, name, framework, role, store, storeName, file, targets }) => ({
      key,
      name,
      framework,
      role,
      store,
      storeName,
      file,
      // false: a second row of ours (on ioredis) that the targets skip (servers/registry.mjs).
      ...(targets === false ? { targets } : {}),
    })),
    raw,
  };
  results.analysis = analyze(results);

  const day = results.date.slice(0, 10);
  const suffix = quick ? '-quick' : results.complete ? '' : '-partial';
  const out = args.out ?? join(benchDir, 'results', `${day}${suffix}.json`);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log('');
  log(consoleReport(results));
  log(`\nresults: ${relative(process.cwd(), out)}`);
  const writeMarkdown = args['no-markdown'] ? false : (args.markdown ?? (!quick && results.complete));
  if (writeMarkdown) {
    writeFileSync(join(rootDir, 'BENCHMARKS.md'), markdownReport(results, relative(rootDir, out)));
    log('tables: BENCHMARKS.md');
  }
  log(`wall time: ${Math.floor(wallSeconds / 60)} min ${Math.round(wallSeconds % 60)} s`);
}

function compact(n) {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n);
}

main().then(
  () => {
    killAll();
    process.exit(0);
  },
  (error) => {
    console.error(`\n✖ ${error.expected ? error.message : (error.stack ?? error.message)}`);
    killAll();
    process.exit(1);
  },
);
