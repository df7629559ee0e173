import Koa from 'koa';
import Koa2 from 'koa2';
import { describe } from 'vitest';

/** One Koa major the suites run against. */
export interface Framework {
  name: string;
  Koa: typeof Koa;
}

export const frameworks: readonly Framework[] = [
  { name: 'Koa 3', Koa },
  { name: 'Koa 2', Koa: Koa2 },
];

/** Runs `suite` once per Koa major. */
export function describeMatrix(title: string, suite: (framework: Framework) => void): void {
  describe.each(frameworks)(`${title} ($name)`, suite);
}
