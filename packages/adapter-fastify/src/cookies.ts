import {
  type CookieMakerFor,
  type CookieMonsterFor,
  type CookieReaderFor,
  cookieFunctionsOver,
  type NodeCallback,
  type SpartanCore,
} from '@spartan-sessions/core/adapter';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { exchangeOf, existingExchange, FastifyExchange } from './exchange.js';

/** A node-style callback, as the original module takes them. */
export type CookieCallback<T> = NodeCallback<T>;
/** `cookieMaker(request, reply, { name, value, options }, callback?)`. */
export type CookieMaker = CookieMakerFor<FastifyRequest, FastifyReply>;
/** `cookieMonster(reply, { name, options }, callback?)`. */
export type CookieMonster = CookieMonsterFor<FastifyReply>;
/** `cookieReader(request)` → `{ get(name), sealed(name) }`. */
export type CookieReaderFactory = CookieReaderFor<FastifyRequest>;

/** The three cookie tools of SPEC §7 over the request's scope. */
export function createCookieFunctions(core: SpartanCore): {
  cookieMaker: CookieMaker;
  cookieMonster: CookieMonster;
  cookieReader: CookieReaderFactory;
} {
  return cookieFunctionsOver<FastifyRequest, FastifyReply>({
    ofExchange: (request, reply) => exchangeOf(core, request, reply).scope,
    ofResponse: (reply) => exchangeOf(core, reply.request, reply).scope,
    // A request alone has no reply: read through its exchange, or a read-only one.
    ofRequest: (request) => (existingExchange(request) ?? new FastifyExchange(core, request, null)).scope,
  });
}
