import { describe, expect, it } from 'vitest';
import { FatalError, IntegrityError, PermanentError, StorageError } from '../../src/uploader/errors.js';
import { classifyError, isEndpointTrouble } from '../../src/uploader/retry-policy.js';

const storageError = (code: string | undefined, status: number | undefined): StorageError =>
  new StorageError('UploadPart', 'bucket', 'key', code, status, 'req-1');

describe('classifyError', () => {
  it('retries network failures, timeouts, 5xx and throttling', () => {
    expect(classifyError(storageError('ResponseTimeoutError', undefined))).toBe('retry');
    expect(classifyError(storageError('RequestError', -1))).toBe('retry');
    expect(classifyError(storageError('ConnectionTimeoutError', -2))).toBe('retry');
    expect(classifyError(storageError('InternalError', 500))).toBe('retry');
    expect(classifyError(storageError(undefined, 502))).toBe('retry');
    expect(classifyError(storageError('SlowDown', 503))).toBe('retry');
    expect(classifyError(storageError('RequestTimeTooSkewed', 403))).toBe('retry');
    expect(classifyError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe('retry');
    expect(classifyError(new Error('socket hang up'))).toBe('retry');
    expect(classifyError(new IntegrityError('part 1', 'A', 'B'))).toBe('retry');
  });

  it('stops everything on credential and bucket errors', () => {
    for (const code of ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'SecurityTokenExpired', 'NoSuchBucket']) {
      expect(classifyError(storageError(code, 403))).toBe('fatal');
    }
    expect(classifyError(new FatalError('bad'))).toBe('fatal');
  });

  it('gives up on the file for other client errors and marked errors', () => {
    for (const code of ['AccessDenied', 'InvalidArgument', 'EntityTooSmall', 'InvalidPart', 'NoSuchUpload']) {
      expect(classifyError(storageError(code, 400))).toBe('permanent');
    }
    expect(classifyError(new PermanentError('no'))).toBe('permanent');
    expect(classifyError(new Error('a bug'))).toBe('permanent');
  });

  it('a delete or overwrite refused by a WORM retention policy (409 FileImmutable, OSS retention-policy docs) is permanent, no outage', () => {
    expect(classifyError(storageError('FileImmutable', 409))).toBe('permanent');
    expect(isEndpointTrouble(storageError('FileImmutable', 409))).toBe(false);
  });
});
