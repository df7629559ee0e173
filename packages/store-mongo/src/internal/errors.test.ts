// Error mapping through the driver's own error classes, as the driver throws them, for both
// majors of the peer range (mongodb 7, and 6 installed as the alias mongodb6).

import type { TopologyDescription } from 'mongodb';
import * as driver7 from 'mongodb';
import * as driver6 from 'mongodb6';
import { describe, expect, it } from 'vitest';
import { isDuplicateKey, isIndexConflict, reasonOf, safeCause } from './errors.js';

type Driver = Pick<
  typeof driver7,
  | 'MongoNetworkError'
  | 'MongoNetworkTimeoutError'
  | 'MongoNotConnectedError'
  | 'MongoOperationTimeoutError'
  | 'MongoServerError'
  | 'MongoServerSelectionError'
  | 'MongoTopologyClosedError'
  | 'MongoWriteConcernError'
>;

const KEY = 'c2Vzc2lvbi1rZXktaGFzaC10aGF0LW11c3Qtbm90LWxlYWs';

describe.each([
  ['mongodb 7', driver7 as Driver],
  ['mongodb 6', driver6 as unknown as Driver],
])('%s', (_major, driver) => {
  const {
    MongoNetworkError,
    MongoNetworkTimeoutError,
    MongoNotConnectedError,
    MongoOperationTimeoutError,
    MongoServerError,
    MongoServerSelectionError,
    MongoTopologyClosedError,
    MongoWriteConcernError,
  } = driver;

  const duplicateKey = () =>
    new MongoServerError({
      message: `E11000 duplicate key error collection: app.sessions index: _id_ dup key: { _id: "${KEY}" }`,
      code: 11000,
      codeName: 'DuplicateKey',
      keyValue: { _id: KEY },
    });

  /** What the driver throws when the write was applied but not acknowledged as the write concern asks. */
  const writeConcernFailure = (writeErrorCode?: number) =>
    new MongoWriteConcernError({
      writeConcernError: { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out' },
      ...(writeErrorCode === undefined ? {} : { writeErrors: [{ index: 0, code: writeErrorCode, errmsg: 'E11000' }] }),
    } as unknown as ConstructorParameters<typeof MongoWriteConcernError>[0]);

  const serverError = (code: number, codeName: string) => new MongoServerError({ message: codeName, code, codeName });

  describe('isDuplicateKey', () => {
    it('is the server duplicate key error E11000 of the write itself', () => {
      expect(isDuplicateKey(duplicateKey())).toBe(true);
    });

    it('never a write concern error, whatever it carries, nor any other error', () => {
      expect(isDuplicateKey(writeConcernFailure())).toBe(false);
      expect(isDuplicateKey(writeConcernFailure(11000))).toBe(false);
      expect(isDuplicateKey(Object.assign(writeConcernFailure(), { code: 11000 }))).toBe(false);
      expect(isDuplicateKey(serverError(112, 'WriteConflict'))).toBe(false);
      expect(isDuplicateKey(new MongoNetworkError('connection reset'))).toBe(false);
      expect(isDuplicateKey({ code: 11000 })).toBe(false);
    });
  });

  describe('isIndexConflict', () => {
    it('is IndexOptionsConflict (85) or IndexKeySpecsConflict (86), nothing else', () => {
      expect(isIndexConflict(serverError(85, 'IndexOptionsConflict'))).toBe(true);
      expect(isIndexConflict(serverError(86, 'IndexKeySpecsConflict'))).toBe(true);
      expect(isIndexConflict(serverError(13, 'Unauthorized'))).toBe(false);
      expect(isIndexConflict(new MongoNetworkError('down'))).toBe(false);
    });
  });

  describe('reasonOf', () => {
    it.each([
      ['a write concern error', 'write-concern', () => writeConcernFailure()],
      ['a write concern error carrying E11000', 'write-concern', () => writeConcernFailure(11000)],
      [
        'no server selectable (lost primary)',
        'no-primary',
        () =>
          new MongoServerSelectionError(
            'Server selection timed out',
            // The driver passes the topology's description; a replica set that lost its primary has no error.
            { type: 'ReplicaSetNoPrimary', error: null } as unknown as TopologyDescription,
          ),
      ],
      ['NotWritablePrimary', 'no-primary', () => serverError(10107, 'NotWritablePrimary')],
      ['PrimarySteppedDown', 'no-primary', () => serverError(189, 'PrimarySteppedDown')],
      ['InterruptedDueToReplStateChange', 'no-primary', () => serverError(11602, 'InterruptedDueToReplStateChange')],
      ['maxTimeMS expired on the server', 'timeout', () => serverError(50, 'MaxTimeMSExpired')],
      ['the driver timeout', 'timeout', () => new MongoOperationTimeoutError('Timed out')],
      ['a socket timeout', 'timeout', () => new MongoNetworkTimeoutError('socket timed out')],
      ['a network error', 'connection', () => new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017')],
      ['a closed client', 'connection', () => new MongoTopologyClosedError()],
      ['a client never connected', 'connection', () => new MongoNotConnectedError('not connected')],
      ['another server error', 'mongo-error', () => serverError(13, 'Unauthorized')],
      ['a duplicate key outside create-only', 'mongo-error', () => duplicateKey()],
      ['anything else', 'driver-error', () => new TypeError('boom')],
    ] as const)('%s → %s', (_label, reason, make) => {
      expect(reasonOf(make())).toBe(reason);
    });
  });

  describe('safeCause', () => {
    it("replaces a server error's message (E11000 quotes the key) by its code name, keeps the code", () => {
      const cause = safeCause(duplicateKey()) as Error & { code?: number };
      expect(cause.message).toBe('DuplicateKey (code 11000)');
      expect(cause.name).toBe('MongoServerError');
      expect(cause.code).toBe(11000);
      expect(JSON.stringify({ ...cause, message: cause.message })).not.toContain(KEY);
    });

    it('does the same for a write concern error, and keeps driver errors as they are', () => {
      expect((safeCause(writeConcernFailure()) as Error).message).toBe('WriteConcernFailed (code 64)');
      const network = new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017');
      expect(safeCause(network)).toBe(network);
    });
  });
});
