/** A call held by `holdingClient`: the test decides when it proceeds. */
export interface HeldCall {
  /** Resolves with the call's arguments once the call has been made (and is being held). */
  readonly reached: Promise<unknown[]>;
  /** Lets the held call go on to Redis. */
  release(): void;
  /** Whether the call has been made. */
  readonly isReached: boolean;
}

/**
 * A view of `client` whose first call of `method` naming `key` (as an argument, or in an array
 * argument such as MGET's keys) waits for `release()` before it is sent: a test places another store call exactly between
 * two steps of a store call, without sleeping. Everything else goes straight to `client`
 * (methods run bound to it, so scripts defined through the view are defined on the client).
 */
export function holdingClient<T extends object>(client: T, method: string, key: string): { client: T; held: HeldCall } {
  let reachedWith: (args: unknown[]) => void = () => {};
  const reached = new Promise<unknown[]>((resolve) => {
    reachedWith = resolve;
  });
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let isReached = false;
  const proxy = new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property !== method) return value.bind(target);
      return async (...args: unknown[]) => {
        if (!isReached && args.flat().includes(key)) {
          isReached = true;
          reachedWith(args);
          await released;
        }
        return (value as (...params: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    client: proxy,
    held: {
      reached,
      release,
      get isReached() {
        return isReached;
      },
    },
  };
}
