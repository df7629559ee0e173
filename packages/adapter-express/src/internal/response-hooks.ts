import { ServerResponse } from 'node:http';

/**
 * Holding the response until the session is committed.
 *
 * The session cookie can only be written once the store has accepted the record (a rotated id
 * the store never saw would log the user out). So the first call that would put bytes on the
 * wire — `writeHead`, `write`, `flushHeaders` or `end`, whoever calls it (`res.send`,
 * `res.redirect`, `stream.pipe(res)`, Node's implicit headers) — first runs the pending work
 * (`context.commitNow()`, a CSRF cookie). When it finishes synchronously (nothing to write, or
 * an in-process store) the call goes straight through on the same tick; when it has to wait (a
 * Redis write), that call and every later one are queued and replayed, in order, once it is
 * done. If the commit fails the response is dropped, never sent: the error goes to Express's
 * error path instead (fail closed).
 *
 * The hooks are defined once, on `ServerResponse.prototype`, and find their state under a
 * symbol on the response: a request costs one small state object and no closure.
 */

type Method = (this: ServerResponse, ...args: unknown[]) => unknown;
type Hooked = 'writeHead' | 'write' | 'end' | 'flushHeaders';

/**
 * `open`: the handler is running, nothing written yet; `committing`: waiting for the commit,
 * calls are queued; `passing`: committed (or failed), every call goes straight through.
 */
type Phase = 'open' | 'committing' | 'passing';

/** Work that must finish before the response's first byte: a session commit, a CSRF cookie. */
export interface BeforeSend {
  /** `undefined` when done synchronously, else a promise; throws or rejects when it fails. */
  commitNow(): unknown;
}

interface HookState {
  /** Run in order before anything is sent. */
  readonly pending: BeforeSend[];
  /** Express's `next` of the sessioner: where a failed commit's error goes. */
  readonly next: (error: unknown) => void;
  /** The methods the hooks stand in front of (what a replay calls). */
  readonly original: Readonly<Record<Hooked, Method>>;
  /** Whether the hooks are the shared prototype ones (else they were put on the response itself). */
  readonly viaPrototype: boolean;
  phase: Phase;
  /** Queued calls: method, arguments, method, arguments… */
  readonly queue: Array<Method | unknown[]>;
  /** A queued `write` answered `false` (backpressure): a `drain` is owed once it is replayed. */
  drainOwed: boolean;
}

type HookedResponse = ServerResponse;

/**
 * Per-response state, held by the response under a symbol (a WeakMap entry per request costs
 * the garbage collector far more: see `exchange.ts`). The hooks live once on
 * `ServerResponse.prototype` and do nothing for a response without state.
 */
const HOLD: unique symbol = Symbol('spartan-sessions.hold');

type HoldingResponse = ServerResponse & { [HOLD]?: HookState };

function stateOf(response: ServerResponse): HookState | undefined {
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
 * Installs the hold on `response`. When the commit fails, the response still unsent, the error
 * goes to `next(error)` (the sessioner's), so the application's error handler answers it.
 */
export function holdResponseUntilCommitted(
  response: ServerResponse,
  work: BeforeSend,
  next: (error: unknown) => void,
): void {
  const existing = stateOf(response);
  if (existing !== undefined) {
    // A second middleware (csrf after the sessioner) adds its work to the same hold.
    if (existing.phase === 'open' && !existing.pending.includes(work)) existing.pending.push(work);
    return;
  }
  installPrototypeHooks();
  const own = response as unknown as Record<Hooked, Method>;
  // The shared prototype hooks serve when nothing in front of them overrides a method of this
  // response; otherwise the hooks go on the response itself, in front of the overrides.
  const viaPrototype = HOOKED.every((name) => own[name] === prototypeHooks[name]);
  (response as HoldingResponse)[HOLD] = {
    pending: [work],
    next,
    original: viaPrototype
      ? nodeMethods!
      : { writeHead: own.writeHead, write: own.write, end: own.end, flushHeaders: own.flushHeaders },
    viaPrototype,
    phase: 'open',
    queue: [],
    drainOwed: false,
  };
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
 * Runs the pending work on the caller's stack as far as it goes synchronously: `pass` when all
 * of it finished (the response goes out on this tick), `queue` when part of it has to wait or
 * failed (then the queued calls are dropped and the error goes to `next`).
 */
function startCommit(response: HookedResponse, state: HookState): Gate {
  const works = state.pending;
  for (let i = 0; i < works.length; i++) {
    let result: unknown;
    try {
      result = works[i]!.commitNow();
    } catch (error) {
      // Failed on the handler's stack: hand the error to Express after the handler has run on,
      // as a failure that waited does, so what the handler still writes is queued and dropped
      // instead of racing the error page.
      state.phase = 'committing';
      queueMicrotask(() => abandon(response, state, error));
      return 'queue';
    }
    if (result instanceof Promise) {
      state.phase = 'committing';
      void finishCommit(response, state, result, i + 1);
      return 'queue';
    }
  }
  state.phase = 'passing';
  return 'pass';
}

/** Never rejects: every outcome ends in a response. */
async function finishCommit(
  response: HookedResponse,
  state: HookState,
  waiting: Promise<unknown>,
  next: number,
): Promise<void> {
  try {
    await waiting;
    for (let i = next; i < state.pending.length; i++) await state.pending[i]!.commitNow();
  } catch (error) {
    abandon(response, state, error);
    return;
  }
  release(response, state);
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

/**
 * Entity headers of the response that will not be sent: the error response must not inherit
 * them (a `Location` would turn it into a redirect, a `Content-Length` would not match).
 */
const DISCARDED_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-range',
  'content-disposition',
  'content-location',
  'etag',
  'last-modified',
  'location',
  'refresh',
  'transfer-encoding',
] as const;

function abandon(response: HookedResponse, state: HookState, error: unknown): void {
  state.phase = 'passing';
  state.queue.length = 0;
  state.drainOwed = false;
  if (response.headersSent) {
    // Something wrote past the hooks; a truncated success must not pass for one.
    response.destroy();
    return;
  }
  try {
    for (const name of DISCARDED_HEADERS) response.removeHeader(name);
    response.setHeader('Cache-Control', 'no-store');
    const status = (error as { status?: unknown } | null)?.status;
    // An error handler that forgets to set a status must not answer with the original 200.
    response.statusCode = typeof status === 'number' ? status : 500;
    state.next(error);
  } catch {
    response.destroy();
  }
}
