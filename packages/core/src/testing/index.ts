// `@spartan-sessions/core/testing`: what tests of spartan-sessions and of its store packages
// share. Imports `vitest` (an optional peer dependency), so it is never part of the main entry.
export type { MemoryStoreOptions, MemoryStoreStats } from '../store/memory-store.js';
export { MemoryStore } from '../store/memory-store.js';
export type {
  AdapterHarness,
  KitApp,
  KitReply,
  KitRequest,
  KitRoute,
  KitServer,
  KitSpartanOptions,
} from './adapter-conformance.js';
export { describeAdapterConformance } from './adapter-conformance.js';
export type { FakeClock } from './fake-clock.js';
export { createFakeClock } from './fake-clock.js';
export type { StoreConformanceFactory } from './store-conformance.js';
export { describeStoreConformance } from './store-conformance.js';
export { makeStoredSession, STORED_SESSION_TIME } from './stored-session.js';
