/**
 * The adapter conformance kit of `@spartan-sessions/core/testing` on Koa 3 and Koa 2 (each with
 * core's synchronous and asynchronous store paths, which the kit runs by itself).
 */
import { describeAdapterConformance } from '@spartan-sessions/core/testing';
import { koaHarness } from './support/kit.js';
import { frameworks } from './support/matrix.js';

for (const framework of frameworks) describeAdapterConformance(framework.name, koaHarness(framework));
