export type {
  RedisStoreBaseOptions,
  RedisStoreClientOptions,
  RedisStoreOptions,
  RedisStoreUrlOptions,
  SetOrGetResult,
} from './redis-store.js';
export { RedisStore } from './redis-store.js';
