// Bytes allocated per request, returning visitor: every contender (bare frameworks included)
// under V8's sampling heap profiler while its signed-in visitors hit `/hit` (a store read and a
// write). The one figure of a run that does not move with the machine's noise: what a request
// allocates repeats within about 1% from run to run, and the garbage collector's share of the
// CPU follows it. One measurement per contender (no repetitions needed).
import { join } from 'node:path';
import { measureAllocation } from '../lib/alloc.mjs';
import { deletePrefix } from '../lib/redis.mjs';

export async function runAlloc(ctx, variants) {
  const results = {};
  const prefix = `${ctx.prefix}alloc:`;
  for (const variant of variants) {
    try {
      const measured = await measureAllocation({
        serverFile: join(ctx.dirs.servers, variant.file),
        core: ctx.cores.server,
        cwd: ctx.dirs.bench,
        env: { STORE: variant.store, PREFIX: prefix, REDIS_URL: ctx.redisUrl },
        connections: ctx.config.connections,
        warmup: ctx.config.allocWarmup,
        requests: ctx.config.allocRequests,
      });
      const packages = [...measured.byPackage].sort((a, b) => b[1] - a[1]).slice(0, 4);
      results[variant.key] = {
        bytesPerRequest: measured.bytes,
        requests: measured.requests,
        topPackages: packages.map(([name, bytes]) => ({ name, bytes })),
        failures: [],
      };
      ctx.log(`  ${variant.name} (${variant.storeName}): ${(measured.bytes / 1024).toFixed(1)} KB/request`);
    } catch (error) {
      results[variant.key] = { failures: [error.message] };
      ctx.log(`  ${variant.name}: FAILED: ${error.message.split('\n')[0]}`);
    } finally {
      if (ctx.redis !== null && variant.store === 'redis') await deletePrefix(ctx.redis, prefix);
    }
  }
  return results;
}
