// The store every spartan-sessions contender runs on: STORE=memory core's MemoryStore (room for
// the growth scenario), STORE=redis @spartan-sessions/store-redis on the server's ioredis client.
import { MemoryStore } from '@spartan-sessions/core';
import { RedisStore } from '@spartan-sessions/store-redis';
import { redisClient, settings } from './common.mjs';

export function spartanStore() {
  return settings.store === 'redis'
    ? new RedisStore({ client: redisClient(), prefix: settings.prefix })
    : new MemoryStore({ maxSessions: settings.maxSessions });
}
