import { IncomingMessage } from 'node:http';
import type { Session } from '@spartan-sessions/core';
import { existingExchange } from './exchange.js';

/**
 * `req.session` and `req.sessionID` without adding properties to `req`.
 *
 * Express sets the prototype of every request to its own request object; a property added to
 * such an object afterwards makes V8 build a new hidden class per request (measured: kilobytes
 * of garbage and tens of microseconds a request). So the two accessors are defined once, on
 * `IncomingMessage.prototype`, and read the request's exchange. Where something else already
 * answers `session` for a request prototype (another copy of this adapter, an app's own
 * `app.request.session`), the sessioner falls back to defining them on the request itself.
 */

function sessionOf(request: IncomingMessage): Session | undefined {
  return existingExchange(request)?.context?.session;
}

function getSession(this: IncomingMessage): Session | undefined {
  return sessionOf(this);
}

function setSession(this: IncomingMessage, value: unknown): void {
  // Plain assignment semantics (express-session's `req.session = …`, a test's stub): an own
  // property from now on.
  Object.defineProperty(this, 'session', { value, writable: true, configurable: true, enumerable: true });
}

function getSessionId(this: IncomingMessage): string | undefined {
  return sessionOf(this)?.id;
}

function setSessionId(this: IncomingMessage, value: unknown): void {
  Object.defineProperty(this, 'sessionID', { value, writable: true, configurable: true, enumerable: true });
}

const SESSION: PropertyDescriptor = { configurable: true, enumerable: false, get: getSession, set: setSession };
const SESSION_ID: PropertyDescriptor = { configurable: true, enumerable: false, get: getSessionId, set: setSessionId };

let installed = false;

/** Defines the accessors on `IncomingMessage.prototype` unless something is already there. */
export function installRequestAccessors(): void {
  if (installed) return;
  installed = true;
  const prototype = IncomingMessage.prototype;
  if (!Object.hasOwn(prototype, 'session')) Object.defineProperty(prototype, 'session', SESSION);
  if (!Object.hasOwn(prototype, 'sessionID')) Object.defineProperty(prototype, 'sessionID', SESSION_ID);
}

/** Request prototypes already checked: whether `session`/`sessionID` resolve to ours there. */
const resolvesToOurs = new WeakMap<object, boolean>();

function findDescriptor(start: object | null, name: string): PropertyDescriptor | undefined {
  for (let object = start; object !== null; object = Object.getPrototypeOf(object) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(object, name);
    if (descriptor !== undefined) return descriptor;
  }
  return undefined;
}

/** Makes `request.session` and `request.sessionID` answer from the exchange. */
export function exposeSession(request: IncomingMessage): void {
  if (!Object.hasOwn(request, 'session') && !Object.hasOwn(request, 'sessionID')) {
    const prototype = Object.getPrototypeOf(request) as object | null;
    if (prototype !== null) {
      let ours = resolvesToOurs.get(prototype);
      if (ours === undefined) {
        ours =
          findDescriptor(prototype, 'session')?.get === getSession &&
          findDescriptor(prototype, 'sessionID')?.get === getSessionId;
        resolvesToOurs.set(prototype, ours);
      }
      if (ours) return;
    }
  }
  Object.defineProperty(request, 'session', { ...SESSION, enumerable: true });
  Object.defineProperty(request, 'sessionID', { ...SESSION_ID, enumerable: true });
}
