export type { IoredisClient, NodeRedisClient, RedisClient } from './internal/link.js';
export type {
  RedisStoreBaseOptions,
  RedisStoreClientOptions,
  RedisStoreOptions,
  RedisStoreUrlOptions,
} from './redis-store.js';
export { RedisStore } from './redis-store.js';
