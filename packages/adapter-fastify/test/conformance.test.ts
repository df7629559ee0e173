/**
 * The adapter conformance kit of `@spartan-sessions/core/testing` on Fastify 5 (with core's
 * synchronous and asynchronous store paths, which the kit runs by itself).
 */
import { describeAdapterConformance } from '@spartan-sessions/core/testing';
import { fastifyHarness } from './support/kit.js';

describeAdapterConformance('Fastify 5', fastifyHarness);
