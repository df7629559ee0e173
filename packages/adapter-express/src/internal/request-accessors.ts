import { IncomingMessage } from 'node:http';
import type { Session } from '@spartan-sessions/core';
import { existingNodeScope } from '@spartan-sessions/core/node';

/**
 * `req.session`, `req.sessionID` and `req.csrfToken()` without adding properties to `req`.
 *
 * Express sets the prototype of every request to its own request object; a property added to
 * such an object afterwards makes V8 build a new hidden class per request (measured: kilobytes
 * of garbage and tens of microseconds a request). So the two accessors are defined once, on
 * `IncomingMessage.prototype`, and read the request's exchange. Where something else already
 * answers `session` for a request prototype (another copy of this adapter, an app's own
 * `app.request.session`), the sessioner falls back to defining them on the request itself.
 */

function sessionOf(request: IncomingMessage): Session | undefined {
  return existingNodeScope(request)?.session;
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

function getCsrfToken(this: IncomingMessage): (() => string) | undefined {
  return existingNodeScope(this)?.csrfTokenFunction;
}

function setCsrfToken(this: IncomingMessage, value: unknown): void {
  Object.defineProperty(this, 'csrfToken', { value, writable: true, configurable: true, enumerable: true });
}

const SESSION: PropertyDescriptor = { configurable: true, enumerable: false, get: getSession, set: setSession };
const SESSION_ID: PropertyDescriptor = { configurable: true, enumerable: false, get: getSessionId, set: setSessionId };
const CSRF_TOKEN: PropertyDescriptor = { configurable: true, enumerable: false, get: getCsrfToken, set: setCsrfToken };

let installed = false;

/** Defines the accessors on `IncomingMessage.prototype` unless something is already there. */
export function installRequestAccessors(): void {
  if (installed) return;
  installed = true;
  const prototype = IncomingMessage.prototype;
  if (!Object.hasOwn(prototype, 'session')) Object.defineProperty(prototype, 'session', SESSION);
  if (!Object.hasOwn(prototype, 'sessionID')) Object.defineProperty(prototype, 'sessionID', SESSION_ID);
  if (!Object.hasOwn(prototype, 'csrfToken')) Object.defineProperty(prototype, 'csrfToken', CSRF_TOKEN);
}

/** Request prototypes already checked, per member: whether it resolves to ours there. */
const sessionIsOurs = new WeakMap<object, boolean>();
const csrfTokenIsOurs = new WeakMap<object, boolean>();

/** Whether `name` of objects with this prototype chain is answered by our accessor. */
function resolvesToOurs(request: IncomingMessage, cache: WeakMap<object, boolean>, check: () => boolean): boolean {
  const prototype = Object.getPrototypeOf(request) as object | null;
  if (prototype === null) return false;
  let ours = cache.get(prototype);
  if (ours === undefined) {
    ours = check.call(prototype);
    cache.set(prototype, ours);
  }
  return ours;
}

function findDescriptor(start: object | null, name: string): PropertyDescriptor | undefined {
  for (let object = start; object !== null; object = Object.getPrototypeOf(object) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(object, name);
    if (descriptor !== undefined) return descriptor;
  }
  return undefined;
}

function sessionAccessorsAreOurs(this: object): boolean {
  return findDescriptor(this, 'session')?.get === getSession && findDescriptor(this, 'sessionID')?.get === getSessionId;
}

function csrfTokenAccessorIsOurs(this: object): boolean {
  return findDescriptor(this, 'csrfToken')?.get === getCsrfToken;
}

/** Makes `request.session` and `request.sessionID` answer from the exchange. */
export function exposeSession(request: IncomingMessage): void {
  if (
    !Object.hasOwn(request, 'session') &&
    !Object.hasOwn(request, 'sessionID') &&
    resolvesToOurs(request, sessionIsOurs, sessionAccessorsAreOurs)
  ) {
    return;
  }
  Object.defineProperty(request, 'session', { ...SESSION, enumerable: true });
  Object.defineProperty(request, 'sessionID', { ...SESSION_ID, enumerable: true });
}

/** Makes `request.csrfToken()` mint tokens of the request's CSRF issuer. */
export function exposeCsrfToken(request: IncomingMessage): void {
  if (!Object.hasOwn(request, 'csrfToken') && resolvesToOurs(request, csrfTokenIsOurs, csrfTokenAccessorIsOurs)) {
    return;
  }
  Object.defineProperty(request, 'csrfToken', { ...CSRF_TOKEN, enumerable: true });
}
