export type {
  MongooseConnectionLike,
  MongoStoreBaseOptions,
  MongoStoreClientOptions,
  MongoStoreCollectionOptions,
  MongoStoreDbOptions,
  MongoStoreMongooseOptions,
  MongoStoreOptions,
  MongoStoreUrlOptions,
} from './mongo-store.js';
export { MongoStore } from './mongo-store.js';
