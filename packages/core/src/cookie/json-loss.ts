/**
 * What a JSON round trip (`JSON.parse(JSON.stringify(value))`) would lose of `value`: a short,
 * safe description of the first thing that would not come back as it went in, or `null` when
 * the value survives. A sealed value must survive: `JSON.stringify` turns a `Date` into a
 * string, a `Map` into `{}`, `NaN` into `null` and a class instance into a plain object, and
 * the reader would get something else than was sealed, silently.
 *
 * Survives: `null`, strings, booleans, finite numbers, arrays (of `Array.prototype`, no holes,
 * no `undefined` element, no extra properties) and plain objects (`Object.prototype` or a null
 * prototype; enumerable string keys only). A property whose value is `undefined` is accepted
 * and comes back absent, which reads the same (iron-webcrypto 2's encoder draws the same line).
 * A shared (non-circular) reference comes back as an equal copy.
 *
 * The description names a kind (`a Date`, `NaN`, `a circular reference`), never a key or a
 * value: it goes into an error message, and keys can be user data. Iterative, so a deeply
 * nested value cannot overflow the stack here.
 */
export function jsonLossOf(root: unknown): string | null {
  // Objects whose walk has begun and not ended (the ancestors of the value being looked at):
  // meeting one again is a cycle. Objects fully walked are fine to meet again (shared).
  const open = new Set<object>();
  const done = new Set<object>();
  // Values to look at; an `Exit` marks where an object's walk ends.
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value instanceof Exit) {
      open.delete(value.object);
      done.add(value.object);
      continue;
    }
    const loss = primitiveLossOf(value);
    if (loss !== undefined) {
      if (loss === null) continue;
      return loss;
    }
    const object = value as object;
    if (open.has(object)) return 'a circular reference';
    if (done.has(object)) continue;
    const children = Array.isArray(object) ? arrayChildren(object) : objectChildren(object);
    if (typeof children === 'string') return children;
    open.add(object);
    pending.push(new Exit(object));
    // One by one: a spread of a long array could exceed the engine's argument limit.
    for (const child of children) pending.push(child);
  }
  return null;
}

/** Where the walk of `object` ends (pushed below its children). */
class Exit {
  constructor(readonly object: object) {}
}

/** `null` for a primitive that survives, its loss for one that does not, `undefined` for an object. */
function primitiveLossOf(value: unknown): string | null | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : String(value);
    case 'object':
      return value === null ? null : undefined;
    case 'undefined':
      // Only as the value itself: `JSON.stringify(undefined)` is no JSON at all. (Elements and
      // properties holding `undefined` are judged by their array or object.)
      return 'undefined';
    default:
      // bigint, function, symbol.
      return `a ${typeof value}`;
  }
}

function arrayChildren(array: unknown[]): unknown[] | string {
  if (Object.getPrototypeOf(array) !== Array.prototype) return instanceLoss(array);
  // Own keys are the indices present plus `length`: anything else is a property JSON drops.
  const keys = Reflect.ownKeys(array);
  for (let i = 0; i < array.length; i++) {
    // A hole, or an element that is `undefined`: both come back as `null`.
    if (!Object.hasOwn(array, i) || array[i] === undefined) return 'an undefined element or a hole in an array';
  }
  if (keys.length !== array.length + 1) return 'a property on an array other than its elements';
  return array;
}

function objectChildren(object: object): unknown[] | string {
  const prototype: unknown = Reflect.getPrototypeOf(object);
  if (prototype !== null && prototype !== Object.prototype) return instanceLoss(object);
  const children: unknown[] = [];
  for (const key of Reflect.ownKeys(object)) {
    if (typeof key === 'symbol') return 'a symbol key';
    if (!Object.prototype.propertyIsEnumerable.call(object, key)) return 'a non-enumerable property';
    const child: unknown = (object as Record<string, unknown>)[key];
    // JSON leaves the key out, and an absent key reads as `undefined` too.
    if (child !== undefined) children.push(child);
  }
  return children;
}

/** "an instance of Date", "an instance of Map", "an instance of Point". */
function instanceLoss(object: object): string {
  const maker: unknown = (object as { constructor?: unknown }).constructor;
  const name = typeof maker === 'function' ? maker.name : '';
  return name === '' ? 'an object with a prototype other than Object.prototype' : `an instance of ${name}`;
}
