import { describe, expect, it } from 'vitest';
import { toStorageError } from '../../src/uploader/ali-oss-error.js';

const ref = { bucket: 'photos', key: 'a/b.jpg' };

describe('toStorageError', () => {
  it('names operation, bucket, key, code, status and RequestId', () => {
    const raw = Object.assign(new Error('The OSS Access Key Id you provided does not exist.'), {
      name: 'InvalidAccessKeyIdError',
      code: 'InvalidAccessKeyId',
      status: 403,
      requestId: 'REQ123',
      params: { headers: { authorization: 'OSS id:sig', 'x-oss-security-token': 'TOKEN-SECRET' } },
    });
    const err = toStorageError(raw, 'UploadPart', ref, ['the-secret', 'TOKEN-SECRET']);
    expect(err.message).toBe(
      'UploadPart oss://photos/a/b.jpg failed: InvalidAccessKeyId (HTTP 403): The OSS Access Key Id you provided does not exist. [RequestId REQ123]',
    );
    expect(err).toMatchObject({ code: 'InvalidAccessKeyId', status: 403, requestId: 'REQ123', bucket: 'photos', key: 'a/b.jpg' });
    expect(JSON.stringify(err)).not.toContain('TOKEN-SECRET');
  });

  it('keeps only the first clause of a network error and redacts secrets', () => {
    const raw = Object.assign(new Error('socket hang up the-secret, PUT http://127.0.0.1/x?uploadId=1 -1 (connected: true)\nheaders: {}'), {
      name: 'RequestError',
      code: 'RequestError',
      status: -1,
    });
    const err = toStorageError(raw, 'PutObject', ref, ['the-secret']);
    expect(err.message).toBe('PutObject oss://photos/a/b.jpg failed: RequestError: socket hang up ***');
    expect(err.message).not.toContain('the-secret');
  });

  it('uses the name when there is no code (ResponseTimeoutError)', () => {
    const raw = Object.assign(new Error('Response timeout for 60000ms, please increase the timeout, see more'), {
      name: 'ResponseTimeoutError',
    });
    expect(toStorageError(raw, 'UploadPart', ref, []).code).toBe('ResponseTimeoutError');
    expect(toStorageError(raw, 'UploadPart', ref, []).detail).toBe('Response timeout for 60000ms');
  });
});
