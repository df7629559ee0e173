import { type IncomingMessage, ServerResponse } from 'node:http';
import type { RequestScope } from '../adapter/request-scope.js';
import { existingNodeScope } from './http.js';

/**
 * Holding a Node response until the request's scope has done its work (`beforeSend`): for any
 * adapter over Node's `http` (Express; a framework that writes through `ServerResponse`).
 *
 * The session cookie can only be written once the store has accepted the record (a rotated id
 * the store never saw would log the user out). So the first call that would put bytes on the
 * wire — `writeHead`, `write`, `flushHeaders` or `end`, whoever calls it (`res.send`,
 * `res.redirect`, `stream.pipe(res)`, Node's implicit headers) — first runs the pending work
 * (`scope.beforeSend()`: the session's commit, a CSRF cookie). When it finishes synchronously
 * (nothing to write, or an in-process store) the call goes straight through on the same tick;
 * when it has to wait (a Redis write), that call and every later one are queued and replayed,
 * in order, once it is done. If the work fails the response is dropped, never sent: the
 * scope prepares the error response's headers (`failureResponse`) and the error goes to the
 * framework's error path instead (fail closed).
 *
 * The hooks are defined once, on `ServerResponse.prototype`, and find their state through the
 * response's request (`res.req`, set by Node) in the request's scope (`adapterState`): a
 * request costs one small state object, no closure, and no property added to the response.
 */

type Method = (this: ServerResponse, ...args: unknown[]) => unknown;
type Hooked = 'writeHead' | 'write' | 'end' | 'flushHeaders';

/**
 * `open`: the handler is running, nothing written yet; `committing`: waiting for the commit,
 * calls are queued; `passing`: committed (or failed), every call goes straight through.
 */
type Phase = 'open' | 'committing' | 'passing';

class HookState {
  /** `open` until the first call that would send bytes. */
  phase: Phase = 'open';
  /** Queued calls: method, arguments, method, arguments… */
  readonly queue: Array<Method | unknown[]> = [];
  /** A queued `write` answered `false` (backpressure): a `drain` is owed once it is replayed. */
  drainOwed = false;

  constructor(
    /** The response held. */
    readonly response: ServerResponse,
    /** Whose work runs before anything is sent. */
    readonly scope: RequestScope,
    /** Where a failed work's error goes (Express: the sessioner's `next`). */
    readonly onFailure: (error: unknown) => void,
    /** The methods the hooks stand in front of (what a replay calls). */
    readonly original: Readonly<Record<Hooked, Method>>,
    /** Whether the hooks are the shared prototype ones (else they were put on the response itself). */
    readonly viaPrototype: boolean,
  ) {}
}

type HookedResponse = ServerResponse;

/**
 * Where a response's state lives. Normally in its request's scope (`RequestScope.adapterState`,
 * the request found as `res.req`), because adding any property to a request or response that
 * Express has given its own prototype builds a new hidden class for that one object (a map and a
 * copy of its ~40 property descriptors: ~1.7 KB of garbage a request, measured with the
 * sampling heap profiler; docs/performance.md). Under a symbol on the response only when that
 * path is not there (a response without `req`, a scope that is not its request's). A WeakMap is
 * no way out either: every entry of a short-lived key costs each garbage collection
 * (docs/decisions.md).
 */
const HOLD: unique symbol = Symbol('spartan-sessions.hold');

type HoldingResponse = ServerResponse & { [HOLD]?: HookState; req?: IncomingMessage };

function stateOf(response: ServerResponse): HookState | undefined {
  const held = existingNodeScope((response as HoldingResponse).req)?.adapterState;
  if (held instanceof HookState && held.response === response) return held;
  return (response as HoldingResponse)[HOLD];
}

const prototype = ServerResponse.prototype as unknown as Record<Hooked, Method>;
const HOOKED: readonly Hooked[] = ['writeHead', 'write', 'end', 'flushHeaders'];
let nodeMethods: Readonly<Record<Hooked, Method>> | null = null;

const prototypeHooks: Readonly<Record<Hooked, Method>> = {
  writeHead(...args) {
    const state = stateOf(this);
    if (state === undefined || !state.viaPrototype) return nodeMethods!.writeHead.apply(this, args);
    return gated(this, state, state.original.writeHead, args, this);
  },
  write(...args) {
    const state = stateOf(this);
    if (state === undefined || !state.viaPrototype) return nodeMethods!.write.apply(this, args);
    return gatedWrite(this, state, args);
  },
  end(...args) {
    const state = stateOf(this);
    if (state === undefined || !state.viaPrototype) return nodeMethods!.end.apply(this, args);
    return gated(this, state, state.original.end, args, this);
  },
  flushHeaders(...args) {
    const state = stateOf(this);
    if (state === undefined || !state.viaPrototype) return nodeMethods!.flushHeaders.apply(this, args);
    return gated(this, state, state.original.flushHeaders, args, undefined);
  },
};

/** Hooks put on one response whose methods something else already overrides (e.g. compression). */
const instanceHooks: Readonly<Record<Hooked, Method>> = {
  writeHead(...args) {
    const state = stateOf(this)!;
    return gated(this, state, state.original.writeHead, args, this);
  },
  write(...args) {
    return gatedWrite(this, stateOf(this)!, args);
  },
  end(...args) {
    const state = stateOf(this)!;
    return gated(this, state, state.original.end, args, this);
  },
  flushHeaders(...args) {
    const state = stateOf(this)!;
    return gated(this, state, state.original.flushHeaders, args, undefined);
  },
};

function installPrototypeHooks(): void {
  if (nodeMethods !== null) return;
  nodeMethods = {
    writeHead: prototype.writeHead,
    write: prototype.write,
    end: prototype.end,
    flushHeaders: prototype.flushHeaders,
  };
  for (const name of HOOKED) {
    Object.defineProperty(prototype, name, {
      value: prototypeHooks[name],
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}

/**
 * Holds `response` until `scope.beforeSend()` is done. When it fails, the response still
 * unsent, the error goes to `onFailure(error)` so the application's error handler answers it.
 * A second call for the same response is a no-op (the sessioner and csrf() share one hold).
 */
export function holdResponse(response: ServerResponse, scope: RequestScope, onFailure: (error: unknown) => void): void {
  if (stateOf(response) !== undefined) return;
  installPrototypeHooks();
  const own = response as unknown as Record<Hooked, Method>;
  // The shared prototype hooks serve when nothing in front of them overrides a method of this
  // response; otherwise the hooks go on the response itself, in front of the overrides.
  const viaPrototype =
    own.writeHead === prototypeHooks.writeHead &&
    own.write === prototypeHooks.write &&
    own.end === prototypeHooks.end &&
    own.flushHeaders === prototypeHooks.flushHeaders;
  const state = new HookState(
    response,
    scope,
    onFailure,
    viaPrototype
      ? nodeMethods!
      : { writeHead: own.writeHead, write: own.write, end: own.end, flushHeaders: own.flushHeaders },
    viaPrototype,
  );
  const request = (response as HoldingResponse).req;
  if (request !== undefined && existingNodeScope(request) === scope && scope.adapterState === undefined) {
    scope.adapterState = state;
  } else {
    (response as HoldingResponse)[HOLD] = state;
  }
  if (!viaPrototype) for (const name of HOOKED) own[name] = instanceHooks[name];
}

/** What happens to a call that would send bytes: it goes through, or waits in the queue. */
type Gate = 'pass' | 'queue';

function admit(response: HookedResponse, state: HookState): Gate {
  if (state.phase === 'passing') return 'pass';
  if (state.phase === 'committing') return 'queue';
  return startCommit(response, state);
}

/** `writeHead`, `end`, `flushHeaders`: through, or queued (answering as the method would). */
function gated(response: HookedResponse, state: HookState, method: Method, args: unknown[], answer: unknown): unknown {
  if (admit(response, state) === 'pass') return method.apply(response, args);
  state.queue.push(method, args);
  return answer;
}

function gatedWrite(response: HookedResponse, state: HookState, args: unknown[]): unknown {
  if (admit(response, state) === 'pass') return state.original.write.apply(response, args);
  state.queue.push(state.original.write, args);
  // Backpressure: a piped stream pauses until the `drain` emitted after the replay.
  state.drainOwed = true;
  return false;
}

/**
 * Runs the scope's work on the caller's stack as far as it goes synchronously: `pass` when it
 * finished (the response goes out on this tick), `queue` when it has to wait or failed (then
 * the queued calls are dropped and the error goes to `onFailure`).
 */
function startCommit(response: HookedResponse, state: HookState): Gate {
  let result: unknown;
  try {
    result = state.scope.beforeSend();
  } catch (error) {
    // Failed on the handler's stack: hand the error on after the handler has run on, as a
    // failure that waited does, so what the handler still writes is queued and dropped instead
    // of racing the error page.
    state.phase = 'committing';
    queueMicrotask(() => abandon(response, state, error));
    return 'queue';
  }
  if (result instanceof Promise) {
    state.phase = 'committing';
    result.then(
      () => release(response, state),
      (error: unknown) => abandon(response, state, error),
    );
    return 'queue';
  }
  state.phase = 'passing';
  return 'pass';
}

function release(response: HookedResponse, state: HookState): void {
  state.phase = 'passing';
  const queue = state.queue.splice(0);
  let writable = true;
  try {
    for (let i = 0; i < queue.length; i += 2) {
      const method = queue[i] as Method;
      const result = method.apply(response, queue[i + 1] as unknown[]);
      if (method === state.original.write) writable = result !== false;
    }
  } catch {
    // What Node would have thrown at the handler (a write after end, a bad header): the handler
    // is gone, so end the exchange rather than leave it hanging.
    response.destroy();
    return;
  }
  if (state.drainOwed) {
    state.drainOwed = false;
    // Node emits its own `drain` when the last replayed write was buffered.
    if (writable && !response.writableEnded) response.emit('drain');
  }
}

function abandon(response: HookedResponse, state: HookState, error: unknown): void {
  state.phase = 'passing';
  state.queue.length = 0;
  state.drainOwed = false;
  try {
    const status = state.scope.failureResponse(error);
    if (status === null) {
      // Something wrote past the hooks; a truncated success must not pass for one.
      response.destroy();
      return;
    }
    response.statusCode = status;
    state.onFailure(error);
  } catch {
    response.destroy();
  }
}
