import type { ServerResponse } from 'node:http';

/**
 * Holding the response until the session is committed.
 *
 * The session cookie can only be written once the store has accepted the record (a rotated id
 * the store never saw would log the user out), and store writes are asynchronous. So the first
 * call that would put bytes on the wire — `writeHead`, `write`, `flushHeaders` or `end`, whoever
 * calls it (`res.send`, `res.redirect`, `stream.pipe(res)`, Node's implicit headers) — starts
 * the pending work (`context.commit()`, a CSRF cookie), and it and every later call are queued and replayed, in order, once the
 * commit is done. If the commit fails the queued response is dropped, never sent: the error
 * goes to Express's error path instead (fail closed).
 *
 * The hooks are module-level functions reading their state from the response, so a request
 * costs one small state object, no closures.
 */

const HOOKS: unique symbol = Symbol('spartan-sessions.express.hooks');

type Method = (this: ServerResponse, ...args: unknown[]) => unknown;

/**
 * `open`: the handler is running, nothing written yet; `committing`: calls are queued;
 * `passing`: committed (or failed), every call goes straight through.
 */
type Phase = 'open' | 'committing' | 'passing';

/** Work that must finish before the response's first byte: a session commit, a CSRF cookie. */
export interface BeforeSend {
  commit(): Promise<void>;
}

interface HookState {
  /** Run in order before anything is sent. */
  readonly pending: BeforeSend[];
  /** Express's `next` of the sessioner: where a failed commit's error goes. */
  readonly next: (error: unknown) => void;
  readonly writeHead: Method;
  readonly write: Method;
  readonly end: Method;
  readonly flushHeaders: Method;
  phase: Phase;
  /** Queued calls: method, arguments, method, arguments… */
  readonly queue: Array<Method | unknown[]>;
  /** A queued `write` answered `false` (backpressure): a `drain` is owed once it is replayed. */
  drainOwed: boolean;
}

interface HookedResponse extends ServerResponse {
  [HOOKS]?: HookState;
}

/**
 * Installs the hooks on `response`. When the commit fails, the response still unsent, the error
 * goes to `next(error)` (the sessioner's), so the application's error handler answers it.
 */
export function holdResponseUntilCommitted(
  response: ServerResponse,
  work: BeforeSend,
  next: (error: unknown) => void,
): void {
  const hooked = response as HookedResponse;
  const existing = hooked[HOOKS];
  if (existing !== undefined) {
    // A second middleware (csrf after the sessioner) adds its work to the same hold.
    if (existing.phase === 'open' && !existing.pending.includes(work)) existing.pending.push(work);
    return;
  }
  const own = response as unknown as Record<'writeHead' | 'write' | 'end' | 'flushHeaders', Method>;
  hooked[HOOKS] = {
    pending: [work],
    next,
    writeHead: own.writeHead,
    write: own.write,
    end: own.end,
    flushHeaders: own.flushHeaders,
    phase: 'open',
    queue: [],
    drainOwed: false,
  };
  own.writeHead = hookedWriteHead;
  own.write = hookedWrite;
  own.end = hookedEnd;
  own.flushHeaders = hookedFlushHeaders;
}

function hookedWriteHead(this: HookedResponse, ...args: unknown[]): unknown {
  const state = this[HOOKS]!;
  if (state.phase === 'passing') return state.writeHead.apply(this, args);
  hold(this, state, state.writeHead, args);
  return this;
}

function hookedWrite(this: HookedResponse, ...args: unknown[]): unknown {
  const state = this[HOOKS]!;
  if (state.phase === 'passing') return state.write.apply(this, args);
  hold(this, state, state.write, args);
  // Backpressure: a piped stream pauses until the `drain` emitted after the replay.
  state.drainOwed = true;
  return false;
}

function hookedEnd(this: HookedResponse, ...args: unknown[]): unknown {
  const state = this[HOOKS]!;
  if (state.phase === 'passing') return state.end.apply(this, args);
  hold(this, state, state.end, args);
  return this;
}

function hookedFlushHeaders(this: HookedResponse, ...args: unknown[]): unknown {
  const state = this[HOOKS]!;
  if (state.phase === 'passing') return state.flushHeaders.apply(this, args);
  hold(this, state, state.flushHeaders, args);
  return undefined;
}

function hold(response: HookedResponse, state: HookState, method: Method, args: unknown[]): void {
  state.queue.push(method, args);
  if (state.phase === 'open') {
    state.phase = 'committing';
    void commitThenRelease(response, state);
  }
}

/** Never rejects: every outcome ends in a response. */
async function commitThenRelease(response: HookedResponse, state: HookState): Promise<void> {
  try {
    for (const work of state.pending) await work.commit();
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
      if (method === state.write) writable = result !== false;
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
