import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileGoneError, localFileError, PermanentError, StorageError, TransientFileError } from '../../src/uploader/errors.js';
import { classifyError } from '../../src/uploader/retry-policy.js';
import { fingerprintChange, fingerprintOf } from '../../src/uploader/file-snapshot.js';
import { tempDir } from '../helpers/fixtures.js';

const dir = tempDir();
afterAll(() => dir.remove());

describe('local file identity', () => {
  it('fingerprints a real file and tells what changed', async () => {
    const path = join(dir.path, 'f.txt');
    writeFileSync(path, 'one');
    const before = await fingerprintOf({ path });
    expect(before.size).toBe(3);
    expect(fingerprintChange(before, await fingerprintOf({ path }))).toBeUndefined();
    expect(fingerprintChange(before, { ...before, size: 4 })).toBe('size 3 -> 4');
    expect(fingerprintChange(before, { ...before, mtimeNs: before.mtimeNs + 1n })).toBe('mtime changed');
    expect(fingerprintChange(before, { ...before, ino: before.ino + 1n })).toBe('replaced by another file');
  });

  it('types missing, unreadable and non-regular files', async () => {
    await expect(fingerprintOf({ path: join(dir.path, 'missing') })).rejects.toThrow(FileGoneError);
    await expect(fingerprintOf({ path: dir.path })).rejects.toThrow(/not a regular file \(a directory\)/);
    const denied = localFileError(
      '/data/secret.db',
      Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES', syscall: 'open' }),
    );
    expect(denied).toBeInstanceOf(PermanentError);
    expect((denied as Error).message).toBe('cannot read /data/secret.db: permission denied (EACCES)');
  });
});

describe('local read errors: retried unless no retry can fix them', () => {
  const errno = (code: string): Error => Object.assign(new Error(`${code}: failed, open '/data/f'`), { code, syscall: 'open' });

  it.each([
    ['EMFILE', TransientFileError, 'retry'],
    ['ENFILE', TransientFileError, 'retry'],
    ['EIO', TransientFileError, 'retry'],
    ['ESTALE', TransientFileError, 'retry'],
    ['EBUSY', TransientFileError, 'retry'],
    ['EAGAIN', TransientFileError, 'retry'],
    ['ENOMEM', TransientFileError, 'retry'],
    ['EACCES', PermanentError, 'permanent'],
    ['EPERM', PermanentError, 'permanent'],
    ['EISDIR', PermanentError, 'permanent'],
    ['ENAMETOOLONG', PermanentError, 'permanent'],
    ['ELOOP', PermanentError, 'permanent'],
    ['ENOENT', FileGoneError, 'permanent'],
    ['ENOTDIR', FileGoneError, 'permanent'],
  ] as const)('%s is a %o, classified %s', (code, type, disposition) => {
    const typed = localFileError('/data/f', errno(code));
    expect(typed).toBeInstanceOf(type);
    expect((typed as Error).message).toContain('/data/f');
    if (!(typed instanceof FileGoneError)) expect(classifyError(typed)).toBe(disposition);
  });

  it('classifies through wrappers (.cause), as storageErrorCode does', () => {
    const transient = localFileError('/data/f', errno('EMFILE'));
    expect(classifyError(new Error('reading part 3 failed', { cause: transient }))).toBe('retry');
    const slowDown = new StorageError('PutObject', 'b', 'k', 'SlowDown', 503, 'req-1');
    expect(classifyError(new Error('wrapped', { cause: new Error('twice', { cause: slowDown }) }))).toBe('retry');
    expect(classifyError(new Error('wrapped', { cause: new StorageError('PutObject', 'b', 'k', 'InvalidAccessKeyId', 403, 'r') }))).toBe(
      'fatal',
    );
    // The outermost error that says anything decides.
    expect(classifyError(new PermanentError('no', { cause: transient }))).toBe('permanent');
    expect(classifyError(new Error('plain'))).toBe('permanent');
  });
});
