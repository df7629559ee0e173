import express from 'express';
import express4 from 'express4';
import { describe } from 'vitest';

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
