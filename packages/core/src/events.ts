import type { SessionEvent, SessionEventListener } from './ports.js';

/**
 * The one way core reports an audit event: `listener(event)`, and nothing it does — throw,
 * or (typed `void` but written `async`) reject — ever reaches the request that emitted it.
 */
export function createEmitter(listener: SessionEventListener | undefined): (event: SessionEvent) => void {
  if (listener === undefined) return () => {};
  return (event) => {
    try {
      const result: unknown = listener(event);
      if (result instanceof Promise) result.catch(() => {});
    } catch {
      // An audit listener must never break a request.
    }
  };
}
