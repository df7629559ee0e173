// Redis for the benchmark: a reachability check with a clear message, pinning the server to the
// load generator's core, and per-prefix accounting and clean-up.
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { withTimeout } from './processes.mjs';

/** Connects and PINGs; throws an error that says what to do when Redis does not answer. */
export async function connectRedis(url) {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await withTimeout(client.connect(), 3000, 'connect');
    await withTimeout(client.ping(), 3000, 'PING');
    return client;
  } catch (error) {
    client.disconnect();
    const failure = new Error(
      `Redis is not reachable at ${url} (${error.message}).\n` +
        '  Start it with scripts/ensure-services.sh (or redis-server --daemonize yes --port 6379),\n' +
        '  set REDIS_URL, or run without the Redis rows: pnpm bench --no-redis',
    );
    // A setup problem the message explains: no stack trace.
    failure.expected = true;
    throw failure;
  }
}

/** `redis_version`, `process_id` and friends from INFO server. */
export async function serverInfo(client) {
  const info = await client.info('server');
  return Object.fromEntries(
    info
      .split('\r\n')
      .filter((line) => line.includes(':'))
      .map((line) => line.split(':', 2)),
  );
}

/**
 * Moves every thread of the Redis server onto `core` (away from the servers under test). Works
 * when Redis runs on this machine and we may change its affinity; returns what happened.
 */
export async function pinRedis(client, core) {
  const { process_id: pid } = await serverInfo(client);
  if (!pid) return 'Redis did not report its pid: not pinned';
  const result = spawnSync('taskset', ['-a', '-p', '-c', String(core), pid], { encoding: 'utf8' });
  return result.status === 0
    ? `Redis (pid ${pid}) pinned to core ${core}`
    : `Redis not pinned: ${result.stderr.trim()}`;
}

/** Every key under `prefix` (SCAN, so Redis never blocks), in batches to `onBatch`. */
export async function scanPrefix(client, prefix, onBatch) {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
    cursor = next;
    if (keys.length > 0) await onBatch(keys);
  } while (cursor !== '0');
}

/** Deletes every key under `prefix`; resolves how many. */
export async function deletePrefix(client, prefix) {
  let deleted = 0;
  await scanPrefix(client, prefix, async (keys) => {
    deleted += await client.unlink(...keys);
  });
  return deleted;
}

/** `used_memory` in bytes. */
export async function usedMemory(client) {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/**
 * `MEMORY USAGE … SAMPLES 0` (exact) of every key under `prefix`, summed per kind
 * (`kindOf(key)` names it); resolves `{ keys, bytes, byKind: { kind: { keys, bytes } } }`.
 */
export async function memoryUsage(client, prefix, kindOf = () => 'key') {
  const total = { keys: 0, bytes: 0, byKind: {} };
  await scanPrefix(client, prefix, async (keys) => {
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    const replies = await pipeline.exec();
    keys.forEach((key, i) => {
      const bytes = Number(replies[i][1] ?? 0);
      const kind = kindOf(key);
      total.byKind[kind] ??= { keys: 0, bytes: 0 };
      total.byKind[kind].keys++;
      total.byKind[kind].bytes += bytes;
      total.keys++;
      total.bytes += bytes;
    });
  });
  return total;
}
