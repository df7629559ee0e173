import { createRequire } from 'node:module';
import type * as Ioredis from 'ioredis';

/** `require` from this module (in the ESM build too: tsup's shim gives the CJS build its URL). */
const requireHere = createRequire(import.meta.url);

/**
 * ioredis, when the app has it installed (an optional peer: only a store made from `url` needs
 * it); `undefined` when it has not. Any other failure to load it (a broken install, a missing
 * dependency of ioredis itself) is thrown as it is.
 */
export function loadIoredis(load: (name: string) => unknown = requireHere): typeof Ioredis | undefined {
  try {
    return load('ioredis') as typeof Ioredis;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes("'ioredis'")) return undefined;
    throw error;
  }
}
