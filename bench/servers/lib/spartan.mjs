// The store every spartan-sessions contender runs on: STORE=memory core's MemoryStore (room for
// the growth scenario), STORE=redis @spartan-sessions/store-redis on the server's node-redis
// client (`redis` 6, as connect-redis 11 runs on today), or, with SPARTAN_REDIS_CLIENT=ioredis
// (set by the *-spartan-ioredis.mjs servers, our second Redis row), on its ioredis client with
// auto-pipelining.
import { MemoryStore } from '@spartan-sessions/core';
import { RedisStore } from '@spartan-sessions/store-redis';
import { nodeRedisClient, redisClient, settings } from './common.mjs';

/** Resolves once the store's Redis client is connected, so await it before `announce`. */
export async function spartanStore() {
  if (settings.store !== 'redis') return new MemoryStore({ maxSessions: settings.maxSessions });
  const name = process.env.SPARTAN_REDIS_CLIENT ?? 'node-redis';
  if (name !== 'node-redis' && name !== 'ioredis') {
    throw new Error(`SPARTAN_REDIS_CLIENT=${name}: expected node-redis (the default) or ioredis`);
  }
  const client = name === 'ioredis' ? redisClient() : await nodeRedisClient();
  return new RedisStore({ client, prefix: settings.prefix });
}
