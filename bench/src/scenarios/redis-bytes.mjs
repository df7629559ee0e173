// Redis memory per session: each Redis-backed contender logs `bytesSessions` visitors in (one
// user each, so our per-user index costs the most it can), then every key under the
// contender's prefix is weighed with `MEMORY USAGE … SAMPLES 0`. The `used_memory` delta is
// reported beside it (it also counts the expiry table and allocator slack). Each store's keys
// carry a 10-character prefix, about the length of the libraries' defaults.
import { join } from 'node:path';
import { mapConcurrent, request } from '../lib/http.mjs';
import { startServer } from '../lib/processes.mjs';
import { deletePrefix, memoryUsage, usedMemory } from '../lib/redis.mjs';

export async function runRedisBytes(ctx, variants) {
  const sessions = ctx.config.bytesSessions;
  const results = {};
  for (const [index, variant] of variants.entries()) {
    // Short, like a library's default prefix (see run.mjs): "b<hhmmss>:<n>:", 10 characters.
    const prefix = `${ctx.bytesPrefix}${index}:`;
    let server = null;
    try {
      server = await startServer(join(ctx.dirs.servers, variant.file), {
        core: ctx.cores.server,
        cwd: ctx.dirs.bench,
        env: { PORT: '0', STORE: 'redis', PREFIX: prefix, REDIS_URL: ctx.redisUrl },
      });
      const before = await usedMemory(ctx.redis);
      await mapConcurrent(sessions, 32, async (i) => {
        const response = await request(server.port, `/login?user=user-${i}`);
        if (response.status !== 200) throw new Error(`/login answered ${response.status}`);
      });
      const after = await usedMemory(ctx.redis);
      // Our store keeps user indexes under `<prefix>u:`; every other key is a session.
      const usage = await memoryUsage(ctx.redis, prefix, (key) =>
        key.startsWith(`${prefix}u:`) ? 'userIndex' : 'session',
      );
      results[variant.key] = {
        sessions,
        keys: usage.keys,
        bytesPerSession: usage.bytes / sessions,
        sessionKeyBytes: (usage.byKind.session?.bytes ?? 0) / sessions,
        indexBytesPerSession: (usage.byKind.userIndex?.bytes ?? 0) / sessions,
        usedMemoryPerSession: (after - before) / sessions,
        failures: [],
      };
      const row = results[variant.key];
      ctx.log(
        `  ${variant.name} (${variant.storeName}): ${row.bytesPerSession.toFixed(0)} B/session ` +
          `(${usage.keys} keys; used_memory Δ ${row.usedMemoryPerSession.toFixed(0)} B/session)`,
      );
    } catch (error) {
      results[variant.key] = { sessions, failures: [error.message] };
      ctx.log(`  ${variant.name}: FAILED: ${error.message.split('\n')[0]}`);
    } finally {
      await server?.stop();
      await deletePrefix(ctx.redis, prefix);
    }
  }
  return results;
}
