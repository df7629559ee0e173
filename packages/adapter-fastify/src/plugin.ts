import type { CsrfGuard } from '@spartan-sessions/core';
import { isPromiseLike, type SpartanCore } from '@spartan-sessions/core/adapter';
import type {
  DoneFuncWithErrOrRes,
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  preHandlerHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import { EXCHANGE, exchangeOf, existingExchange, type FastifyExchange, sessionOf } from './exchange.js';
import type { FastifySessionObject } from './index.js';

/** `request.session`: `undefined` before the sessioner's `onRequest` hook (typed as after it). */
function getSession(this: FastifyRequest): FastifySessionObject {
  return sessionOf(this) as FastifySessionObject;
}

function csrfToken(this: FastifyReply): string {
  const exchange = existingExchange(this.request);
  if (exchange === undefined) throw missingSessioner();
  return exchange.scope.csrfToken();
}

function missingSessioner(): Error {
  return new TypeError('spartan-sessions: register sessions.sessioner before csrf() and reply.csrfToken()');
}

/** `request.session`, `reply.csrfToken()` and the exchange slot, once per encapsulation context. */
function decorate(fastify: FastifyInstance): void {
  if (!fastify.hasRequestDecorator(EXCHANGE)) fastify.decorateRequest(EXCHANGE, null);
  if (!fastify.hasRequestDecorator('session')) fastify.decorateRequest('session', { getter: getSession });
  if (!fastify.hasReplyDecorator('csrfToken')) fastify.decorateReply('csrfToken', csrfToken);
}

/**
 * `sessions.sessioner`: a plugin (`fastify-plugin`, so the hooks and decorations reach the
 * context it is registered in). `onRequest` loads the session before any user `preHandler`;
 * `onSend` commits it before anything is sent, whoever sends (a handler, a hook, the error
 * handler, a redirect, a stream).
 */
export function createSessioner(core: SpartanCore): FastifyPluginCallback {
  function onRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const scope = exchangeOf(core, request, reply).scope;
    let loading: ReturnType<typeof scope.startSession>;
    try {
      loading = scope.startSession();
    } catch (error) {
      done(error as Error);
      return;
    }
    // A second sessioner on the same request (registered twice): the first one owns the session.
    if (loading === null) done();
    // A refused privileged request goes to the error handler; its session stays readable there.
    else if (isPromiseLike(loading)) loading.then(() => done(scope.refusal ?? undefined), done);
    else done(scope.refusal ?? undefined);
  }

  function onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: DoneFuncWithErrOrRes): void {
    const exchange = existingExchange(request);
    if (exchange === undefined || exchange.failed) {
      done(null, payload);
      return;
    }
    let work: ReturnType<typeof exchange.scope.beforeSend>;
    try {
      work = exchange.scope.beforeSend();
    } catch (error) {
      fail(exchange, reply, payload, error, done);
      return;
    }
    if (isPromiseLike(work)) {
      work.then(
        () => done(null, payload),
        (error: unknown) => fail(exchange, reply, payload, error, done),
      );
    } else {
      done(null, payload);
    }
  }

  const sessioner: FastifyPluginCallback = (fastify, _options, done) => {
    decorate(fastify);
    fastify.addHook('onRequest', onRequest);
    fastify.addHook('onSend', onSend);
    done();
  };

  return fp(sessioner, { fastify: '5.x', name: '@spartan-sessions/adapter-fastify' });
}

/**
 * The commit failed: the reply is not sent. Core prepares the error response's headers and
 * status, and the error goes to Fastify's error handler (fail closed: a 503, never the 200).
 */
function fail(
  exchange: FastifyExchange,
  reply: FastifyReply,
  payload: unknown,
  error: unknown,
  done: DoneFuncWithErrOrRes,
): void {
  exchange.failed = true;
  (payload as { destroy?: () => void } | null)?.destroy?.();
  const status = exchange.scope.failureResponse(error);
  if (status === null) {
    // Something wrote past the reply: a truncated success must not pass for one.
    reply.raw.destroy();
    return;
  }
  reply.code(status);
  done(error as Error);
}

/** `sessions.csrf(options)`: a `preHandler` hook; a refusal (403) goes to the error handler. */
export function createCsrfHook(core: SpartanCore, guard: CsrfGuard): preHandlerHookHandler {
  return function csrf(request, reply, done): void {
    if (existingExchange(request) === undefined) {
      done(missingSessioner());
      return;
    }
    const scope = exchangeOf(core, request, reply).scope;
    let checking: ReturnType<typeof scope.csrf>;
    try {
      checking = scope.csrf(guard);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (isPromiseLike(checking)) checking.then(() => done(), done);
    else done();
  };
}
