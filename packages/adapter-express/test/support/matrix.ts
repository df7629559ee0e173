import type { Clock } from '@spartan-sessions/core';
import express from 'express';
import express4 from 'express4';
import { describe } from 'vitest';
import { type ProbeStore, storeKinds } from './stores.js';

/** One Express major the suites run against. */
export interface Framework {
  name: string;
  express: typeof express;
}

export const frameworks: readonly Framework[] = [
  { name: 'Express 5', express },
  { name: 'Express 4', express: express4 },
];

/** Runs `suite` once per Express major (h3's `describeMatrix`). */
export function describeMatrix(title: string, suite: (framework: Framework) => void): void {
  describe.each(frameworks)(`${title} ($name)`, suite);
}

/** One Express major with one kind of store: the asynchronous and the synchronous path of core. */
export interface FrameworkAndStore extends Framework {
  store: string;
  makeStore(clock?: Clock): ProbeStore;
}

/** Runs `suite` per Express major × store kind (promise methods / synchronous twins). */
export function describeStoreMatrix(title: string, suite: (setup: FrameworkAndStore) => void): void {
  const rows = frameworks.flatMap((framework) =>
    storeKinds.map((kind) => ({ ...framework, store: kind.name, makeStore: kind.make })),
  );
  describe.each(rows)(`${title} ($name, $store)`, suite);
}
