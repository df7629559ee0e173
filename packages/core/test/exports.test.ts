import { describe, expect, it } from 'vitest';
import * as adapter from '../src/adapter/index.js';
import * as main from '../src/index.js';
import * as node from '../src/node/index.js';
import * as store from '../src/store/kit.js';
import * as testing from '../src/testing/index.js';

// The export names are public API: a change here is a deliberate, reviewed change.
describe('@spartan-sessions/core export names', () => {
  it('main entry', () => {
    expect(Object.keys(main).sort()).toMatchSnapshot();
  });
  it('./node entry', () => {
    expect(Object.keys(node).sort()).toEqual([
      'NodeExchange',
      'existingNodeScope',
      'fetchSecret',
      'holdResponse',
      'nodeCrypto',
      'nodeScope',
      'nodeSpartanCore',
      'pathnameOf',
      'readPolicy',
      'readPolicySync',
    ]);
  });
  it('./adapter entry: what only adapters need', () => {
    expect(Object.keys(adapter).sort()).toMatchSnapshot();
    for (const name of ['SpartanCore', 'RequestScope', 'SessionContext', 'CookiePolicy', 'withCallback']) {
      expect(Object.keys(adapter)).toContain(name);
      expect(Object.keys(main)).not.toContain(name);
    }
  });
  it('./store entry: what store packages share', () => {
    expect(Object.keys(store).sort()).toEqual([
      'DEFAULT_STORE_TIMEOUT_MS',
      'StoreTimeout',
      'applySessionChanges',
      'assertExpectedVersion',
      'assertExpiresAt',
      'assertRotationKeys',
      'assertStoreKey',
      'assertStoreRotateOptions',
      'assertStoreSetOptions',
      'assertStoreUpdateOptions',
      'assertStoredSession',
      'assertStoredSessionChanges',
      'assertUserId',
      'checkDeadline',
      'createDeadlineRunner',
      'createStoreErrors',
      'decodeSessionChanges',
      'decodeSessionChangesList',
      'encodeSessionChanges',
      'sanitizeCause',
      'validateStoredSession',
    ]);
  });
  it('./testing entry', () => {
    expect(Object.keys(testing).sort()).toMatchSnapshot();
  });
  it('exports the names SPEC §2 and §8 make public', () => {
    for (const name of ['MemoryStore', 'SpartanError', 'parsePolicy', 'SessionManager', 'createCsrfGuard']) {
      expect(Object.keys(main)).toContain(name);
    }
    for (const name of ['describeStoreConformance', 'createFakeClock', 'MemoryStore']) {
      expect(Object.keys(testing)).toContain(name);
    }
  });
});
